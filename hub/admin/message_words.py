"""Outbox messages in words: what each kind is about, who it goes to, and its status as a tag.

The one place these words live: the admin's message texts and mailbox and the hub's referral
page all use them, so a message is called the same thing wherever it appears.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.models import OutboxMessage

PARTNER = "Partner agency"
REFERRER = "Referrer"
CLIENT = "Client"
HUB_STAFF = "Hub staff"

# kind -> (what it is about, who it is for)
KINDS = {
    "referral_forwarded": ("New referral for the partner", PARTNER),
    "referral_cancelled": ("Referral cancelled: stop work", PARTNER),
    "partner_link_code": ("One-time code to open a signed link", PARTNER),
    "partner_chase": ("Reminder to contact the client", PARTNER),
    "partner_digest": ("Summary of the agency's open referrals", PARTNER),
    "referrer_forwarded": ("Referrals forwarded to partners", REFERRER),
    "referrer_all_closed": ("All referrals closed", REFERRER),
    "client_forwarded": ("Which agencies will contact the client, and by when", CLIENT),
    "message_failed": ("A message could not be sent", HUB_STAFF),
    "forward_warning": ("Referrals near their forwarding deadline", HUB_STAFF),
    "forward_overdue": ("Referrals past their forwarding deadline", HUB_STAFF),
    "contact_overdue": ("Partner has not contacted the client in time", HUB_STAFF),
    "follow_ups_due": ("Follow-ups due", HUB_STAFF),
}

CHANNELS = {"email": "email", "sms": "SMS"}

# status -> (label, GOV.UK tag class)
STATUS_TAGS = {
    "pending": ("Waiting to send", "govuk-tag--grey"),
    "sending": ("Waiting to send", "govuk-tag--grey"),
    "sent": ("Sent", "govuk-tag--blue"),
    "delivered": ("Delivered", "govuk-tag--green"),
    "failed": ("Failed", "govuk-tag--red"),
}


def kind_words(kind: str) -> str:
    """What a message is about, or its kind as stored when we have no words for it."""
    return KINDS[kind][0] if kind in KINDS else kind


def channel_words(channel: str) -> str:
    return CHANNELS.get(channel, channel)


def audience_words(kind: str, channel: str) -> str:
    """Who a message is for and how: "Partner agency by email", "Hub staff by SMS"."""
    who = KINDS[kind][1] if kind in KINDS else "Recipient"
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
        about=kind_words(message.kind),
        kind=message.kind,
        subject=message.subject,
        body=message.body,
        status_label=label,
        status_class=classes,
        attempts=message.attempts,
        last_error=message.last_error,
        retrying=message.status in ("pending", "sending") and message.attempts > 0,
    )
