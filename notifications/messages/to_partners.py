"""What partner agencies hear: a new referral (email to the agency's referral address, SMS to
its duty number), a cancelled one, the one-time code that opens a signed link, the SLA watch's
reminders to contact the client (``hub.jobs.watch``), and the daily digest of what waits on it.

An agency with people who sign in is sent the portal page; one without (``has_accounts``) a
signed link to the referral (``partners.links``).
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import exists, select

from hub.clock import in_london
from hub.extensions import db
from hub.models import (
    Organisation,
    OutboxMessage,
    PartnerLinkCode,
    Referral,
    ReferralEvent,
    User,
)
from hub.referrals.questionnaire_versions import definition_of
from notifications import sealed
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
from partners import links


def has_accounts(partner: Organisation) -> bool:
    """Whether the agency has anyone who signs in with a password (not a signed-link stand-in)."""
    return db.session.scalar(
        select(
            exists().where(
                User.organisation_id == partner.id,
                User.active.is_(True),
                User.link_referral_id.is_(None),
            )
        )
    )


def _link_hidden(rendered: Rendered, link: str, signed_link: bool) -> Rendered:
    """A signed link opens the referral: sealed in the outbox, shown only to the channel."""
    return sealed.hide(rendered, link=link) if signed_link else rendered


def _partner_link(referral: Referral, now: datetime) -> tuple[str, bool]:
    """The link a partner's messages carry, and whether it is a signed one: the portal page if
    the agency has ordinary users, a signed link to the referral otherwise."""
    if has_accounts(referral.partner):
        return hub_url("partner_portal.referral", referral_id=referral.id), False
    return links.link_url(referral, now), True


def _question(referral: Referral) -> str:
    definition = definition_of(referral.submission.questionnaire_version)
    try:
        return definition.question(referral.question_key).text
    except KeyError:
        return referral.question_key


def _sms_time(moment: datetime) -> str:
    """A deadline as an SMS gives it, shorter than an email's: "16 Mar 2026 10:15", UK time."""
    return in_london(moment).strftime("%-d %b %Y %H:%M")


# --- A new referral, a cancelled one, the code for a signed link --------------------------------


def referral_forwarded_email(
    reference: str, partner_name: str, question: str, contact_due: datetime, link: str,
    signed_link: bool,
) -> Rendered:  # fmt: skip
    return render(
        "referral_forwarded",
        f"New SAIL referral {reference}",
        reference=reference,
        partner_name=partner_name,
        question=question,
        contact_due=uk_time(contact_due),
        link=link,
        link_days=current_app.config["HUB_PARTNER_LINK_DAYS"],
        signed_link=signed_link,
    )


def referral_forwarded_sms(
    reference: str, about: str, contact_due: datetime, link: str
) -> Rendered:
    return render_sms(
        "referral_forwarded_sms",
        reference=reference,
        about=about,
        contact_due=_sms_time(contact_due),
        link=link,
    )


def referral_forwarded(referral: Referral, now: datetime) -> list[OutboxMessage]:
    """Tell the partner it has a new referral and when the client must be contacted by: an
    email to its referral address and an SMS to its duty number, where it has them. An agency
    with accounts gets the portal page; one without gets a signed link to the referral."""
    partner = referral.partner
    if not partner.referral_email and not partner.sms_number:
        return []
    link, signed_link = _partner_link(referral, now)
    queued = []
    if partner.referral_email:
        rendered = referral_forwarded_email(
            referral.reference,
            partner.name,
            _question(referral),
            referral.contact_due_at,
            link,
            signed_link,
        )
        rendered = _link_hidden(rendered, link, signed_link)
        key = f"referral_forwarded:{referral.id}"
        queued.append(
            queue_email(
                "referral_forwarded", key, partner.referral_email, rendered, referral.id, now
            )
        )
    if partner.sms_number:
        # The agency's own short description of its service says what kind of referral it is
        # in fewer characters than the question.
        about = (partner.description or "").strip() or _question(referral)
        rendered = referral_forwarded_sms(referral.reference, about, referral.contact_due_at, link)
        rendered = _link_hidden(rendered, link, signed_link)
        key = f"referral_forwarded_sms:{referral.id}"
        queued.append(
            queue_sms("referral_forwarded", key, partner.sms_number, rendered, referral.id, now)
        )
    return queued


def referral_cancelled_email(reference: str, partner_name: str) -> Rendered:
    return render(
        "referral_cancelled",
        f"SAIL referral {reference} cancelled: do not contact the client",
        reference=reference,
        partner_name=partner_name,
    )


def referral_cancelled(referral: Referral, now: datetime) -> OutboxMessage | None:
    """Tell the partner to stop work on a referral it had been sent."""
    partner = referral.partner
    if not partner.referral_email or referral.forwarded_at is None:
        return None
    rendered = referral_cancelled_email(referral.reference, partner.name)
    key = f"referral_cancelled:{referral.id}"
    return queue_email(
        "referral_cancelled", key, partner.referral_email, rendered, referral.id, now
    )


