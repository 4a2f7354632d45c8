"""What the hub tells people, and when: each function builds one kind of message from its
text templates (``templates/notifications/<kind>.txt`` and ``.html`` for an email,
``<kind>_sms.txt`` for an SMS) and queues it in the outbox, in the caller's transaction, under
a key naming its cause so that it is queued once.

- Partner agencies: a new referral (email, and SMS to a duty number), a cancelled one, the
  one-time code for a signed link.
- The referrer: their questionnaire has been passed on; later, every referral is finished.
- The client, only if they asked to hear by SMS or email: which agencies will be in touch.
- Hub staff: a message that failed for good (``hub_staff_recipients`` says who they are).

Each kind's text comes from one ``*_email``/``*_sms`` function of plain values, used both by
the real message and by ``previews`` (the samples on the admins' page).

A message carries a reference and a link, never the client's name, address, phone, postcode
or date of birth: the templates are given none of them, so they cannot show them.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, render_template
from sqlalchemy import exists, select

from hub.clock import in_london
from hub.extensions import db
from hub.models import (
    ACCEPTED,
    CANCELLED,
    CLOSED,
    CONTACTED,
    DECLINED,
    FORWARDED,
    RECEIVED,
    Organisation,
    OutboxMessage,
    PartnerLinkCode,
    Referral,
    ReferralEvent,
    Submission,
    User,
)
from hub.referrals.questionnaire_versions import definition_of
from notifications import outbox
from notifications.kinds import EMAIL, SMS, failed_words
from partners import links

# Forwarded and still open: the agency is in touch with the client, or will be.
OPEN_WITH_PARTNER = (FORWARDED, ACCEPTED, CONTACTED)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    body: str
    html: str | None


def render(kind: str, subject: str, **context) -> Rendered:
    """The text and HTML bodies of one kind of email. Only what the caller passes in can
    appear, so callers pass references and links, never a client's details."""
    context = {"subject": subject, **context}
    return Rendered(
        subject=subject,
        body=render_template(f"notifications/{kind}.txt", **context),
        html=render_template(f"notifications/{kind}.html", **context),
    )


# Typography outside the GSM alphabet makes a whole SMS go as UCS-2 (70 characters a segment
# instead of 160), so an SMS uses the plain forms.
GSM_PLAIN = str.maketrans({"–": "-", "—": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "…": "..."})


def render_sms(template: str, **context) -> Rendered:
    """One SMS from its plain-text template, with the same care as ``render``: lines trimmed,
    blank lines dropped, typography in the GSM alphabet."""
    text = render_template(f"notifications/{template}.txt", **context)
    lines = [line.strip() for line in text.splitlines()]
    body = "\n".join(line for line in lines if line).translate(GSM_PLAIN)
    return Rendered(subject=None, body=body, html=None)


@dataclass(frozen=True)
class Preview:
    """A sample of one kind of message on one channel, for the admins' page of message texts:
    rendered from the same templates and the same text-building functions as the real ones."""

    kind: str  # e.g. "referral_forwarded"
    channel: str  # "email" or "sms"
    audience: str  # "Partner agency", "Referrer", "Client", "Hub staff"
    when: str  # in plain words
    subject: str | None  # emails only
    body: str  # the SMS, or the email's text part
    html: str | None  # the email's HTML part


def _email(kind: str, key: str, recipient: str, rendered: Rendered, referral_id, now):
    return outbox.queue(
        key=key,
        kind=kind,
        channel=EMAIL,
        recipient=recipient,
        subject=rendered.subject,
        body=rendered.body,
        html=rendered.html,
        referral_id=referral_id,
        now=now,
    )


def _sms(kind: str, key: str, recipient: str, rendered: Rendered, referral_id, now):
    return outbox.queue(
        key=key,
        kind=kind,
        channel=SMS,
        recipient=recipient,
        subject=None,
        body=rendered.body,
        referral_id=referral_id,
        now=now,
    )


def hub_url(endpoint: str, **values) -> str:
    """A page of the hub as a message links to it: ``HUB_BASE_URL`` and the page's path, built
    from the app's routes (messages are built outside any request)."""
    path = current_app.url_map.bind("hub.invalid").build(endpoint, values)
    return current_app.config["HUB_BASE_URL"] + path


def _london(moment: datetime) -> str:
    return in_london(moment).strftime("%-d %B %Y at %H:%M")


