"""What the admin pages and the hub's referral page read from the outbox."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class MailboxFilters:
    """What the mailbox shows: every message the log channel took, or only those of one kind,
    one channel, some statuses, and a recipient containing some text (any case)."""

    kind: str = ""
    channel: str = ""
    statuses: tuple[str, ...] = ()
    recipient: str = ""

    def conditions(self) -> list:
        conditions = [OutboxMessage.provider_id.startswith(LOG_PROVIDER_PREFIX, autoescape=True)]
        if self.kind:
            conditions.append(OutboxMessage.kind == self.kind)
        if self.channel:
            conditions.append(OutboxMessage.channel == self.channel)
        if self.statuses:
            conditions.append(OutboxMessage.status.in_(self.statuses))
        if self.recipient:
            conditions.append(
                func.lower(OutboxMessage.recipient).contains(
                    self.recipient.casefold(), autoescape=True
                )
            )
        return conditions


def mailbox(
    number: int, filters: MailboxFilters | None = None, size: int = MAILBOX_PAGE_SIZE
) -> Page:
    """The development mailbox: messages the log channel took, newest first, filtered."""
    conditions = (filters or MailboxFilters()).conditions()
    total = db.session.scalar(select(func.count(OutboxMessage.id)).where(*conditions))
    page = Page.numbered(number, size, total)
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(*conditions)
        .order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id.desc())
        .offset(page.offset)
        .limit(size)
    )
    page.items = [message_row(message) for message in rows]
    return page


__all__ = ["MailboxFilters", "MessageRow", "mailbox", "messages_of_referral"]
