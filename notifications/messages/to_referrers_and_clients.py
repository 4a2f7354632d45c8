"""What the referrer and the client hear as a questionnaire's referrals move on
(``questionnaire_changed``, called by ``hub.referrals.lifecycle``):

- the referrer, once, when the questionnaire has been passed on (nothing left waiting at the
  hub, something forwarded), and once when every referral is finished;
- the client, once, only if they asked to hear by SMS or email and have not withdrawn consent:
  which agencies will be in touch, signed with the hub organisation's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from hub.extensions import db
from hub.models import Organisation, OutboxMessage, Referral, Submission
from hub.status import OPEN_WITH_PARTNER, Status
from notifications import outbox
from notifications.kinds import EMAIL, SMS
from notifications.messages.rendering import (
    Rendered,
    hub_url,
    queue_email,
    queue_sms,
    render,
    render_sms,
    uk_day,
)


@dataclass(frozen=True)
class Agency:
    """One agency a questionnaire went to, as a referrer's or client's message names it."""

    name: str
    reference: str
    contact_due: str  # a date, UK time


def _agencies(referrals: list[Referral], still_to_contact: bool = False) -> list[Agency]:
    """The agencies a questionnaire went to (not counting cancelled referrals); with
    ``still_to_contact``, only those still to get in touch with the client."""
    wanted = (
        OPEN_WITH_PARTNER
        if still_to_contact
        else (*OPEN_WITH_PARTNER, Status.CLOSED, Status.DECLINED)
    )
    return [
        Agency(referral.partner.name, referral.reference, uk_day(referral.contact_due_at))
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
    return referral.status in (Status.CLOSED, Status.CANCELLED) or (
        referral.status == Status.DECLINED and referral.id in rerouted
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
    if not any(r.status == Status.RECEIVED for r in referrals) and any(
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
        queued.append(queue_email("referrer_forwarded", key, recipient, rendered, cause.id, now))
    client = submission.client
    key = f"client_forwarded:{submission.id}"
    agencies = _agencies(referrals, still_to_contact=True)
    if not agencies or client.consent_withdrawn_at is not None or outbox.find(key) is not None:
        return queued
    if client.preferred_contact == SMS and client.phone:
        rendered = client_forwarded_sms(submission.reference, agencies, hub_name())
        queued.append(queue_sms("client_forwarded", key, client.phone, rendered, cause.id, now))
    elif client.preferred_contact == EMAIL and client.email:
        rendered = client_forwarded_email(submission.reference, agencies, hub_name())
        queued.append(queue_email("client_forwarded", key, client.email, rendered, cause.id, now))
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
    return [queue_email("referrer_all_closed", key, recipient, rendered, cause.id, now)]