def _question(referral: Referral) -> str:
    definition = definition_of(referral.submission.questionnaire_version)
    try:
        return definition.question(referral.question_key).text
    except KeyError:
        return referral.question_key


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


# --- To partner agencies ------------------------------------------------------------------------


def _partner_link(referral: Referral, now: datetime) -> tuple[str, bool]:
    """The link a partner's messages carry, and whether it is a signed one: the portal page if
    the agency has ordinary users, a signed link to the referral otherwise."""
    if has_accounts(referral.partner):
        return hub_url("partner_portal.referral", referral_id=referral.id), False
    return links.link_url(referral, now), True


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
        contact_due=_london(contact_due),
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
        contact_due=in_london(contact_due).strftime("%-d %b %Y %H:%M"),
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
        key = f"referral_forwarded:{referral.id}"
        queued.append(
            _email("referral_forwarded", key, partner.referral_email, rendered, referral.id, now)
        )
    if partner.sms_number:
        # The agency's own short description of its service says what kind of referral it is
        # in fewer characters than the question.
        about = (partner.description or "").strip() or _question(referral)
        rendered = referral_forwarded_sms(referral.reference, about, referral.contact_due_at, link)
        key = f"referral_forwarded_sms:{referral.id}"
        queued.append(
            _sms("referral_forwarded", key, partner.sms_number, rendered, referral.id, now)
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
    return _email("referral_cancelled", key, partner.referral_email, rendered, referral.id, now)


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
    key = f"partner_link_code:{code.id}"
    return _email("partner_link_code", key, partner.referral_email, rendered, referral.id, now)


# --- To the referrer and the client -------------------------------------------------------------


@dataclass(frozen=True)
class Agency:
    """One agency a questionnaire went to, as a referrer's or client's message names it."""

    name: str
    reference: str
    contact_due: str  # a date, UK time


def _day(moment: datetime) -> str:
    return in_london(moment).strftime("%A %-d %B %Y")


def _agencies(referrals: list[Referral], still_to_contact: bool = False) -> list[Agency]:
    """The agencies a questionnaire went to (not counting cancelled referrals); with
    ``still_to_contact``, only those still to get in touch with the client."""
    wanted = OPEN_WITH_PARTNER if still_to_contact else (*OPEN_WITH_PARTNER, CLOSED, DECLINED)
    return [
        Agency(referral.partner.name, referral.reference, _day(referral.contact_due_at))
        for referral in referrals
        if referral.forwarded_at is not None and referral.status in wanted
    ]


def submitted_questionnaire_url(submission_id: int) -> str:
    """The referrer's page for a questionnaire they submitted (``referrer.questionnaire``)."""
    return hub_url("referrer.questionnaire", submission_id=submission_id)


def hub_name() -> str:
    """Who the client hears from: the hub organisation's name."""
    name = db.session.scalar(
        select(Organisation.name)
        .where(Organisation.kind == "hub", Organisation.active.is_(True))
        .order_by(Organisation.id)
        .limit(1)
    )
    return name or "The SAIL referral hub"


def referrer_forwarded_email(reference: str, agencies: list[Agency], link: str) -> Rendered:
    count = len(agencies)
    return render(
        "referrer_forwarded",
        f"SAIL questionnaire {reference}: passed on to {count} "
        + ("agency" if count == 1 else "agencies"),
        reference=reference,
        agencies=agencies,
        link=link,
    )


def referrer_all_closed_email(reference: str, link: str) -> Rendered:
    return render(
        "referrer_all_closed",
        f"SAIL questionnaire {reference}: every referral is finished",
        reference=reference,
        link=link,
    )


def client_forwarded_email(reference: str, agencies: list[Agency], hub: str) -> Rendered:
    return render(
        "client_forwarded",
        "The services that will get in touch with you",
        reference=reference,
        agencies=agencies,
        hub_name=hub,
    )


def client_forwarded_sms(reference: str, agencies: list[Agency], hub: str) -> Rendered:
    return render_sms("client_forwarded_sms", reference=reference, agencies=agencies, hub_name=hub)


def _finished(referral: Referral, rerouted: set[int]) -> bool:
    """Nothing more will happen to it: closed, cancelled, or declined and passed on to another
    agency (a declined referral not yet re-routed still waits for the hub)."""
    return referral.status in (CLOSED, CANCELLED) or (
        referral.status == DECLINED and referral.id in rerouted
    )


def questionnaire_changed(referral: Referral, now: datetime) -> list[OutboxMessage]:
    """After a referral is forwarded, closed or cancelled: if its questionnaire has now been
    passed on (nothing left waiting at the hub, something forwarded), tell the referrer and,
    if they asked to hear, the client; if every referral is now finished, tell the referrer.
    Each once per questionnaire (its key), tied to the referral whose change caused it."""
    submission = referral.submission
    referrals = list(
        db.session.scalars(
            select(Referral).where(Referral.submission_id == submission.id).order_by(Referral.id)
        )
    )
    queued = []
    if not any(r.status == RECEIVED for r in referrals) and any(
        r.forwarded_at is not None for r in referrals
    ):
        queued += _questionnaire_forwarded(submission, referrals, referral, now)
    rerouted = {r.rerouted_from_id for r in referrals if r.rerouted_from_id is not None}
    if all(_finished(r, rerouted) for r in referrals):
        queued += _questionnaire_finished(submission, referral, now)
    return queued


def _referrer_email(submission: Submission) -> str | None:
    referrer = submission.submitted_by
    if referrer is None or not referrer.active or not referrer.email:
        return None
    return referrer.email


def _questionnaire_forwarded(
    submission: Submission, referrals: list[Referral], cause: Referral, now: datetime
) -> list[OutboxMessage]:
    queued = []
    agencies = _agencies(referrals)
    if not agencies:
        return queued
    recipient = _referrer_email(submission)
    if recipient and outbox.find(f"referrer_forwarded:{submission.id}") is None:
        rendered = referrer_forwarded_email(
            submission.reference, agencies, submitted_questionnaire_url(submission.id)
        )
        key = f"referrer_forwarded:{submission.id}"
        queued.append(_email("referrer_forwarded", key, recipient, rendered, cause.id, now))
    client = submission.client
    key = f"client_forwarded:{submission.id}"
    agencies = _agencies(referrals, still_to_contact=True)
    if not agencies or client.consent_withdrawn_at is not None or outbox.find(key) is not None:
        return queued
    if client.preferred_contact == SMS and client.phone:
        rendered = client_forwarded_sms(submission.reference, agencies, hub_name())
        queued.append(_sms("client_forwarded", key, client.phone, rendered, cause.id, now))
    elif client.preferred_contact == EMAIL and client.email:
        rendered = client_forwarded_email(submission.reference, agencies, hub_name())
        queued.append(_email("client_forwarded", key, client.email, rendered, cause.id, now))
    return queued


def _questionnaire_finished(
    submission: Submission, cause: Referral, now: datetime
) -> list[OutboxMessage]:
    recipient = _referrer_email(submission)
    key = f"referrer_all_closed:{submission.id}"
    if not recipient or outbox.find(key) is not None:
        return []
    rendered = referrer_all_closed_email(
        submission.reference, submitted_questionnaire_url(submission.id)
    )
    return [_email("referrer_all_closed", key, recipient, rendered, cause.id, now)]


# --- To hub staff ---------------------------------------------------------------------------------


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
        failed_at=_london(failed_at),
        link=link,
    )


