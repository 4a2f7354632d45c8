"""What the admin pages and the hub's referral page read from the outbox."""

from __future__ import annotations

from sqlalchemy import func, select

from hub.admin.message_words import MessageRow, message_row
from hub.extensions import db
from hub.models import OutboxMessage
from hub.pagination import Page

MAILBOX_PAGE_SIZE = 25
# The log channel's provider id (``notifications.channels.LogChannel``): sent without credentials.
LOG_PROVIDER_PREFIX = "log-"


def messages_of_referral(referral_id: int) -> list[MessageRow]:
    """Every message about one referral, oldest first, in one query."""
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.referral_id == referral_id)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return [message_row(message) for message in rows]


def mailbox(number: int, size: int = MAILBOX_PAGE_SIZE) -> Page:
    """The development mailbox: messages the log channel took, newest first."""
    sent_to_log = OutboxMessage.provider_id.startswith(LOG_PROVIDER_PREFIX, autoescape=True)
    total = db.session.scalar(select(func.count(OutboxMessage.id)).where(sent_to_log))
    page = Page.numbered(number, size, total)
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(sent_to_log)
        .order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id.desc())
        .offset(page.offset)
        .limit(size)
    )
    page.items = [message_row(message) for message in rows]
    return page


__all__ = ["MessageRow", "mailbox", "messages_of_referral"]
