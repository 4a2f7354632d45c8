"""Outbox messages as pages show them: who each is for and what it is about, in the words of
the registry of message kinds (``notifications.kinds``), and its status as a GOV.UK tag.

The admin's mailbox and the hub's referral page use these rows, and the admin's message texts
the same words, so a message is called the same thing wherever it appears.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.models import OutboxMessage
from notifications import kinds, sealed

# status -> (label, GOV.UK tag class)
STATUS_TAGS = {
    "pending": ("Waiting to send", "govuk-tag--grey"),
    "sending": ("Waiting to send", "govuk-tag--grey"),
    "sent": ("Sent", "govuk-tag--blue"),
    "delivered": ("Delivered", "govuk-tag--green"),
    "failed": ("Failed", "govuk-tag--red"),
}


def channel_words(channel: str) -> str:
    return kinds.CHANNEL_LABELS.get(channel, channel)


def audience_words(kind: str, channel: str) -> str:
    """Who a message is for and how: "Partner agency by email", "Hub staff by SMS"."""
    if kind in kinds.KINDS:
        who = kinds.KINDS[kind].audience
    else:  # an old row of a kind no longer sent
        who = kinds.RETIRED_AUDIENCES.get(kind, "Recipient")
    return f"{who} by {channel_words(channel)}"


@dataclass(frozen=True)
class MessageRow:
    """One outbox message as a page shows it."""

    id: int
    queued_at: datetime
    sent_at: datetime | None
    channel: str
    recipient: str
    audience: str
    about: str
    kind: str
    subject: str | None
    body: str
    status_label: str
    status_class: str
    attempts: int
    last_error: str | None
    retrying: bool

    @property
    def show_error(self) -> bool:
        """A failed message says why; so does one waiting to be tried again."""
        return bool(self.last_error) and (self.status_label == "Failed" or self.retrying)


def message_row(message: OutboxMessage) -> MessageRow:
    label, classes = STATUS_TAGS.get(
        message.status, (message.status.capitalize(), "govuk-tag--grey")
    )
    return MessageRow(
        id=message.id,
        queued_at=message.created_at,
        sent_at=message.sent_at,
        channel=channel_words(message.channel),
        recipient=message.recipient,
        audience=audience_words(message.kind, message.channel),
        about=kinds.about(message.kind),
        kind=message.kind,
        # A one-time code or signed link stays hidden: "[link hidden]".
        subject=sealed.shown(message.subject),
        body=sealed.shown(message.body),
        status_label=label,
        status_class=classes,
        attempts=message.attempts,
        last_error=message.last_error,
        retrying=message.status in ("pending", "sending") and message.attempts > 0,
    )
