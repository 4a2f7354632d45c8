"""The referral lifecycle: the only place a referral's status changes.

Each transition checks that it is allowed from the current status, stamps its time, writes a
``ReferralEvent`` and leaves committing to the caller, so a change and whatever it implies commit
together or not at all. ``now`` always comes from the caller (see ``hub.clock``).

    received --forward--> forwarded --accept--> accepted --contact--> contacted --close--> closed
        |                     |  \\________________contact__________/            |
        |                     +--decline(reason)--> declined                  reopen(note)
        +--cancel(reason)--> cancelled   (from any open state)

A partner may also close without contact, with an outcome that needs none (``unable_to_contact``
after enough recorded attempts, ``not_eligible``, ``referred_elsewhere``). A declined referral
goes back to the hub, which re-routes it (a new ``received`` referral linked to it) or closes it
as ``no_suitable_service``. A contact attempt that reached the client records the contact.
Withdrawing consent cancels every open referral of the person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, insert, null, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from hub.extensions import db, insert_or_skip
from hub.models import (
    ACCEPTED,
    CANCELLED,
    CLOSED,
    CONTACT_METHODS,
    CONTACTED,
    DECLINED,
    FORWARDED,
    NO_SUITABLE_SERVICE,
    OPEN_STATUSES,
    OUTCOMES,
    RECEIVED,
    Client,
    ContactAttempt,
    Organisation,
    Referral,
    ReferralEvent,
    Submission,
    User,
)
from hub.referrals import sla
from notifications.messages import to_partners, to_referrers_and_clients


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
    "attempt": (FORWARDED, ACCEPTED, CONTACTED),
    "contact": (FORWARDED, ACCEPTED),
    "close": (FORWARDED, ACCEPTED, CONTACTED),
    "decline": (FORWARDED, ACCEPTED),
    "cancel": OPEN_STATUSES,
    "reroute": (DECLINED,),
    "close_declined": (DECLINED,),
    "reopen": (CLOSED,),
}
PAST_TENSE = {
    "forward": "forwarded",
    "accept": "accepted",
    "attempt": "given a contact attempt",
    "contact": "marked as contacted",
    "close": "closed",
    "decline": "declined",
    "cancel": "cancelled",
    "reroute": "re-routed",
    "close_declined": "closed as no suitable service",
    "reopen": "reopened",
}
# How every referral cancelled because the client withdrew consent has its reason begin.
CONSENT_WITHDRAWN = "Consent withdrawn"
# Outcomes a partner may record without having made contact with the client.
OUTCOMES_WITHOUT_CONTACT = ("unable_to_contact", "not_eligible", "referred_elsewhere")


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


def record_sla_event(
    referral: Referral, kind: str, now: datetime, number: int | None = None
) -> bool:
    """Record a warning, chase or breach (``forward_warning``, ``forward_breach``, ``chase``,
    ``contact_breach``) once: its key (``chase:<referral>:<n>``) is unique, so a rerun or a
    second scheduler finds it there. Answers whether this call recorded it."""
    key = f"{kind}:{referral.id}" + (f":{number}" if number is not None else "")
    added = db.session.scalar(
        # The table, not the entity: the watch records many, and the ORM's insert costs more.
        insert_or_skip(ReferralEvent.__table__, "key")
        .values(
            referral_id=referral.id,
            actor_id=None,
            kind=kind,
            at=now,
            details={"number": number} if number is not None else {},
            key=key,
        )
        .returning(ReferralEvent.__table__.c.id)
    )
    return added is not None


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
    warning_at = sla.forward_warning_at(now)
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
            "sla_check_at": warning_at,
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
    chases = sla.chases_at(now)
    referral.sla_check_at = chases[0] if chases else referral.contact_due_at
    _record(referral, "forwarded", actor, now, partner=referral.partner.slug)
    to_partners.referral_forwarded(referral, now)
    to_referrers_and_clients.questionnaire_changed(referral, now)
    return referral


def accept_referral(referral: Referral, actor: User | None, now: datetime) -> Referral:
    _check(referral, "accept")
    referral.status = ACCEPTED
    referral.accepted_at = now
    _record(referral, "accepted", actor, now)
    return referral


def _when(value: datetime | None, referral: Referral, now: datetime, field: str) -> datetime:
    """A moment the user says something happened: not in the future, not before forwarding."""
    if value is None:
        return now
    if value > now:
        raise InvalidTransitionInput(field, "The date and time must be in the past")
    if referral.forwarded_at is not None and value < referral.forwarded_at:
        raise InvalidTransitionInput(
            field, "The date and time must be after the referral was forwarded"
        )
    return value


def record_contact(
    referral: Referral,
    actor: User | None,
    now: datetime,
    notes: str | None = None,
    contacted_at: datetime | None = None,
) -> Referral:
    """The partner has made contact with the client (at ``contacted_at``, by default now)."""
    _check(referral, "contact")
    contacted_at = _when(contacted_at, referral, now, "contacted_at")
    referral.status = CONTACTED
    referral.contacted_at = contacted_at
    referral.sla_check_at = None  # never chased again
    _record(
        referral,
        "contacted",
        actor,
        now,
        notes=(notes or "").strip() or None,
        contacted_at=contacted_at.isoformat() if contacted_at != now else None,
    )
    return referral


def record_attempt(
    referral: Referral,
    actor: User | None,
    now: datetime,
    method: str,
    reached: bool,
    attempted_at: datetime | None = None,
    notes: str | None = None,
) -> ContactAttempt:
    """An attempt to reach the client. One that reached them also records the contact, if the
    partner had not made contact yet."""
    if method not in CONTACT_METHODS:
        raise InvalidTransitionInput(
            "method", "Choose how you tried to contact the client: " + ", ".join(CONTACT_METHODS)
        )
    if not isinstance(reached, bool):
        raise InvalidTransitionInput("reached", "Say whether the attempt reached the client")
    _check(referral, "attempt")
    attempted_at = _when(attempted_at, referral, now, "attempted_at")
    notes = (notes or "").strip() or None
    if notes and len(notes) > 2000:
        raise InvalidTransitionInput("notes", "Notes must be 2000 characters or fewer")
    attempt = ContactAttempt(
        referral=referral,
        attempted_at=attempted_at,
        method=method,
        reached=reached,
        notes=notes,
        recorded_by_id=actor.id if actor else None,
        recorded_at=now,
    )
    db.session.add(attempt)
    _record(
        referral,
        "attempt",
        actor,
        now,
        method=method,
        reached=reached,
        attempted_at=attempted_at.isoformat(),
        notes=notes,
    )
    if reached and referral.status in WITH_PARTNER:
        record_contact(referral, actor, now, contacted_at=attempted_at)
    return attempt


def attempt_count(referral: Referral) -> int:
    """Recorded attempts to reach the client, read from the database."""
    return db.session.scalar(
        select(db.func.count(ContactAttempt.id)).where(ContactAttempt.referral_id == referral.id)
    )


def close_referral(
    referral: Referral, actor: User | None, now: datetime, outcome: str, notes: str | None = None
) -> Referral:
    """Close with an outcome. Without contact, only an outcome that needs none; "unable to
    contact" needs at least HUB_UNABLE_TO_CONTACT_ATTEMPTS recorded attempts."""
    if outcome not in OUTCOMES:
        raise InvalidTransitionInput("outcome", "Choose an outcome: " + ", ".join(OUTCOMES))
    _check(referral, "close")
    if referral.status != CONTACTED and outcome not in OUTCOMES_WITHOUT_CONTACT:
        raise TransitionNotAllowed(
            referral,
            "closed",
            f"Referral {referral.reference} has no contact with the client recorded: record the "
            "contact before closing it with this outcome.",
        )
    if outcome == "unable_to_contact":
        needed = sla.unable_to_contact_attempts()
        made = attempt_count(referral)
        if made < needed:
            raise InvalidTransitionInput(
                "outcome",
                f"Record at least {needed} attempts to contact the client before closing as "
                f"unable to contact ({made} recorded so far)",
            )
    notes = (notes or "").strip() or None
    if notes and len(notes) > 2000:
        raise InvalidTransitionInput("notes", "Notes must be 2000 characters or fewer")
    referral.status = CLOSED
    referral.closed_at = now
    referral.sla_check_at = None
    referral.outcome = outcome
    _record(referral, "closed", actor, now, outcome=outcome, notes=notes)
    to_referrers_and_clients.questionnaire_changed(referral, now)
    return referral


