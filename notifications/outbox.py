"""The outbox: every email or SMS is a row first, written in the transaction of the change that
caused it, and sent later by ``notifications.dispatch`` (never inside a web request).

Each message has a unique ``key`` naming its cause (``referral_forwarded:42``), so the same
cause never queues two messages: a second ``queue`` with that key finds the first, and two
transactions racing to queue it meet the unique key, where the insert quietly does nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from hub.extensions import db, insert_or_skip
from hub.models import MESSAGE_CHANNELS, OutboxMessage

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"


def find(key: str) -> OutboxMessage | None:
    return db.session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))


def queue(
    *,
    key: str,
    kind: str,
    channel: str,
    recipient: str,
    subject: str | None,
    body: str,
    html: str | None = None,
    referral_id: int | None = None,
    now: datetime,
) -> OutboxMessage:
    """The message for ``key``, added as ``pending`` (due now) unless it is already there.
    Nothing is committed: the caller's change and its message commit together or not at all."""
    if channel not in MESSAGE_CHANNELS:
        raise ValueError(f"Unknown channel {channel!r}")
    statement = (
        insert_or_skip(OutboxMessage, "key")
        .values(
            key=key,
            kind=kind,
            channel=channel,
            recipient=recipient,
            subject=subject,
            body=body,
            html=html,
            referral_id=referral_id,
            status=PENDING,
            attempts=0,
            created_at=now,
            next_attempt_at=now,
        )
        # Queued before (by this cause, or by another transaction at the same moment): the
        # insert does nothing, the first stands, and we read it back.
        .returning(OutboxMessage)
    )
    added = db.session.scalar(statement)
    return added if added is not None else find(key)
