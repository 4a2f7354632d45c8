"""Sending what the outbox holds: claim due messages, send each outside any transaction, and
record what happened. Run by the scheduler (``hub.jobs``), never inside a web request.

A message is claimed by moving it from ``pending`` to ``sending`` and committing, so two
dispatchers never send the same one (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite, with
one writer at a time, the claim takes only messages still ``pending``). While a message is
``sending``, its ``next_attempt_at`` is when the attempt began: ``sweep_stuck`` puts back any
that a crashed dispatcher left behind. A retryable failure is tried again after a growing
pause; a permanent one, or one still failing a day after it was queued, is marked ``failed``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update

from hub.extensions import db
from hub.models import OutboxMessage
from notifications import channels, messages
from notifications.outbox import FAILED, PENDING, SENDING, SENT

log = logging.getLogger(__name__)

# Pause after the first, second, third and fourth failed attempt; then every RETRY_EVERY.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
RETRY_EVERY = timedelta(hours=6)
GIVE_UP_AFTER = timedelta(hours=24)  # from when the message was queued
STUCK_AFTER = timedelta(minutes=10)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th attempt failed."""
    return BACKOFF[attempts - 1] if attempts <= len(BACKOFF) else RETRY_EVERY


def claim_due(now: datetime, limit: int) -> list[OutboxMessage]:
    """Mark up to ``limit`` due messages ``sending`` and commit: they are ours to send."""
    due = db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL only; SQLite leaves it out
    ).all()
    if not due:
        db.session.commit()
        return []
    # Still pending: on SQLite another dispatcher may have claimed some since we looked.
    claimed = db.session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due), OutboxMessage.status == PENDING)
        .values(status=SENDING, attempts=OutboxMessage.attempts + 1, next_attempt_at=now)
        .returning(OutboxMessage),
        execution_options={"synchronize_session": False, "populate_existing": True},
    ).all()
    db.session.commit()
    return sorted(claimed, key=lambda message: message.id)


def _send(message: OutboxMessage, batch: channels.Channels) -> tuple[str | None, Exception | None]:
    """Send through the message's channel; no transaction is open while we wait on it."""
    try:
        return batch.for_message(message).send(message), None
    except channels.ChannelError as error:
        return None, error
    except Exception as error:  # a fault of ours: log it, keep the message, try again later
        log.exception("Sending outbox message %s failed unexpectedly", message.id)
        return None, channels.RetryableError(f"{type(error).__name__}: {error}")


def _record(message: OutboxMessage, provider_id, error, now: datetime) -> str:
    """Write the result of one attempt and commit it; returns what became of the message."""
    if error is None:
        message.status = SENT
        message.sent_at = now
        message.provider_id = provider_id
        message.last_error = None
    elif isinstance(error, channels.PermanentError) or now - message.created_at >= GIVE_UP_AFTER:
        message.status = FAILED
        message.last_error = str(error)[:2000]
        messages.message_failed(message, now)
    else:
        message.status = PENDING
        message.next_attempt_at = now + backoff(message.attempts)
        message.last_error = str(error)[:2000]
    db.session.add(message)
    db.session.commit()
    return message.status


def dispatch_due(now: datetime, limit: int = 100) -> dict[str, int]:
    """Send every due message (up to ``limit``), email or SMS as each message's ``channel``
    says: ``{"sent", "to retry", "failed"}``."""
    summary = {"sent": 0, "to retry": 0, "failed": 0}
    claimed = claim_due(now, limit)
    # One SMTP connection and one Twilio client for the batch; each result still commits alone.
    with channels.Channels() as batch:
        for message in claimed:
            provider_id, error = _send(message, batch)
            status = _record(message, provider_id, error, now)
            if error is not None:
                log.warning("Outbox message %s (%s): %s", message.id, status, error)
            summary[{SENT: "sent", PENDING: "to retry", FAILED: "failed"}[status]] += 1
    return summary


def sweep_stuck(now: datetime) -> dict[str, int]:
    """Put back ``sending`` messages whose attempt began over ``STUCK_AFTER`` ago (a dispatcher
    died mid-send): ``{"put back": n}``."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == SENDING,
            OutboxMessage.next_attempt_at <= now - STUCK_AFTER,
        )
        .values(status=PENDING, next_attempt_at=now)
        .execution_options(synchronize_session="fetch")
    )
    db.session.commit()
    return {"put back": result.rowcount}
