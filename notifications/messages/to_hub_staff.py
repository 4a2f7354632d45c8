"""What hub staff hear, one email each (``hub_staff_recipients`` says who they are):

- at most once an hour, a digest of the messages that failed for good (``failed_digest``),
  counted by kind and channel with references only, never a recipient; by SMS to the hub's
  duty number (``HUB_ALERT_SMS``) instead when email is not working;
- the SLA watch's warnings and breaches (``hub.jobs.watch``): flags of a questionnaire near or
  past their forwarding deadline, a partner past its contact deadline;
- once a day, the questionnaires due a follow-up call.

Each message's key is its cause and then its recipient, so each of hub staff hears once.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select, update

from hub.clock import in_london
from hub.extensions import db, insert_or_skip
from hub.models import JobMark, OutboxMessage, Referral, ReferralEvent, Submission, User
from notifications import channel_health
from notifications.kinds import CHANNEL_LABELS, EMAIL, SMS, about
from notifications.messages.rendering import (
    Rendered,
    hub_url,
    queue_email,
    queue_sms,
    render,
    render_sms,
    uk_day,
    uk_time,
)
from notifications.outbox import FAILED

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


# --- Messages that failed for good: one digest a period ------------------------------------------

DIGEST_KIND = "failed_digest"
# Hub staff's alerts about failures: never themselves counted in a digest, so a dead channel
# cannot feed on itself. ``message_failed`` was the alert per message before the digest.
NOT_DIGESTED = (DIGEST_KIND, "message_failed")
DIGEST_REFERENCES = 20  # at most this many references listed; the page has the rest


@dataclass(frozen=True)
class FailedLine:
    """How many messages of one kind on one channel failed, as the digest lists them."""

    count: int
    about: str
    channel: str


def failed_digest_email(
    total: int, since: datetime, lines: list[FailedLine], references: list[str], more: int,
    link: str,
) -> Rendered:  # fmt: skip
    return render(
        DIGEST_KIND,
        f"Not sent: {total} SAIL {'message' if total == 1 else 'messages'} failed",
        total=total,
        since=uk_time(since),
        lines=lines,
        references=references,
        more=more,
        link=link,
    )


def failed_digest_sms(total: int, since: datetime, email_down: bool, link: str) -> Rendered:
    return render_sms(
        f"{DIGEST_KIND}_sms", total=total, since=uk_time(since), email_down=email_down, link=link
    )


def failed_messages_url() -> str:
    """Hub staff's page of channel health and failed messages (``hub_messages.messages``)."""
    return hub_url("hub_messages.messages")


def _period_key(now: datetime) -> str:
    return f"{DIGEST_KIND}:{now:%Y-%m-%dT%H}"  # one an hour (UTC)


def failed_digest_job(now: datetime) -> dict[str, int]:
    """Once an hour at most: tell hub staff how many messages failed for good since the last
    digest, by kind and channel, with references and a link to ``/hub/messages`` (never a
    recipient). By email if email works, else by SMS to ``HUB_ALERT_SMS`` if set. Each failed
    message is in one digest (``digested_at``); the hour's ``JobMark`` makes it once."""
    undigested = (
        OutboxMessage.status == FAILED,
        OutboxMessage.digested_at.is_(None),
        OutboxMessage.kind.not_in(NOT_DIGESTED),
    )
    failed = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.channel,
               OutboxMessage.failed_at, Referral.reference)
        .outerjoin(Referral, Referral.id == OutboxMessage.referral_id)
        .where(*undigested)
        .order_by(OutboxMessage.id)
    ).all()  # fmt: skip
    if not failed:
        db.session.commit()
        return {"failed for good": 0, "digests": 0}
    key = _period_key(now)
    marked = db.session.scalar(
        insert_or_skip(JobMark, "key").values(key=key, done_at=now).returning(JobMark.key)
    )
    if marked is None:  # this hour's digest went already: the next hour's takes these
        db.session.rollback()
        return {"failed for good": 0, "digests": 0}
    queued = _queue_digest(key, failed, now)
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_([row.id for row in failed]), *undigested)
        .values(digested_at=now)
    )
    db.session.commit()
    return {"failed for good": len(failed), "digests": len(queued)}


def _queue_digest(key: str, failed: list, now: datetime) -> list[OutboxMessage]:
    total = len(failed)
    since = min(row.failed_at or now for row in failed)
    counted = Counter((row.kind, row.channel) for row in failed)
    lines = [
        FailedLine(count, about(kind), CHANNEL_LABELS.get(channel, channel))
        for (kind, channel), count in counted.most_common()
    ]
    references = list(dict.fromkeys(row.reference for row in failed if row.reference))
    link = failed_messages_url()
    duty_number = current_app.config.get("HUB_ALERT_SMS")
    if not channel_health.working(EMAIL) and duty_number and channel_health.working(SMS):
        rendered = failed_digest_sms(total, since, True, link)
        return [queue_sms("failed_digest", f"{key}:sms", duty_number, rendered, None, now)]
    shown = references[:DIGEST_REFERENCES]
    rendered = failed_digest_email(total, since, lines, shown, len(references) - len(shown), link)
    return _email_each("failed_digest", key, rendered, None, now)


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
