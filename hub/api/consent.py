"""``/api/v1/submissions/{id}/withdraw-consent``: the client withdrew consent.

Every open referral of the person (every questionnaire recorded for the same name and date of
birth, not only this one) is cancelled with the reason;
``hub.referrals.lifecycle.withdraw_consent`` does it and queues the partners' messages in the same
transaction.
"""

from __future__ import annotations

from flask import jsonify

from hub.api import api
from hub.api.auth import api_roles
from hub.api.parsing import invalid, json_object, not_found, optional_text
from hub.auth.access import acting_user
from hub.clock import iso_z, utcnow
from hub.extensions import db
from hub.models import Submission
from hub.referrals import lifecycle


@api.post("/submissions/<int:submission_id>/withdraw-consent")
@api_roles("hub")
def withdraw_consent(submission_id: int):
    submission = db.session.get(Submission, submission_id)
    if submission is None:
        raise not_found("There is no submission with that id.")
    body = json_object(required=False)
    reason = optional_text(body, "reason")
    try:
        cancelled = lifecycle.withdraw_consent(submission.client, acting_user(), utcnow(), reason)
    except lifecycle.InvalidTransitionInput as problem:
        db.session.rollback()
        raise invalid({problem.field: str(problem)}) from None
    db.session.commit()
    return jsonify(
        {
            "submission": submission.reference,
            "consent_withdrawn_at": iso_z(submission.client.consent_withdrawn_at),
            "cancelled": [referral.reference for referral in cancelled],
        }
    )