def decline_referral(
    referral: Referral, actor: User | None, now: datetime, reason: str
) -> Referral:
    reason = _required_text(reason, "reason", "Reason for declining is required")
    _check(referral, "decline")
    referral.status = DECLINED
    referral.declined_at = now
    referral.sla_check_at = None
    referral.status_reason = reason
    _record(referral, "declined", actor, now, reason=reason)
    return referral


def cancel_referral(referral: Referral, actor: User | None, now: datetime, reason: str) -> Referral:
    reason = _required_text(reason, "reason", "Reason for cancelling is required")
    _check(referral, "cancel")
    referral.status = CANCELLED
    referral.cancelled_at = now
    referral.sla_check_at = None
    referral.status_reason = reason
    _record(referral, "cancelled", actor, now, reason=reason)
    to_referrers_and_clients.questionnaire_changed(referral, now)
    return referral


def reroute_referral(
    declined: Referral,
    partner: Organisation,
    actor: User | None,
    now: datetime,
    note: str | None = None,
) -> Referral:
    """Send a declined referral's need to another partner: a new ``received`` referral, linked
    to the declined one, with a fresh forwarding deadline. The declined one stays declined."""
    _check(declined, "reroute")
    if partner.kind != "partner" or not partner.active:
        raise InvalidTransitionInput("partner", "Choose an active partner agency")
    if partner.id == declined.partner_id:
        raise InvalidTransitionInput(
            "partner", f"{partner.name} declined this referral: choose another partner"
        )
    if rerouted_to(declined) is not None:
        raise TransitionNotAllowed(
            declined, "re-routed", f"Referral {declined.reference} has already been re-routed."
        )
    note = (note or "").strip() or None
    (new,) = add_referrals(
        declined.submission,
        [NewReferral(declined.question_key, partner)],
        actor,
        now,
        rerouted_from=declined,
    )
    _record(declined, "rerouted", actor, now, partner=partner.slug, to=new.reference, note=note)
    return new


