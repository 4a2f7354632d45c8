"""What hub staff hear, one email each (``hub_staff_recipients`` says who they are):

- a message that failed for good (``message_failed``, from ``notifications.dispatch`` and
  ``notifications.receipts``), described in words and never by its recipient;
- the SLA watch's warnings and breaches (``hub.jobs.watch``): flags of a questionnaire near or
  past their forwarding deadline, a partner past its contact deadline;
- once a day, the questionnaires due a follow-up call.

Each message's key is its cause and then its recipient, so each of hub staff hears once.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from hub.clock import in_london
from hub.extensions import db
from hub.models import OutboxMessage, Referral, ReferralEvent, Submission, User
from notifications.kinds import failed_words
from notifications.messages.rendering import Rendered, hub_url, queue_email, render, uk_day, uk_time

log = logging.getLogger(__name__)


def hub_staff_recipients() -> list[str]:
    """Where hub staff's alerts go: ``HUB_ALERT_EMAIL`` (the team's shared mailbox; several
    addresses may be given, separated by commas) when set, else every active hub user."""
    configured = current_app.config.get("HUB_ALERT_EMAIL") or ""
    shared = [address.strip() for address in configured.split(",") if address.strip()]
    if shared:
        return list(dict.fromkeys(shared))
    return list(
        db.session.scalars(
            select(User.email)
            .where(User.role == "hub", User.active.is_(True), User.link_referral_id.is_(None))
            .order_by(User.id)
        )
    )


def _staff_key(base: str, recipient: str) -> str:
    """A message to one of hub staff: its cause, then who it is for (hashed if very long)."""
    key = f"{base}:{recipient.casefold()}"
    if len(key) > 200:  # the key column's width
        key = f"{base}:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def _email_each(
    kind: str, base: str, rendered: Rendered, referral_id: int | None, now: datetime
) -> list[OutboxMessage]:
    return [
        queue_email(kind, _staff_key(base, recipient), recipient, rendered, referral_id, now)
        for recipient in hub_staff_recipients()
    ]


def hub_referral_url(referral_id: int) -> str:
    """Hub staff's page for one referral (``hub_views.referral``)."""
    return hub_url("hub_views.referral", referral_id=referral_id)


def hub_queue_url() -> str:
    """Hub staff's queue (``hub_views.queue``)."""
    return hub_url("hub_views.queue")


def follow_ups_url() -> str:
    """Hub staff's follow-up list (``follow_ups.due_list``)."""
    return hub_url("follow_ups.due_list")


# --- A message that failed for good --------------------------------------------------------------

# An email address, or a run of 8 or more digits (a phone number, perhaps with + and spaces).
_ADDRESS_OR_NUMBER = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+|\+?\d[\d ]{6,}\d")


def scrubbed_error(error: str | None) -> str:
    """A provider's error without any address or phone number in it (Twilio's 21211 names the
    number it refused, which may be a client's)."""
    if not error:
        return "No reason was given"
    return _ADDRESS_OR_NUMBER.sub("[recipient]", error)


def message_failed_email(
    reference: str | None, what: str, error: str, failed_at: datetime, link: str | None
) -> Rendered:
    about = f"about SAIL referral {reference}" if reference else "from the hub"
    return render(
        "message_failed",
        f"Not sent: a message {about}",
        about=about,
        reference=reference,
        what=what,
        error=error,
        failed_at=uk_time(failed_at),
        link=link,
    )


def message_failed(message: OutboxMessage, now: datetime) -> list[OutboxMessage]:
    """A message failed for good (refused, or still failing at the retry limit): tell hub staff,
    one email each (``hub_staff_recipients``), saying what it was, to whom in words
    (``notifications.kinds.failed_words``), why, and linking the referral's page. Called in the
    transaction that marks the message ``failed``. A failed alert raises no alert of its own,
    so a broken mailbox cannot loop."""
    log.warning(
        "Outbox message %s (%s to %s) failed: %s",
        message.id,
        message.kind,
        message.channel,
        message.last_error,
    )
    if message.kind == "message_failed":
        return []
    referral = db.session.get(Referral, message.referral_id) if message.referral_id else None
    partner = referral.partner.name if referral is not None else "(unknown)"
    referrer = referral.submission.submitted_by.name if referral is not None else "(unknown)"
    rendered = message_failed_email(
        referral.reference if referral is not None else None,
        failed_words(message.kind, message.channel, partner, referrer),
        scrubbed_error(message.last_error),
        now,
        hub_referral_url(referral.id) if referral is not None else None,
    )
    base = f"message_failed:{message.id}"
    return _email_each("message_failed", base, rendered, message.referral_id, now)