def _alert_key(message: OutboxMessage, recipient: str) -> str:
    key = f"message_failed:{message.id}:{recipient.casefold()}"
    if len(key) > 200:  # the key column's width; a very long address is hashed
        key = f"message_failed:{message.id}:" + hashlib.sha256(key.encode()).hexdigest()
    return key


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
    queued = []
    for recipient in hub_staff_recipients():
        key = _alert_key(message, recipient)
        queued.append(_email("message_failed", key, recipient, rendered, message.referral_id, now))
    return queued


def hub_referral_url(referral_id: int) -> str:
    """Hub staff's page for one referral (``hub_views.referral``)."""
    return hub_url("hub_views.referral", referral_id=referral_id)


# --- The SLA watch's warnings, chases, escalations and daily messages (``hub.jobs.watch``) --------


@dataclass(frozen=True)
class Flag:
    """One flag of a questionnaire, as hub staff's warnings list it."""

    reference: str
    partner: str


def _staff_key(base: str, recipient: str) -> str:
    """A message to one of hub staff: its cause, then who it is for (hashed if very long)."""
    key = f"{base}:{recipient.casefold()}"
    if len(key) > 200:  # the key column's width
        key = f"{base}:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def _to_hub_staff(kind: str, base: str, rendered: Rendered, referral_id, now) -> list:
    return [
        _email(kind, _staff_key(base, recipient), recipient, rendered, referral_id, now)
        for recipient in hub_staff_recipients()
    ]


