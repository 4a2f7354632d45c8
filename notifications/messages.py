"""What the hub tells people, and when: each function builds one kind of message from its
text templates (``templates/notifications/<kind>.txt`` and ``.html``) and queues it in the
outbox, in the caller's transaction.

A message carries a reference and a link, never the client's name, address, phone, postcode
or date of birth: the templates are given none of them, so they cannot show them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, render_template
from sqlalchemy import exists, select

from hub.clock import in_london
from hub.extensions import db
from hub.models import Organisation, OutboxMessage, PartnerLinkCode, Referral, User
from hub.questionnaire_versions import definition_of
from notifications import outbox
from partners import links

EMAIL = "email"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    html: str


def render(kind: str, subject: str, **context) -> Rendered:
    """The text and HTML bodies of one kind of message. Only what the caller passes in can
    appear, so callers pass references and links, never a client's details."""
    context = {"subject": subject, **context}
    return Rendered(
        subject=subject,
        body=render_template(f"notifications/{kind}.txt", **context),
        html=render_template(f"notifications/{kind}.html", **context),
    )


def _email(kind: str, key: str, recipient: str, rendered: Rendered, referral: Referral, now):
    return outbox.queue(
        key=key,
        kind=kind,
        channel=EMAIL,
        recipient=recipient,
        subject=rendered.subject,
        body=rendered.body,
        html=rendered.html,
        referral_id=referral.id,
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


def referral_forwarded(referral: Referral, now: datetime) -> OutboxMessage | None:
    """Tell the partner it has a new referral and when the client must be contacted by. An
    agency with accounts gets the portal page; one without gets a signed link to the referral."""
    partner = referral.partner
    if not partner.referral_email:
        return None
    signed_link = not has_accounts(partner)
    if signed_link:
        link = links.link_url(referral, now)
    else:
        link = current_app.config["HUB_BASE_URL"] + links.portal_referral_path(referral.id)
    rendered = render(
        "referral_forwarded",
        f"New SAIL referral {referral.reference}",
        reference=referral.reference,
        partner_name=partner.name,
        question=_question(referral),
        contact_due=_london(referral.contact_due_at),
        link=link,
        link_days=current_app.config["HUB_PARTNER_LINK_DAYS"],
        signed_link=signed_link,
    )
    key = f"referral_forwarded:{referral.id}"
    return _email("referral_forwarded", key, partner.referral_email, rendered, referral, now)


def referral_cancelled(referral: Referral, now: datetime) -> OutboxMessage | None:
    """Tell the partner to stop work on a referral it had been sent."""
    partner = referral.partner
    if not partner.referral_email or referral.forwarded_at is None:
        return None
    rendered = render(
        "referral_cancelled",
        f"SAIL referral {referral.reference} cancelled: do not contact the client",
        reference=referral.reference,
        partner_name=partner.name,
    )
    key = f"referral_cancelled:{referral.id}"
    return _email("referral_cancelled", key, partner.referral_email, rendered, referral, now)


def partner_link_code(
    referral: Referral, code: PartnerLinkCode, plain_code: str, now: datetime
) -> OutboxMessage:
    """The one-time code that opens a signed link, to the agency's registered email only."""
    partner = referral.partner
    rendered = render(
        "partner_link_code",
        f"Your code for SAIL referral {referral.reference}",
        reference=referral.reference,
        partner_name=partner.name,
        code=plain_code,
        minutes=current_app.config["HUB_PARTNER_CODE_MINUTES"],
        expires_at=in_london(code.expires_at).strftime("%H:%M"),
    )
    key = f"partner_link_code:{code.id}"
    return _email("partner_link_code", key, partner.referral_email, rendered, referral, now)


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
