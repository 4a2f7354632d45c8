"""Twilio's delivery receipts: what a status callback does to the outbox message it is about.

A message is ``sent`` once Twilio has accepted it (``notifications.dispatch`` records its SID as
``provider_id``). Twilio then reports ``sent`` (handed to the carrier), ``delivered``, or
``undelivered``/``failed`` with an error code. Receipts can arrive late, twice or out of order,
so a message's status only moves forward: ``delivered`` and ``failed`` are final, a late ``sent``
never undoes either, and a repeated receipt changes nothing.

Dispatch records the SIDs of a group of messages together, up to a second after Twilio took the
first, so a quick receipt can come before its SID is known. Such a receipt is held (a
``HeldReceipt`` row) and applied when dispatch records the SID (``apply_held``); one that never
finds its message (not ours) is dropped after ``HOLD_FOR``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from hub.extensions import db
from hub.models import HeldReceipt, OutboxMessage
from notifications import outbox
from notifications.outbox import FAILED, PENDING, SENDING, SENT

log = logging.getLogger(__name__)

DELIVERED = "delivered"
FINAL = (DELIVERED, FAILED)

# Twilio's message statuses that tell us something; the others (queued, accepted, scheduled,
# sending, ...) say no more than the row already does, so they change nothing.
TWILIO_STATUSES = {
    "sent": SENT,
    "delivered": DELIVERED,
    "undelivered": FAILED,
    "failed": FAILED,
}

# What each outcome of ``apply_receipt`` means, for the log.
UNKNOWN = "unknown message"
HELD = "held until its message is recorded"
UNCHANGED = "unchanged"
HOLD_FOR = timedelta(days=1)


def apply_receipt(
    message_sid: str, twilio_status: str, error_code: str | None, now: datetime
) -> str:
    """Apply one receipt to the message whose ``provider_id`` is ``message_sid`` and answer what
    happened: the message's new status, ``UNCHANGED`` or ``UNKNOWN``. Nothing is committed: the
    caller commits. The row is locked while it is read and changed, so two receipts for the same
    message at once apply one after the other."""
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.provider_id == message_sid).with_for_update()
    )
    if message is None:
        log.warning(
            "Twilio receipt (%s) for a message we do not know: %s", twilio_status, message_sid
        )
        if twilio_status not in TWILIO_STATUSES:
            return UNKNOWN
        # Perhaps sent a moment ago, its SID not yet recorded: keep the receipt until it is.
        db.session.add(
            HeldReceipt(
                provider_id=message_sid[:100],
                status=twilio_status,
                error_code=(error_code or None) and error_code[:20],
                received_at=now,
            )
        )
        return HELD
    return _apply(message, twilio_status, error_code, now)


def _apply(message: OutboxMessage, twilio_status: str, error_code: str | None, now) -> str:
    status = TWILIO_STATUSES.get(twilio_status)
    if status is None or not _moves_forward(message.status, status):
        return UNCHANGED
    message.status = status
    if message.sent_at is None:
        message.sent_at = now
    if status == FAILED:  # hub staff hear of it in the next failure digest
        outbox.mark_failed(message, failure_text(twilio_status, error_code), now)
    log.info("Outbox message %s is %s (Twilio: %s)", message.id, status, twilio_status)
    return status


def apply_held(provider_ids: list[str], now: datetime) -> int:
    """Apply the receipts held for messages whose SIDs were just recorded, in the order they
    came, in the caller's transaction; answers how many were applied."""
    if not provider_ids:
        return 0
    held = db.session.scalars(
        select(HeldReceipt)
        .where(HeldReceipt.provider_id.in_(provider_ids))
        .order_by(HeldReceipt.id)
    ).all()
    for receipt in held:
        message = db.session.scalar(
            select(OutboxMessage)
            .where(OutboxMessage.provider_id == receipt.provider_id)
            .with_for_update()
        )
        if message is not None:
            _apply(message, receipt.status, receipt.error_code, now)
        db.session.delete(receipt)
    return len(held)


def drop_stale_held(now: datetime) -> int:
    """Forget held receipts that never found their message (another system's, on the same
    Twilio account)."""
    result = db.session.execute(delete(HeldReceipt).where(HeldReceipt.received_at < now - HOLD_FOR))
    return result.rowcount


def _moves_forward(current: str, new: str) -> bool:
    if current in FINAL:
        return False  # delivered, or failed: nothing later changes that
    if new == SENT:
        return current in (PENDING, SENDING)
    return True  # delivered or failed, from pending, sending or sent


def failure_text(twilio_status: str, error_code: str | None) -> str:
    """``Twilio error 30003: undelivered``; without a code, ``Twilio: undelivered``."""
    if error_code:
        return f"Twilio error {error_code}: {twilio_status}"
    return f"Twilio: {twilio_status}"
