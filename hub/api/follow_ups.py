"""``/api/v1/follow-ups`` and a questionnaire's follow-up: the hub's call to the client.

Hub staff only. The rules are ``hub.referrals.follow_ups``'; a refused request changes nothing.
"""

from __future__ import annotations

from flask import current_app, jsonify, request

from hub.api import api, serialise
from hub.api.auth import api_roles
from hub.api.parsing import ApiError, invalid, json_object, not_found, optional_text, query_int
from hub.auth.access import acting_user
from hub.clock import iso_z, utcnow
from hub.extensions import db
from hub.models import NEEDS_MET, FollowUp, Referral, Submission, WellbeingScore
from hub.referrals import follow_ups as service
from hub.referrals.wellbeing import clean_wellbeing, scores_of
from hub.urls import external_url

MAX_PAGE_SIZE = 200


def _referral_summary(referral: Referral) -> dict:
    return {
        "reference": referral.reference,
        "partner": referral.partner.slug,
        "status": referral.status,
        "outcome": referral.outcome,
    }


def _due(submission: Submission) -> dict:
    return {
        "id": submission.id,
        "reference": submission.reference,
        "received_at": iso_z(submission.received_at),
        "follow_up_due_at": iso_z(submission.follow_up_due_at),
        "referrals": [_referral_summary(referral) for referral in submission.referrals],
    }


@api.get("/follow-ups")
@api_roles("hub")
def list_follow_ups():
    """Questionnaires due a follow-up now, the longest due first; ``after`` is the last id of
    the previous page (``next`` gives the whole address)."""
    default = min(current_app.config["API_PAGE_SIZE"], MAX_PAGE_SIZE)
    limit = query_int("limit", default, 1, MAX_PAGE_SIZE)
    after = query_int("after", 0, 0)
    rows = service.due_follow_ups_after(utcnow(), after, limit + 1)
    page, more = rows[:limit], len(rows) > limit
    next_url = None
    if more:
        arguments = {**request.args.to_dict(), "after": page[-1].id}
        next_url = external_url("api.list_follow_ups", **arguments)
    return jsonify({"items": [_due(row) for row in page], "next": next_url})


def _follow_up(row: FollowUp, wellbeing: WellbeingScore | None, referrals, now) -> dict:
    return {
        "submission": row.submission.id,
        "reference": row.submission.reference,
        "needs_met": row.needs_met,
        "helped": list(row.helped or []),
        "notes": row.notes,
        "recorded_at": iso_z(row.recorded_at),
        "wellbeing": scores_of(wellbeing),
        "referrals": [serialise.referral(referral, now) for referral in referrals],
    }


def _read_body() -> dict:
    """The body's fields with their types checked; what they mean is for
    ``hub.referrals.follow_ups``."""
    body = json_object()
    errors = {}
    needs_met = body.get("needs_met")
    if needs_met is not None and not isinstance(needs_met, str):
        errors["needs_met"] = "needs_met must be one of: " + ", ".join(NEEDS_MET)
    helped = body.get("helped")
    if not isinstance(helped, list) or not all(isinstance(slug, str) for slug in helped):
        errors["helped"] = "Send helped as a list of partner slugs (empty if none helped)"
    try:
        notes = optional_text(body, "notes")
    except ApiError as problem:
        notes = None
        errors.update(problem.fields or {})
    wellbeing = body.get("wellbeing")
    if wellbeing is not None:
        if not isinstance(wellbeing, dict):
            errors["wellbeing"] = "Send the wellbeing answers as an object of four whole numbers"
        elif clean_wellbeing(wellbeing) == (None, {}):
            errors["wellbeing"] = "Send all four wellbeing answers, or leave wellbeing out"
    refer_again = body.get("refer_again")
    if refer_again is not None and (
        not isinstance(refer_again, list) or not all(isinstance(k, str) for k in refer_again)
    ):
        errors["refer_again"] = "Send refer_again as a list of question keys"
    if errors:
        raise invalid(errors)
    return {
        "needs_met": needs_met,
        "helped": helped,
        "notes": notes,
        "wellbeing": wellbeing,
        "refer_again": refer_again,
    }


@api.post("/submissions/<int:submission_id>/follow-up")
@api_roles("hub")
def record_follow_up(submission_id: int):
    submission = service.submission_for_follow_up(submission_id, lock=True)
    if submission is None:
        raise not_found("There is no submission with that id.")
    body = _read_body()
    now = utcnow()
    try:
        recorded = service.record_follow_up(submission, acting_user(), now, **body)
    except service.FollowUpRefused as refused:
        db.session.rollback()
        raise ApiError(409, "not_allowed", str(refused)) from None
    except service.FollowUpInvalid as problem:
        db.session.rollback()
        raise invalid(problem.errors) from None
    db.session.commit()
    response = jsonify(_follow_up(recorded.follow_up, recorded.wellbeing, recorded.referrals, now))
    response.status_code = 201
    return response
