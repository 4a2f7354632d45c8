"""The referral lifecycle: the only place a referral's status changes.

Each transition checks that it is allowed from the current status, stamps its time, writes a
``ReferralEvent`` and leaves committing to the caller, so a change and whatever it implies commit
together or not at all. ``now`` always comes from the caller (see ``hub.clock``).

    received --forward--> forwarded --accept--> accepted --contact--> contacted --close--> closed
        |                     |  \\________________contact__________/
        |                     +--decline(reason)--> declined
        +--cancel(reason)--> cancelled   (from any open state)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, insert, null, or_
from sqlalchemy.orm.attributes import set_committed_value

from hub import sla
from hub.extensions import db
from hub.models import (
    ACCEPTED,
    CANCELLED,
    CLOSED,
    CONTACTED,
    DECLINED,
    FORWARDED,
    OPEN_STATUSES,
    OUTCOMES,
    RECEIVED,
    Organisation,
    Referral,
    ReferralEvent,
    Submission,
    User,
)


class TransitionNotAllowed(Exception):
    """The referral is not in a state that allows this change. Nothing was changed."""

    def __init__(self, referral: Referral, action: str, message: str | None = None):
        self.referral = referral
        self.action = action
        super().__init__(
            message
            or f"Referral {referral.reference} is {referral.status}: it cannot be {action} now."
        )


class InvalidTransitionInput(ValueError):
    """The change was asked for with missing or bad details (a reason, an outcome)."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


# The statuses each action may start from.
ALLOWED_FROM = {
    "forward": (RECEIVED,),
    "accept": (FORWARDED,),
    "contact": (FORWARDED, ACCEPTED),
    "close": (CONTACTED,),
    "decline": (FORWARDED, ACCEPTED),
    "cancel": OPEN_STATUSES,
}
PAST_TENSE = {
    "forward": "forwarded",
    "accept": "accepted",
    "contact": "marked as contacted",
    "close": "closed",
    "decline": "declined",
    "cancel": "cancelled",
}


def _check(referral: Referral, action: str) -> None:
    if referral.status not in ALLOWED_FROM[action]:
        raise TransitionNotAllowed(referral, PAST_TENSE[action])


def _record(
    referral: Referral, kind: str, actor: User | None, now: datetime, **details
) -> ReferralEvent:
    event = ReferralEvent(
        referral=referral,
        actor_id=actor.id if actor else None,
        kind=kind,
        at=now,
        details={k: v for k, v in details.items() if v is not None},
    )
    db.session.add(event)
    return event