def rerouted_to(referral: Referral) -> Referral | None:
    return db.session.scalar(select(Referral).where(Referral.rerouted_from_id == referral.id))


def close_declined(
    referral: Referral, actor: User | None, now: datetime, notes: str | None = None
) -> Referral:
    """The hub closes a declined referral for which no other partner suits."""
    _check(referral, "close_declined")
    if rerouted_to(referral) is not None:
        raise TransitionNotAllowed(
            referral, "closed", f"Referral {referral.reference} has already been re-routed."
        )
    referral.status = CLOSED
    referral.closed_at = now
    referral.sla_check_at = None
    referral.outcome = NO_SUITABLE_SERVICE
    _record(
        referral,
        "closed",
        actor,
        now,
        outcome=NO_SUITABLE_SERVICE,
        notes=(notes or "").strip() or None,
    )
    to_referrers_and_clients.questionnaire_changed(referral, now)
    return referral


def reopen_referral(referral: Referral, actor: User | None, now: datetime, note: str) -> Referral:
    """Hub staff reopen a closed referral, with a note saying why. It goes back to the stage it
    was closed from; the outcome it had is kept in the history."""
    note = _required_text(note, "note", "Note is required")
    _check(referral, "reopen")
    if referral.contacted_at is not None:
        back_to = CONTACTED
    elif referral.declined_at is not None:
        back_to = DECLINED
    elif referral.accepted_at is not None:
        back_to = ACCEPTED
    else:
        back_to = FORWARDED
    previous = referral.outcome
    referral.status = back_to
    referral.closed_at = None
    referral.outcome = None
    # Waiting on the partner again: the watch works out at its next run what is due.
    referral.sla_check_at = now if back_to in WITH_PARTNER else None
    _record(referral, "reopened", actor, now, note=note, previous_outcome=previous)
    return referral