def hub_queue_url() -> str:
    """Hub staff's queue (``hub_views.queue``)."""
    return hub_url("hub_views.queue")


def forward_warning_email(reference: str, flags: list[Flag], due: datetime, link: str):
    count = len(flags)
    return render(
        "forward_warning",
        f"Forward by {in_london(due).strftime('%H:%M')}: questionnaire {reference} has "
        + (f"{count} flag" if count == 1 else f"{count} flags")
        + " waiting",
        reference=reference,
        flags=flags,
        due=_london(due),
        link=link,
    )


def forward_overdue_email(reference: str, flags: list[Flag], due: datetime, link: str):
    return render(
        "forward_overdue",
        f"Overdue: questionnaire {reference} not forwarded in time",
        reference=reference,
        flags=flags,
        due=_london(due),
        link=link,
    )


def _flags(referrals: list[Referral]) -> list[Flag]:
    return [Flag(referral.reference, referral.partner.name) for referral in referrals]


def forward_warning(referrals: list[Referral], now: datetime) -> list[OutboxMessage]:
    """Hub staff: flags of one questionnaire still at the hub at the warning moment."""
    first = referrals[0]
    rendered = forward_warning_email(
        first.submission.reference, _flags(referrals), first.forward_due_at, hub_queue_url()
    )
    base = f"forward_warning:{first.id}"
    return _to_hub_staff("forward_warning", base, rendered, first.id, now)


def forward_overdue(referrals: list[Referral], now: datetime) -> list[OutboxMessage]:
    """Hub staff: flags of one questionnaire not forwarded by their deadline."""
    first = referrals[0]
    rendered = forward_overdue_email(
        first.submission.reference, _flags(referrals), first.forward_due_at, hub_queue_url()
    )
    base = f"forward_overdue:{first.id}"
    return _to_hub_staff("forward_overdue", base, rendered, first.id, now)


