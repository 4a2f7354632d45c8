"""``/api/v1/messages``: the outbox as hub staff and admins see it, newest first.

Each item says what was sent, to whom, through which channel and how far it got (docs/design.md,
"JSON API v1"); ``last_error`` says why a message is being retried or has failed.
"""

from __future__ import annotations

from flask import current_app, jsonify, request
from sqlalchemy import select

from hub.api import api, serialise
from hub.api.auth import api_roles
from hub.api.parsing import ApiError, invalid, query_int
from hub.extensions import db
from hub.models import MESSAGE_STATUSES, OutboxMessage
from hub.urls import external_url

MAX_PAGE_SIZE = 200


@api.get("/messages")
@api_roles("hub", "admin")
def list_messages():
    """Keyset pagination, as ``/referrals`` but newest first: ``after`` is the last id seen, and
    the next page holds the messages older than it."""
    default = min(current_app.config["API_PAGE_SIZE"], MAX_PAGE_SIZE)
    limit = query_int("limit", default, 1, MAX_PAGE_SIZE)
    after = query_int("after", None, 1)
    conditions = _filters()
    if after is not None:
        conditions.append(OutboxMessage.id < after)
    query = (
        select(OutboxMessage).where(*conditions).order_by(OutboxMessage.id.desc()).limit(limit + 1)
    )
    rows = list(db.session.scalars(query))
    page, more = rows[:limit], len(rows) > limit
    next_url = None
    if more:
        arguments = {**request.args.to_dict(), "after": page[-1].id}
        next_url = external_url("api.list_messages", **arguments)
    return jsonify({"items": [serialise.message(row) for row in page], "next": next_url})


def _filters() -> list:
    conditions, errors = [], {}
    try:
        referral = query_int("referral", None, 1)
    except ApiError:  # reported with any other bad filter
        referral = None
        errors["referral"] = (
            "referral must be a referral's id: a whole number from 1 to 2,147,483,647"
        )
    if referral is not None:
        conditions.append(OutboxMessage.referral_id == referral)
    status = request.args.get("status")
    if status:
        if status in MESSAGE_STATUSES:
            conditions.append(OutboxMessage.status == status)
        else:
            errors["status"] = "status must be one of: " + ", ".join(MESSAGE_STATUSES)
    kind = request.args.get("kind")
    if kind:
        conditions.append(OutboxMessage.kind == kind)
    if errors:
        raise invalid(errors)
    return conditions