def add_referrals(
    submission: Submission,
    new: list[NewReferral],
    actor: User | None,
    now: datetime,
    rerouted_from: Referral | None = None,
    source: str | None = None,
) -> list[Referral]:
    """More ``received`` referrals on a questionnaire already received (a re-route, or needs
    found at the follow-up), numbered after its existing ones, each with a fresh forwarding
    deadline."""
    taken = db.session.scalar(
        select(db.func.count(Referral.id)).where(Referral.submission_id == submission.id)
    )
    created = []
    for number, item in enumerate(new, start=taken + 1):
        referral = Referral(
            reference=f"{submission.reference}-{number:02d}",
            submission=submission,
            partner=item.partner,
            question_key=item.question_key,
            status=RECEIVED,
            received_at=now,
            forward_due_at=sla.forward_due(now),
            sla_check_at=sla.forward_warning_at(now),
            rerouted_from_id=rerouted_from.id if rerouted_from else None,
        )
        db.session.add(referral)
        _record(
            referral,
            "received",
            actor,
            now,
            partner=item.partner.slug,
            question=item.question_key,
            rerouted_from=rerouted_from.reference if rerouted_from else None,
            source=source,
        )
        created.append(referral)
    db.session.flush()
    return created


def withdraw_consent(
    client: Client, actor: User | None, now: datetime, reason: str
) -> list[Referral]:
    """The person withdrew consent: cancel every open referral of theirs (every questionnaire
    recorded for the same name and date of birth) with the reason, and note the withdrawal on
    their records. Partners holding any of them see them cancelled with the reason."""
    reason = _required_text(reason, "reason", "Reason is required")
    people = select(Client.id).where(Client.match_key == client.match_key)
    referrals = list(
        db.session.scalars(
            select(Referral)
            .join(Submission, Referral.submission_id == Submission.id)
            .where(Submission.client_id.in_(people), Referral.status.in_(OPEN_STATUSES))
            .order_by(Referral.id)
            .with_for_update(of=Referral)
        )
    )
    for referral in referrals:
        cancel_referral(referral, actor, now, f"{CONSENT_WITHDRAWN}: {reason}")
        to_partners.referral_cancelled(referral, now)  # only those the partner had been sent
    db.session.execute(
        update(Client)
        .where(Client.match_key == client.match_key, Client.consent_withdrawn_at.is_(None))
        .values(consent_withdrawn_at=now)
    )
    client.consent_withdrawn_at = client.consent_withdrawn_at or now
    return referrals


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


def forward_overdue_clause(now: datetime):
    """``is_forward_overdue`` in SQL: waiting at the hub past the forwarding deadline."""
    return and_(Referral.status == RECEIVED, Referral.forward_due_at <= now)


def contact_overdue_clause(now: datetime):
    """``is_contact_overdue`` in SQL: with the partner past the contact deadline."""
    return and_(
        Referral.status.in_(WITH_PARTNER),
        Referral.contact_due_at.is_not(None),
        Referral.contact_due_at <= now,
    )


def overdue_clause(now: datetime):
    """``is_overdue`` in SQL: waiting at the hub past the forwarding deadline, or with the
    partner past the contact deadline."""
    return or_(forward_overdue_clause(now), contact_overdue_clause(now))


__all__ = [
    "ALLOWED_FROM",
    "CONSENT_WITHDRAWN",
    "OUTCOMES_WITHOUT_CONTACT",
    "add_referrals",
    "attempt_count",
    "close_declined",
    "record_attempt",
    "reopen_referral",
    "reroute_referral",
    "rerouted_to",
    "withdraw_consent",
    "WITH_PARTNER",
    "current_deadline",
    "contact_overdue_clause",
    "current_deadline_clause",
    "forward_overdue_clause",
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