def hub_note_email(reference: str, partner_name: str, link: str) -> Rendered:
    return render(
        "hub_note",
        f"A note from the hub about SAIL referral {reference}",
        reference=reference,
        partner_name=partner_name,
        link=link,
    )


def hub_note(referral: Referral, note: ReferralEvent, now: datetime) -> OutboxMessage | None:
    """Tell the partner the hub left it a note on a referral it has been sent. The note itself
    is read on the referral's page: it may name the client, which a message never does."""
    partner = referral.partner
    if not partner.referral_email or referral.forwarded_at is None:
        return None
    db.session.flush()  # the note's id makes the message's key
    link, signed_link = _partner_link(referral, now)
    rendered = hub_note_email(referral.reference, partner.name, link)
    rendered = _link_hidden(rendered, link, signed_link)
    key = f"hub_note:{note.id}"
    return queue_email("hub_note", key, partner.referral_email, rendered, referral.id, now)


def partner_link_code_email(
    reference: str, partner_name: str, plain_code: str, expires_at: datetime
) -> Rendered:
    return render(
        "partner_link_code",
        f"Your code for SAIL referral {reference}",
        reference=reference,
        partner_name=partner_name,
        code=plain_code,
        minutes=current_app.config["HUB_PARTNER_CODE_MINUTES"],
        expires_at=in_london(expires_at).strftime("%H:%M"),
    )


def partner_link_code(
    referral: Referral, code: PartnerLinkCode, plain_code: str, now: datetime
) -> OutboxMessage:
    """The one-time code that opens a signed link, to the agency's registered email only."""
    partner = referral.partner
    rendered = partner_link_code_email(
        referral.reference, partner.name, plain_code, code.expires_at
    )
    rendered = sealed.hide(rendered, code=plain_code)  # readable only by the channel
    key = f"partner_link_code:{code.id}"
    return queue_email("partner_link_code", key, partner.referral_email, rendered, referral.id, now)


# --- The SLA watch's reminders and the daily digest (``hub.jobs.watch``) -----------------------


def partner_chase_email(
    reference: str, partner_name: str, contact_due: datetime, days_left: int, link: str
) -> Rendered:
    return render(
        "partner_chase",
        f"Reminder: contact the client of SAIL referral {reference} by {uk_day(contact_due)}",
        reference=reference,
        partner_name=partner_name,
        contact_due=uk_time(contact_due),
        days_left=days_left,
        link=link,
    )


def partner_chase_sms(reference: str, contact_due: datetime, link: str) -> Rendered:
    return render_sms(
        "partner_chase_sms",
        reference=reference,
        contact_due=_sms_time(contact_due),
        link=link,
    )


def partner_chase(referral: Referral, number: int, now: datetime) -> list[OutboxMessage]:
    """The partner's ``number``-th reminder to contact the client: email to its referral address
    and SMS to its duty number, where it has them."""
    partner = referral.partner
    link, signed_link = _partner_link(referral, now)
    days_left = max(0, (referral.contact_due_at - now).days)
    queued = []
    if partner.referral_email:
        rendered = partner_chase_email(
            referral.reference, partner.name, referral.contact_due_at, days_left, link
        )
        rendered = _link_hidden(rendered, link, signed_link)
        key = f"partner_chase:{referral.id}:{number}"
        queued.append(
            queue_email("partner_chase", key, partner.referral_email, rendered, referral.id, now)
        )
    if partner.sms_number:
        rendered = partner_chase_sms(referral.reference, referral.contact_due_at, link)
        rendered = _link_hidden(rendered, link, signed_link)
        key = f"partner_chase_sms:{referral.id}:{number}"
        queued.append(
            queue_sms("partner_chase", key, partner.sms_number, rendered, referral.id, now)
        )
    return queued


def partner_inbox_url() -> str:
    """The partner portal's inbox (``partner_portal.inbox``)."""
    return hub_url("partner_portal.inbox")


def partner_digest_email(
    partner_name: str, day: str, new: int, due_this_week: int, overdue: int, link: str | None
) -> Rendered:
    return render(
        "partner_digest",
        f"Your SAIL referrals today: {new} new, {due_this_week} due this week, {overdue} overdue",
        partner_name=partner_name,
        day=day,
        new=new,
        due_this_week=due_this_week,
        overdue=overdue,
        link=link,
    )


def partner_digest(
    partner: Organisation, new: int, due_this_week: int, overdue: int, today: str, now: datetime
) -> OutboxMessage | None:
    """A partner's daily digest of the referrals waiting on it. An agency without accounts has
    no inbox to link to: its referrals open from their own signed links."""
    if not partner.referral_email:
        return None
    link = partner_inbox_url() if has_accounts(partner) else None
    day = uk_day(datetime.fromisoformat(today))
    rendered = partner_digest_email(partner.name, day, new, due_this_week, overdue, link)
    key = f"partner_digest:{partner.id}:{today}"
    return queue_email("partner_digest", key, partner.referral_email, rendered, None, now)
