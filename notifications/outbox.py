"""The outbox: every email or SMS is a row first, written in the transaction of the change that
caused it, and sent later by ``notifications.dispatch`` (never inside a web request).

Each message has a unique ``key`` naming its cause (``referral_forwarded:42``), so the same
cause never queues two messages: a second ``queue`` with that key finds the first, and two
transactions racing to queue it meet the unique key, where the insert quietly does nothing.

A message that fails for good is marked by ``mark_failed`` (dispatch and delivery receipts
alike), which stamps ``failed_at`` for the failure digest; ``try_again`` puts it back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

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
    secrets: str | None = None,
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
            secrets=secrets,  # sealed (notifications.sealed): never a secret in plain text
        )
        # Queued before (by this cause, or by another transaction at the same moment): the
        # insert does nothing, the first stands, and we read it back.
        .returning(OutboxMessage)
    )
    added = db.session.scalar(statement)
    return added if added is not None else find(key)


def mark_failed(message: OutboxMessage, error: str | None, now: datetime) -> None:
    """The message will not go: ``failed``, with why and when. Hub staff hear of it in the next
    failure digest (``notifications.messages.to_hub_staff.failed_digest``), not one by one."""
    message.status = FAILED
    message.failed_at = now
    if error is not None:
        message.last_error = error[:2000]


def withdraw(message: OutboxMessage, now: datetime) -> None:
    """A message still to go that must not go (its recipient's details were removed): ``failed``
    on purpose, so no failure digest tells hub staff of it."""
    message.status = FAILED
    message.failed_at = message.digested_at = now


def try_again(message_id: int, now: datetime) -> bool:
    """Put a failed message back to be sent at once, with a fresh day of retries (its queued
    time becomes now: the retry limit counts from it). False if it is not failed (any more)."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == FAILED)
        .values(
            status=PENDING,
            attempts=0,
            failed_at=None,
            created_at=now,
            next_attempt_at=now,
        )
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount == 1
