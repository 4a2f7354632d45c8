"""``/api/v1/submissions/{id}/withdraw-consent``: the client withdrew consent.

``GET`` says what a withdrawal would reach: the questionnaire's own open referrals, and the other
questionnaires recorded for the same name and date of birth (``possible_same_person``), which may
or may not be the same person. ``POST`` cancels the questionnaire's own client's open referrals
with the reason, and those of the questionnaires named in ``same_person`` (ids from that list)
that hub staff confirmed are the same person; no one else's. ``hub.referrals.lifecycle.
withdraw_consent`` does it and queues the partners' messages in the same transaction.
"""

from __future__ import annotations

from flask import jsonify

from hub.api import api
from hub.api.auth import api_roles
from hub.api.parsing import body_id, invalid, json_object, not_found, optional_text
from hub.auth.access import acting_user
from hub.clock import iso_z, utcnow
from hub.extensions import db
from hub.models import Submission
from hub.referrals import consent, lifecycle

SAME_PERSON = "same_person"


def _submission(submission_id: int) -> Submission:
    submission = db.session.get(Submission, submission_id)
    if submission is None:
        raise not_found("There is no submission with that id.")
    return submission


def _look_alike(look_alike: consent.LookAlike) -> dict:
    row = look_alike.submission
    return {
        "id": row.id,
        "reference": row.reference,
        "received_at": iso_z(row.received_at),
        "referrer": row.referrer_organisation.slug,
        "client": {"address": row.client.address, "postcode": row.client.postcode},
        "consent_withdrawn_at": iso_z(row.client.consent_withdrawn_at),
        "open_referrals": [referral.reference for referral in look_alike.open_referrals],
    }


@api.get("/submissions/<int:submission_id>/withdraw-consent")
@api_roles("hub")
def consent_withdrawal_reach(submission_id: int):
    submission = _submission(submission_id)
    return jsonify(
        {
            "submission": submission.reference,
            "consent_withdrawn_at": iso_z(submission.client.consent_withdrawn_at),
            "open_referrals": [r.reference for r in consent.open_referrals_of(submission)],
            "possible_same_person": [_look_alike(each) for each in consent.look_alikes(submission)],
        }
    )


def _ids(value) -> list[int]:
    """``same_person``: a list of submission ids (true, false and numbers beyond the database's
    range are not ids)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(body_id(each) for each in value):
        raise invalid({SAME_PERSON: "Send same_person as a list of submission ids"})
    return value


@api.post("/submissions/<int:submission_id>/withdraw-consent")
@api_roles("hub")
def withdraw_consent(submission_id: int):
    submission = _submission(submission_id)
    body = json_object(required=False)
    reason = optional_text(body, "reason")
    offered = consent.look_alikes(submission)
    same_person, not_offered = consent.chosen(offered, _ids(body.get(SAME_PERSON)))
    if not_offered:
        raise invalid(
            {
                SAME_PERSON: "Name only questionnaires listed in possible_same_person (GET "
                "this address); not listed: " + ", ".join(str(i) for i in not_offered)
            }
        )
    try:
        cancelled = lifecycle.withdraw_consent(
            submission.client, acting_user(), utcnow(), reason, same_person=same_person
        )
    except lifecycle.InvalidTransitionInput as problem:
        db.session.rollback()
        raise invalid({problem.field: str(problem)}) from None
    db.session.commit()
    withdrawn = [submission] + [
        each.submission for each in offered if each.submission.client in same_person
    ]
    return jsonify(
        {
            "submission": submission.reference,
            "consent_withdrawn_at": iso_z(submission.client.consent_withdrawn_at),
            "cancelled": [referral.reference for referral in cancelled],
            "withdrawn": [each.reference for each in withdrawn],
        }
    )