def contact_overdue_email(
    reference: str, partner_name: str, contact_due: datetime, forwarded: datetime, chases: int,
    link: str,
) -> Rendered:  # fmt: skip
    return render(
        "contact_overdue",
        f"Escalation: {partner_name} has not contacted the client of {reference} in time",
        reference=reference,
        partner_name=partner_name,
        contact_due=_london(contact_due),
        forwarded=_day(forwarded),
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
    return _to_hub_staff(
        "contact_overdue", f"contact_overdue:{referral.id}", rendered, referral.id, now
    )


def partner_chase_email(
    reference: str, partner_name: str, contact_due: datetime, days_left: int, link: str
) -> Rendered:
    return render(
        "partner_chase",
        f"Reminder: contact the client of SAIL referral {reference} by {_day(contact_due)}",
        reference=reference,
        partner_name=partner_name,
        contact_due=_london(contact_due),
        days_left=days_left,
        link=link,
    )


def partner_chase_sms(reference: str, contact_due: datetime, link: str) -> Rendered:
    return render_sms(
        "partner_chase_sms",
        reference=reference,
        contact_due=in_london(contact_due).strftime("%-d %b %Y %H:%M"),
        link=link,
    )


def partner_chase(referral: Referral, number: int, now: datetime) -> list[OutboxMessage]:
    """The partner's ``number``-th reminder to contact the client: email to its referral address
    and SMS to its duty number, where it has them."""
    partner = referral.partner
    link, _ = _partner_link(referral, now)
    days_left = max(0, (referral.contact_due_at - now).days)
    queued = []
    if partner.referral_email:
        rendered = partner_chase_email(
            referral.reference, partner.name, referral.contact_due_at, days_left, link
        )
        key = f"partner_chase:{referral.id}:{number}"
        queued.append(
            _email("partner_chase", key, partner.referral_email, rendered, referral.id, now)
        )
    if partner.sms_number:
        rendered = partner_chase_sms(referral.reference, referral.contact_due_at, link)
        key = f"partner_chase_sms:{referral.id}:{number}"
        queued.append(_sms("partner_chase", key, partner.sms_number, rendered, referral.id, now))
    return queued


def follow_ups_url() -> str:
    """Hub staff's follow-up list (``follow_ups.due_list``)."""
    return hub_url("follow_ups.due_list")


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
    listed = [DueFollowUp(s.reference, _day(s.follow_up_due_at)) for s in submissions]
    rendered = follow_ups_due_email(count, listed, follow_ups_url())
    return _to_hub_staff("follow_ups_due", f"follow_ups_due:{today}", rendered, None, now)


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


def partner_inbox_url() -> str:
    """The partner portal's inbox (``partner_portal.inbox``)."""
    return hub_url("partner_portal.inbox")


def partner_digest(
    partner: Organisation, new: int, due_this_week: int, overdue: int, today: str, now: datetime
) -> OutboxMessage | None:
    """A partner's daily digest of the referrals waiting on it. An agency without accounts has
    no inbox to link to: its referrals open from their own signed links."""
    if not partner.referral_email:
        return None
    link = partner_inbox_url() if has_accounts(partner) else None
    day = _day(datetime.fromisoformat(today))
    rendered = partner_digest_email(partner.name, day, new, due_this_week, overdue, link)
    key = f"partner_digest:{partner.id}:{today}"
    return _email("partner_digest", key, partner.referral_email, rendered, None, now)


# --- Samples for the admins' page ---------------------------------------------------------------

SAMPLE_NOW = datetime(2026, 3, 2, 10, 15)  # naive UTC, as stored
SAMPLE_SUBMISSION = "SAIL-7K3Q-PX"
SAMPLE_REFERENCE = f"{SAMPLE_SUBMISSION}-01"
SAMPLE_PARTNER = "London Fire Brigade – Home Fire Safety Visits"
SAMPLE_QUESTION = (
    "Would you like a free home fire safety visit from the fire brigade, including checking "
    "your smoke alarms?"
)
SAMPLE_CONTACT_DUE = datetime(2026, 3, 16, 10, 15)
SAMPLE_SERVICE = "A free home visit to check smoke alarms and talk through fire risks."
SAMPLE_AGENCIES = [
    Agency(SAMPLE_PARTNER, SAMPLE_REFERENCE, _day(SAMPLE_CONTACT_DUE)),
    Agency("NHS Falls Prevention Service", f"{SAMPLE_SUBMISSION}-02", _day(SAMPLE_CONTACT_DUE)),
    Agency("Silver Line Befriending", f"{SAMPLE_SUBMISSION}-03", _day(SAMPLE_CONTACT_DUE)),
]
SAMPLE_HUB = "Age UK Lambeth and Southwark (SAIL hub)"
SAMPLE_REFERRER = "Sam Okafor"


def _sample_link() -> str:
    return current_app.config["HUB_BASE_URL"] + "/partner/links/sample-signed-link"


def _preview(kind, channel, audience, when, rendered: Rendered) -> Preview:
    return Preview(kind, channel, audience, when, rendered.subject, rendered.body, rendered.html)


def previews() -> list[Preview]:
    """One sample of every kind of message on every channel it goes by, with made-up values.
    Needs only an application context."""
    link = _sample_link()
    return [
        _preview(
            "referral_forwarded",
            EMAIL,
            "Partner agency",
            "When the hub forwards a referral to the agency",
            referral_forwarded_email(
                SAMPLE_REFERENCE, SAMPLE_PARTNER, SAMPLE_QUESTION, SAMPLE_CONTACT_DUE, link, True
            ),
        ),
        _preview(
            "referral_cancelled",
            EMAIL,
            "Partner agency",
            "When a referral the agency had been sent is cancelled (the client withdrew consent)",
            referral_cancelled_email(SAMPLE_REFERENCE, SAMPLE_PARTNER),
        ),
        _preview(
            "partner_link_code",
            EMAIL,
            "Partner agency",
            "When someone at an agency without accounts asks for a code to open a signed link",
            partner_link_code_email(
                SAMPLE_REFERENCE, SAMPLE_PARTNER, "482913", SAMPLE_NOW + timedelta(minutes=15)
            ),
        ),
        _preview(
            "referral_forwarded",
            SMS,
            "Partner agency",
            "When the hub forwards a referral to an agency with a duty number for SMS",
            referral_forwarded_sms(SAMPLE_REFERENCE, SAMPLE_SERVICE, SAMPLE_CONTACT_DUE, link),
        ),
        _preview(
            "referrer_forwarded",
            EMAIL,
            "Referrer",
            "When the hub has passed on every flag of their questionnaire",
            referrer_forwarded_email(
                SAMPLE_SUBMISSION, SAMPLE_AGENCIES, submitted_questionnaire_url(1234)
            ),
        ),
        _preview(
            "referrer_all_closed",
            EMAIL,
            "Referrer",
            "When the last open referral of their questionnaire is closed or cancelled",
            referrer_all_closed_email(SAMPLE_SUBMISSION, submitted_questionnaire_url(1234)),
        ),
        _preview(
            "client_forwarded",
            SMS,
            "Client",
            "When the hub has passed on every flag, if the client asked to hear by text message",
            client_forwarded_sms(SAMPLE_SUBMISSION, SAMPLE_AGENCIES, SAMPLE_HUB),
        ),
        _preview(
            "client_forwarded",
            EMAIL,
            "Client",
            "When the hub has passed on every flag, if the client asked to hear by email",
            client_forwarded_email(SAMPLE_SUBMISSION, SAMPLE_AGENCIES, SAMPLE_HUB),
        ),
        _preview(
            "message_failed",
            EMAIL,
            "Hub staff",
            "When a message fails for good (refused, or still failing after a day of retries)",
            message_failed_email(
                SAMPLE_REFERENCE,
                failed_words("referral_forwarded", SMS, SAMPLE_PARTNER, SAMPLE_REFERRER),
                "Twilio error 30003: undelivered",
                SAMPLE_NOW,
                hub_referral_url(5678),
            ),
        ),
        _preview(
            "forward_warning",
            EMAIL,
            "Hub staff",
            "When a questionnaire's flags are still at the hub 20 hours after it was received",
            forward_warning_email(
                SAMPLE_SUBMISSION, _sample_flags(), SAMPLE_NOW + timedelta(hours=4), hub_queue_url()
            ),
        ),
        _preview(
            "forward_overdue",
            EMAIL,
            "Hub staff",
            "When a questionnaire's flags are not forwarded within 24 hours",
            forward_overdue_email(SAMPLE_SUBMISSION, _sample_flags(), SAMPLE_NOW, hub_queue_url()),
        ),
        _preview(
            "partner_chase",
            EMAIL,
            "Partner agency",
            "At day 7 and day 12 after forwarding, while no contact with the client is recorded",
            partner_chase_email(SAMPLE_REFERENCE, SAMPLE_PARTNER, SAMPLE_CONTACT_DUE, 7, link),
        ),
        _preview(
            "partner_chase",
            SMS,
            "Partner agency",
            "With each reminder, to an agency with a duty number for SMS",
            partner_chase_sms(SAMPLE_REFERENCE, SAMPLE_CONTACT_DUE, link),
        ),
        _preview(
            "contact_overdue",
            EMAIL,
            "Hub staff",
            "When the partner has not recorded contact by the contact deadline (day 14)",
            contact_overdue_email(
                SAMPLE_REFERENCE,
                SAMPLE_PARTNER,
                SAMPLE_CONTACT_DUE,
                SAMPLE_CONTACT_DUE - timedelta(days=14),
                2,
                hub_referral_url(5678),
            ),
        ),
        _preview(
            "follow_ups_due",
            EMAIL,
            "Hub staff",
            "Once a day from 08:00, when questionnaires are due a follow-up call",
            follow_ups_due_email(
                4,
                [
                    DueFollowUp(f"SAIL-{code}", _day(SAMPLE_NOW - timedelta(days=days)))
                    for code, days in (("2D8M-QT", 2), ("7K3Q-PX", 0), ("9H4R-WB", 0))
                ],
                follow_ups_url(),
            ),
        ),
        _preview(
            "partner_digest",
            EMAIL,
            "Partner agency",
            "Once a day from 08:00, to each agency with referrals waiting for contact",
            partner_digest_email(SAMPLE_PARTNER, _day(SAMPLE_NOW), 2, 3, 1, partner_inbox_url()),
        ),
    ]


def _sample_flags() -> list[Flag]:
    return [Flag(agency.reference, agency.name) for agency in SAMPLE_AGENCIES]