def _required_text(value: str | None, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidTransitionInput(field, message)
    if len(text) > 2000:
        raise InvalidTransitionInput(
            field, f"{message.split(' ')[0]} must be 2000 characters or fewer"
        )
    return text


@dataclass(frozen=True)
class NewReferral:
    """One flag of a submission, to become a ``received`` referral."""

    question_key: str
    partner: Organisation
    possible_duplicate_of_id: int | None = None


def receive_referrals(
    submission: Submission, new: list[NewReferral], now: datetime, actor: User | None
) -> list[Referral]:
    """Every flag of a submission as a ``received`` referral due to be forwarded within the
    forwarding SLA, each with its event. Two statements whatever the number of flags: this is
    the path every questionnaire takes, so it is kept lean. The submission must be flushed."""
    due = sla.forward_due(now)
    wanted = {f"{submission.reference}-{number:02d}": item for number, item in enumerate(new, 1)}
    rows = [
        {
            "reference": reference,
            "submission_id": submission.id,
            "partner_id": item.partner.id,
            "question_key": item.question_key,
            "status": RECEIVED,
            "received_at": now,
            "forward_due_at": due,
            "possible_duplicate_of_id": item.possible_duplicate_of_id,
        }
        for reference, item in wanted.items()
    ]
    # One multi-row INSERT; RETURNING may come back in any order, so match rows by reference.
    returned = db.session.scalars(insert(Referral).returning(Referral), rows) if rows else []
    referrals = sorted(returned, key=lambda referral: referral.reference)
    new = [wanted[referral.reference] for referral in referrals]
    if referrals:
        db.session.execute(
            insert(ReferralEvent),
            [
                {
                    "referral_id": referral.id,
                    "actor_id": actor.id if actor else None,
                    "kind": "received",
                    "at": now,
                    "details": {"partner": item.partner.slug, "question": item.question_key},
                }
                for referral, item in zip(referrals, new, strict=True)
            ],
        )
    # The rows came back from RETURNING: tie them to what is already loaded, so showing them
    # costs no further queries.
    for referral, item in zip(referrals, new, strict=True):
        set_committed_value(referral, "partner", item.partner)
        set_committed_value(referral, "submission", submission)
    set_committed_value(submission, "referrals", referrals)
    return referrals


def forward_referral(referral: Referral, actor: User | None, now: datetime) -> Referral:
    _check(referral, "forward")
    referral.status = FORWARDED
    referral.forwarded_at = now
    referral.contact_due_at = sla.contact_due(now)
    _record(referral, "forwarded", actor, now, partner=referral.partner.slug)
    return referral


def accept_referral(referral: Referral, actor: User | None, now: datetime) -> Referral:
    _check(referral, "accept")
    referral.status = ACCEPTED
    referral.accepted_at = now
    _record(referral, "accepted", actor, now)
    return referral


def record_contact(
    referral: Referral, actor: User | None, now: datetime, notes: str | None = None
) -> Referral:
    _check(referral, "contact")
    referral.status = CONTACTED
    referral.contacted_at = now
    _record(referral, "contacted", actor, now, notes=(notes or "").strip() or None)
    return referral


def close_referral(
    referral: Referral, actor: User | None, now: datetime, outcome: str, notes: str | None = None
) -> Referral:
    if outcome not in OUTCOMES:
        raise InvalidTransitionInput("outcome", "Choose an outcome: " + ", ".join(OUTCOMES))
    _check(referral, "close")
    referral.status = CLOSED
    referral.closed_at = now
    referral.outcome = outcome
    _record(referral, "closed", actor, now, outcome=outcome, notes=(notes or "").strip() or None)
    return referral


def decline_referral(
    referral: Referral, actor: User | None, now: datetime, reason: str
) -> Referral:
    reason = _required_text(reason, "reason", "Reason for declining is required")
    _check(referral, "decline")
    referral.status = DECLINED
    referral.declined_at = now
    referral.status_reason = reason
    _record(referral, "declined", actor, now, reason=reason)
    return referral


def cancel_referral(referral: Referral, actor: User | None, now: datetime, reason: str) -> Referral:
    reason = _required_text(reason, "reason", "Reason for cancelling is required")
    _check(referral, "cancel")
    referral.status = CANCELLED
    referral.cancelled_at = now
    referral.status_reason = reason
    _record(referral, "cancelled", actor, now, reason=reason)
    return referral


def add_note(referral: Referral, actor: User | None, now: datetime, text: str) -> ReferralEvent:
    """A note on the history (e.g. "phoned the client to confirm"); the status does not change."""
    text = _required_text(text, "note", "Note is required")
    return _record(referral, "note", actor, now, note=text)


def forward_all(submission: Submission, actor: User | None, now: datetime) -> list[Referral]:
    """Forward every flag of a questionnaire still waiting at the hub."""
    waiting = [r for r in submission.referrals if r.status == RECEIVED]
    for referral in waiting:
        forward_referral(referral, actor, now)
    return waiting


# The statuses in which the partner owes the client a first contact.
WITH_PARTNER = (FORWARDED, ACCEPTED)


def current_deadline(referral: Referral) -> tuple[datetime | None, str | None]:
    """The deadline that applies in the referral's status now, and which one it is."""
    if referral.status == RECEIVED:
        return referral.forward_due_at, "forward"
    if referral.status in WITH_PARTNER:
        return referral.contact_due_at, "contact"
    return None, None


def current_deadline_clause():
    """``current_deadline`` in SQL, for ordering a queue by what is due first."""
    return case(
        (Referral.status == RECEIVED, Referral.forward_due_at),
        (Referral.status.in_(WITH_PARTNER), Referral.contact_due_at),
        else_=null(),
    )


def is_forward_overdue(referral: Referral, now: datetime) -> bool:
    return referral.status == RECEIVED and referral.forward_due_at <= now


def is_contact_overdue(referral: Referral, now: datetime) -> bool:
    return (
        referral.status in WITH_PARTNER
        and referral.contact_due_at is not None
        and referral.contact_due_at <= now
    )


def is_overdue(referral: Referral, now: datetime) -> bool:
    return is_forward_overdue(referral, now) or is_contact_overdue(referral, now)


def overdue_clause(now: datetime):
    """``is_overdue`` in SQL: waiting at the hub past the forwarding deadline, or with the
    partner past the contact deadline."""
    return or_(
        and_(Referral.status == RECEIVED, Referral.forward_due_at <= now),
        and_(
            Referral.status.in_(WITH_PARTNER),
            Referral.contact_due_at.is_not(None),
            Referral.contact_due_at <= now,
        ),
    )


__all__ = [
    "ALLOWED_FROM",
    "WITH_PARTNER",
    "current_deadline",
    "current_deadline_clause",
    "overdue_clause",
    "CANCELLED",
    "CLOSED",
    "DECLINED",
    "InvalidTransitionInput",
    "TransitionNotAllowed",
    "accept_referral",
    "add_note",
    "cancel_referral",
    "close_referral",
    "decline_referral",
    "forward_all",
    "forward_referral",
    "is_contact_overdue",
    "is_forward_overdue",
    "is_overdue",
    "NewReferral",
    "receive_referrals",
    "record_contact",
]
