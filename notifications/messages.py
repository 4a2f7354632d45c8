"""What the hub tells people, and when: each function builds one kind of message from its
text templates (``templates/notifications/<kind>.txt`` and ``.html``) and queues it in the
outbox, in the caller's transaction.

A message carries a reference and a link, never the client's name, address, phone, postcode
or date of birth: the templates are given none of them, so they cannot show them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, render_template
from sqlalchemy import exists, select

from hub.clock import in_london
from hub.extensions import db
from hub.models import Organisation, OutboxMessage, PartnerLinkCode, Referral, User
from hub.questionnaire_versions import definition_of
from notifications import outbox
from partners import links

EMAIL = "email"
SMS = "sms"

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


def render_sms(template: str, **context) -> Rendered:
    """One SMS from its plain-text template, with the same care as ``render``."""
    body = render_template(f"notifications/{template}.txt", **context)
    return Rendered(subject=None, body=" ".join(body.split()), html=None)


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
        return current_app.config["HUB_BASE_URL"] + links.portal_referral_path(referral.id), False
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


def referral_forwarded(referral: Referral, now: datetime) -> OutboxMessage | None:
    """Tell the partner it has a new referral and when the client must be contacted by. An
    agency with accounts gets the portal page; one without gets a signed link to the referral."""
    partner = referral.partner
    if not partner.referral_email:
        return None
    link, signed_link = _partner_link(referral, now)
    rendered = referral_forwarded_email(
        referral.reference,
        partner.name,
        _question(referral),
        referral.contact_due_at,
        link,
        signed_link,
    )
    key = f"referral_forwarded:{referral.id}"
    return _email("referral_forwarded", key, partner.referral_email, rendered, referral.id, now)


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


def message_failed(message: OutboxMessage, now: datetime) -> None:
    """A message failed for good (refused, or still failing at the retry limit): hub staff
    should hear of it. Called in the transaction that marks the message ``failed``."""
    log.warning(
        "Outbox message %s (%s to %s) failed: %s",
        message.id,
        message.kind,
        message.channel,
        message.last_error,
    )


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
    ]