# --- The SLA watch's warnings and escalations, and the daily follow-ups (``hub.jobs.watch``) ----


@dataclass(frozen=True)
class Flag:
    """One flag of a questionnaire, as hub staff's warnings list it."""

    reference: str
    partner: str


def _flags(referrals: list[Referral]) -> list[Flag]:
    return [Flag(referral.reference, referral.partner.name) for referral in referrals]


def forward_warning_email(reference: str, flags: list[Flag], due: datetime, link: str):
    count = len(flags)
    return render(
        "forward_warning",
        f"Forward by {in_london(due).strftime('%H:%M')}: questionnaire {reference} has "
        + (f"{count} flag" if count == 1 else f"{count} flags")
        + " waiting",
        reference=reference,
        flags=flags,
        due=uk_time(due),
        link=link,
    )


def forward_overdue_email(reference: str, flags: list[Flag], due: datetime, link: str):
    return render(
        "forward_overdue",
        f"Overdue: questionnaire {reference} not forwarded in time",
        reference=reference,
        flags=flags,
        due=uk_time(due),
        link=link,
    )


def forward_warning(referrals: list[Referral], now: datetime) -> list[OutboxMessage]:
    """Hub staff: flags of one questionnaire still at the hub at the warning moment."""
    first = referrals[0]
    rendered = forward_warning_email(
        first.submission.reference, _flags(referrals), first.forward_due_at, hub_queue_url()
    )
    return _email_each("forward_warning", f"forward_warning:{first.id}", rendered, first.id, now)


def forward_overdue(referrals: list[Referral], now: datetime) -> list[OutboxMessage]:
    """Hub staff: flags of one questionnaire not forwarded by their deadline."""
    first = referrals[0]
    rendered = forward_overdue_email(
        first.submission.reference, _flags(referrals), first.forward_due_at, hub_queue_url()
    )
    return _email_each("forward_overdue", f"forward_overdue:{first.id}", rendered, first.id, now)


def contact_overdue_email(
    reference: str, partner_name: str, contact_due: datetime, forwarded: datetime, chases: int,
    link: str,
) -> Rendered:  # fmt: skip
    return render(
        "contact_overdue",
        f"Escalation: {partner_name} has not contacted the client of {reference} in time",
        reference=reference,
        partner_name=partner_name,
        contact_due=uk_time(contact_due),
        forwarded=uk_day(forwarded),
        chases=chases,
        link=link,
    )


def contact_overdue(referral: Referral, now: datetime) -> list[OutboxMessage]:
    """Hub staff: the partner has passed the contact deadline without recording contact."""
    # The chases recorded (the watch's events), whether or not the agency could be messaged.
    chases = db.session.scalar(
        select(db.func.count(ReferralEvent.id)).where(
            ReferralEvent.referral_id == referral.id, ReferralEvent.kind == "chase"
        )
    )
    rendered = contact_overdue_email(
        referral.reference,
        referral.partner.name,
        referral.contact_due_at,
        referral.forwarded_at,
        chases,
        hub_referral_url(referral.id),
    )
    base = f"contact_overdue:{referral.id}"
    return _email_each("contact_overdue", base, rendered, referral.id, now)


@dataclass(frozen=True)
class DueFollowUp:
    """One questionnaire due a follow-up, as hub staff's daily message lists it."""

    reference: str
    due: str  # a day, UK time


def follow_ups_due_email(count: int, listed: list[DueFollowUp], link: str) -> Rendered:
    return render(
        "follow_ups_due",
        f"{count} SAIL follow-up {'call is' if count == 1 else 'calls are'} due",
        count=count,
        listed=listed,
        more=count - len(listed),
        link=link,
    )


def follow_ups_due(
    count: int, submissions: list[Submission], today: str, now: datetime
) -> list[OutboxMessage]:
    """Hub staff, once a day: how many questionnaires are due a follow-up, listing the longest
    due of them by reference."""
    listed = [DueFollowUp(s.reference, uk_day(s.follow_up_due_at)) for s in submissions]
    rendered = follow_ups_due_email(count, listed, follow_ups_url())
    return _email_each("follow_ups_due", f"follow_ups_due:{today}", rendered, None, now)
