"""``/api/v1/referrals``: read referrals and their history, and move them through the lifecycle.

What a user may see: hub staff and managers see every referral; a partner sees only its own
agency's, and only once forwarded (a partner learns of a referral when it is forwarded). Anything
else is answered as absent (404), so the API never confirms that a hidden referral exists.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, jsonify, request
from sqlalchemy import not_, select
from sqlalchemy.orm import selectinload

from hub import audit
from hub.api import api, serialise
from hub.api.auth import api_roles
from hub.api.parsing import ApiError, invalid, json_object, not_found, optional_text, query_int
from hub.auth.access import acting_user, referrals_visible_to
from hub.clock import parse_iso, utcnow
from hub.extensions import db
from hub.models import CONTACT_METHODS, ContactAttempt, Organisation, Referral, Submission
from hub.referrals import lifecycle, search
from hub.referrals.overdue import overdue_clause
from hub.status import STATUSES, Outcome, Status
from hub.urls import external_url
from partners.directory import partner_by_slug

READERS = ("hub", "manager", "partner")
MAX_PAGE_SIZE = 200


def _visible_referral(referral_id: int, for_update: bool = False) -> Referral:
    query = select(Referral).where(Referral.id == referral_id, referrals_visible_to(acting_user()))
    if for_update:  # two changes to one referral at once: the second waits, then sees the first
        query = query.with_for_update(of=Referral).execution_options(populate_existing=True)
    row = db.session.scalar(query)
    if row is None:
        raise not_found("There is no referral with that id.")
    return row


@api.get("/referrals")
@api_roles(*READERS)
def list_referrals():
    now = utcnow()
    default = min(current_app.config["API_PAGE_SIZE"], MAX_PAGE_SIZE)
    limit = query_int("limit", default, 1, MAX_PAGE_SIZE)
    after = query_int("after", 0, 0)
    query = (
        select(Referral)
        .where(referrals_visible_to(acting_user()), Referral.id > after, *_filters(now))
        .order_by(Referral.id)
        .limit(limit + 1)
        .options(
            selectinload(Referral.partner),
            # Both ends of a re-route are referrals of the same questionnaire.
            selectinload(Referral.submission).selectinload(Submission.referrals),
            selectinload(Referral.submission).selectinload(Submission.client),
            selectinload(Referral.possible_duplicate_of),
        )
    )
    rows = list(db.session.scalars(query))
    page, more = rows[:limit], len(rows) > limit
    next_url = None
    if more:
        arguments = {**request.args.to_dict(), "after": page[-1].id}
        next_url = external_url("api.list_referrals", **arguments)
    facts = serialise.loop_facts(page)
    items = [serialise.referral(row, now, facts[row.id]) for row in page]
    return jsonify({"items": items, "next": next_url})


def _filters(now: datetime) -> list:
    conditions, errors = [], {}
    status = request.args.get("status")
    if status:
        if status in STATUSES:
            conditions.append(Referral.status == status)
        else:
            errors["status"] = "status must be one of: " + ", ".join(STATUSES)
    partner = request.args.get("partner")
    if partner:
        found = partner_by_slug(partner)
        if found is None:
            errors["partner"] = "There is no partner agency with that slug"
        else:
            conditions.append(Referral.partner_id == found.id)
    overdue = request.args.get("overdue")
    if overdue:
        if overdue.lower() == "true":
            conditions.append(overdue_clause(now))
        elif overdue.lower() == "false":
            conditions.append(not_(overdue_clause(now)))
        else:
            errors["overdue"] = "overdue must be true or false"
    try:  # a reference, a name, a date of birth or a postcode (hub.referrals.search)
        found = search.referral_condition(request.args.get("q"))
    except search.SearchTooLong as problem:
        errors["q"] = str(problem)
    else:
        if found is not None:
            conditions.append(found)
    if errors:
        raise invalid(errors)
    return conditions


@api.get("/referrals/<int:referral_id>")
@api_roles(*READERS)
def show_referral(referral_id: int):
    row, now = _visible_referral(referral_id), utcnow()
    response = jsonify(serialise.referral(row, now))
    audit.viewed(acting_user(), "GET /api/v1/referrals/{id}", now, referral=row)
    return response


@api.get("/referrals/<int:referral_id>/events")
@api_roles(*READERS)
def referral_events(referral_id: int):
    row = _visible_referral(referral_id)
    if acting_user().role == "partner":  # no more than the partner's page shows
        return jsonify({"items": serialise.partner_events(row)})
    return jsonify({"items": [serialise.event(event) for event in row.events]})


def _moment(body: dict, field: str) -> datetime | None:
    """An optional date and time from the body, ISO 8601 (``Z`` or an offset), as naive UTC."""
    value = body.get(field)
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return parse_iso(value)
    except ValueError:
        raise invalid(
            {field: f"{field} must be a date and time in ISO 8601, like 2026-03-02T09:30:00Z"}
        ) from None


def _change(row: Referral, change, now: datetime, **values):
    """Apply one lifecycle change for the signed-in user; a refusal rolls back and answers 409
    (not allowed now) or 422 (bad details), having changed nothing."""
    try:
        return change(row, acting_user(), now, **values)
    except lifecycle.TransitionNotAllowed as refused:
        db.session.rollback()
        raise ApiError(409, "transition_not_allowed", str(refused)) from None
    except lifecycle.InvalidTransitionInput as problem:
        db.session.rollback()
        raise invalid({problem.field: str(problem)}) from None


def _transition(referral_id: int, change, *fields: str, times: tuple[str, ...] = ()):
    """Apply one lifecycle change for the signed-in user, commit it and answer the referral.

    ``fields`` are the optional text fields of the body passed on to the change; ``times`` its
    optional dates and times.
    """
    row = _visible_referral(referral_id, for_update=True)
    body = json_object(required=False)
    values = {field: optional_text(body, field) for field in fields}
    values.update({field: _moment(body, field) for field in times})
    now = utcnow()
    _change(row, change, now, **values)
    db.session.commit()
    return jsonify(serialise.referral(row, now))


@api.post("/referrals/<int:referral_id>/forward")
@api_roles("hub")
def forward_referral(referral_id: int):
    return _transition(referral_id, lifecycle.forward_referral)


@api.post("/referrals/<int:referral_id>/accept")
@api_roles("partner", "hub")
def accept_referral(referral_id: int):
    return _transition(referral_id, lifecycle.accept_referral)


@api.post("/referrals/<int:referral_id>/contact")
@api_roles("partner", "hub")
def record_contact(referral_id: int):
    return _transition(referral_id, lifecycle.record_contact, "notes", times=("contacted_at",))


@api.post("/referrals/<int:referral_id>/close")
@api_roles("partner", "hub")
def close_referral(referral_id: int):
    return _transition(referral_id, _close, "outcome", "notes")


def _close(row: Referral, actor, now: datetime, outcome=None, notes=None) -> Referral:
    """Close with an outcome; hub staff close a declined referral as "no suitable service"."""
    if (
        actor.role == "hub"
        and row.status == Status.DECLINED
        and outcome == Outcome.NO_SUITABLE_SERVICE
    ):
        return lifecycle.close_declined(row, actor, now, notes)
    return lifecycle.close_referral(row, actor, now, outcome, notes)


@api.post("/referrals/<int:referral_id>/decline")
@api_roles("partner")
def decline_referral(referral_id: int):
    return _transition(referral_id, lifecycle.decline_referral, "reason", "reason_code")


@api.post("/referrals/<int:referral_id>/cancel")
@api_roles("hub")
def cancel_referral(referral_id: int):
    return _transition(referral_id, lifecycle.cancel_referral, "reason")


@api.get("/referrals/<int:referral_id>/attempts")
@api_roles(*READERS)
def list_attempts(referral_id: int):
    row = _visible_referral(referral_id)
    attempts = db.session.scalars(
        select(ContactAttempt)
        .where(ContactAttempt.referral_id == row.id)
        .order_by(ContactAttempt.attempted_at, ContactAttempt.id)
        .options(selectinload(ContactAttempt.recorded_by))
    )
    return jsonify({"items": [serialise.attempt(attempt, row) for attempt in attempts]})


@api.post("/referrals/<int:referral_id>/attempts")
@api_roles("partner", "hub")
def record_attempt(referral_id: int):
    """A try at reaching the client; one that reached them also records the contact."""
    row = _visible_referral(referral_id, for_update=True)
    body = json_object(required=False)
    errors = {}
    method = body.get("method")
    if method not in CONTACT_METHODS:
        errors["method"] = "method must be one of: " + ", ".join(CONTACT_METHODS)
    reached = body.get("reached")
    if not isinstance(reached, bool):
        errors["reached"] = "reached must be true or false"
    try:
        attempted_at = _moment(body, "attempted_at")
        notes = optional_text(body, "notes")
    except ApiError as problem:
        errors.update(problem.fields or {})
    if errors:
        raise invalid(errors)
    attempt = _change(
        row,
        lifecycle.record_attempt,
        utcnow(),
        method=method,
        reached=reached,
        attempted_at=attempted_at,
        notes=notes,
    )
    db.session.commit()
    response = jsonify({**serialise.attempt(attempt, row), "referral_status": row.status})
    response.status_code = 201
    return response


@api.post("/referrals/<int:referral_id>/reroute")
@api_roles("hub")
def reroute_referral(referral_id: int):
    """Send a declined referral to another partner: 201 with the new referral."""
    row = _visible_referral(referral_id, for_update=True)
    body = json_object(required=False)
    slug = optional_text(body, "partner")
    note = optional_text(body, "note")
    if not slug:
        raise invalid({"partner": "partner is required: the slug of the partner agency"})
    partner = partner_by_slug(slug)
    if partner is None:
        raise invalid({"partner": "There is no partner agency with that slug"})
    now = utcnow()
    new = _change(row, _reroute_to(partner), now, note=note)
    db.session.commit()
    response = jsonify(serialise.referral(new, now))
    response.status_code = 201
    response.headers["Location"] = external_url("api.show_referral", referral_id=new.id)
    return response


def _reroute_to(partner: Organisation):
    def reroute(row: Referral, actor, now: datetime, note=None) -> Referral:
        return lifecycle.reroute_referral(row, partner, actor, now, note)

    return reroute


@api.post("/referrals/<int:referral_id>/reopen")
@api_roles("hub")
def reopen_referral(referral_id: int):
    return _transition(referral_id, lifecycle.reopen_referral, "note")
