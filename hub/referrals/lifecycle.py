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
Withdrawing consent cancels the open referrals of the client, and of the others hub staff
confirm are the same person.

A referral to a partner not taking referrals is never forwarded: it is held at the hub
(``intake.is_held``) and re-routed, which cancels it and links it to the new one. Once the
partner takes referrals again it may be forwarded; forwarding clears its ``hold_reason``.

Before forwarding, hub staff may send a referral to another partner that can take its need
(``change_partner``, from ``hub.referrals.partner_choice``): it stays ``received``, and a hold
for a paused partner ends. A note may be marked for the partner, who then reads it.

The statuses each change may start from, and the refusals, are in
``hub.referrals.transition_rules``; callers use them from here. A referral is made ``received``
by ``hub.referrals.intake``; the events are written by
``hub.referrals.events``; which deadline applies and whether it has passed is
``hub.referrals.overdue``'s.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from hub.extensions import db
from hub.models import (
    CONTACT_METHODS,
    Client,
    ContactAttempt,
    Organisation,
    Referral,
    ReferralEvent,
    Submission,
    User,
)
from hub.referrals import partner_choice, sla
from hub.referrals.events import record_event
from hub.referrals.intake import NewReferral, add_referrals, is_held
from hub.referrals.transition_rules import (  # the callers' names for them are lifecycle's
    ALLOWED_FROM,  # noqa: F401
    PAST_TENSE,  # noqa: F401
    InvalidTransitionInput,
    TransitionNotAllowed,
    refusal,  # noqa: F401
)
from hub.referrals.transition_rules import check as _check
from hub.referrals.transition_rules import held_refusal as _held
from hub.referrals.transition_rules import optional_text as _optional_text
from hub.referrals.transition_rules import required_text as _required_text
from hub.status import (
    OPEN_STATUSES,
    OUTCOMES_WITHOUT_CONTACT,
    PARTNER_OUTCOMES,
    WITH_PARTNER,
    Outcome,
    Status,
)
from notifications.messages import to_partners, to_referrers_and_clients

# How every referral cancelled because the client withdrew consent has its reason begin.
CONSENT_WITHDRAWN = "Consent withdrawn"
# A hub note the partner reads (``add_note``); other notes stay the hub's.
PARTNER_NOTE = "partner_note"


def forward_referral(referral: Referral, actor: User | None, now: datetime) -> Referral:
    _check(referral, "forward")
    referral.status = Status.FORWARDED
    referral.forwarded_at = now
    referral.hold_reason = None  # held while its partner was paused, taking referrals again
    referral.contact_due_at = sla.contact_due(now)
    chases = sla.chases_at(now)
    referral.sla_check_at = chases[0] if chases else referral.contact_due_at
    record_event(referral, "forwarded", actor, now, partner=referral.partner.slug)
    to_partners.referral_forwarded(referral, now)
    to_referrers_and_clients.questionnaire_changed(referral, now)
    return referral


def accept_referral(referral: Referral, actor: User | None, now: datetime) -> Referral:
    _check(referral, "accept")
    referral.status = Status.ACCEPTED
    referral.accepted_at = now
    record_event(referral, "accepted", actor, now)
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
    notes = _optional_text(notes, "notes")
    referral.status = Status.CONTACTED
    referral.contacted_at = contacted_at
    referral.sla_check_at = None  # never chased again
    record_event(
        referral,
        "contacted",
        actor,
        now,
        notes=notes,
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
    notes = _optional_text(notes, "notes")
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
    record_event(
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
    if outcome not in PARTNER_OUTCOMES:
        raise InvalidTransitionInput("outcome", "Choose an outcome: " + ", ".join(PARTNER_OUTCOMES))
    _check(referral, "close")
    if referral.status != Status.CONTACTED and outcome not in OUTCOMES_WITHOUT_CONTACT:
        raise TransitionNotAllowed(
            referral,
            "closed",
            f"Referral {referral.reference} has no contact with the client recorded: record the "
            "contact before closing it with this outcome.",
        )
    if outcome == Outcome.UNABLE_TO_CONTACT:
        needed = sla.unable_to_contact_attempts()
        made = attempt_count(referral)
        if made < needed:
            raise InvalidTransitionInput(
                "outcome",
                f"Record at least {needed} attempts to contact the client before closing as "
                f"unable to contact ({made} recorded so far)",
            )
    notes = _optional_text(notes, "notes")
    referral.status = Status.CLOSED
    referral.closed_at = now
    referral.sla_check_at = None
    referral.outcome = outcome
    record_event(referral, "closed", actor, now, outcome=outcome, notes=notes)
    to_referrers_and_clients.questionnaire_changed(referral, now)
    return referral


def decline_referral(
    referral: Referral, actor: User | None, now: datetime, reason: str
) -> Referral:
    reason = _required_text(reason, "reason", "Reason for declining is required")
    _check(referral, "decline")
    referral.status = Status.DECLINED
    referral.declined_at = now
    referral.sla_check_at = None
    referral.status_reason = reason
    record_event(referral, "declined", actor, now, reason=reason)
    return referral


def cancel_referral(referral: Referral, actor: User | None, now: datetime, reason: str) -> Referral:
    reason = _required_text(reason, "reason", "Reason for cancelling is required")
    _check(referral, "cancel")
    referral.status = Status.CANCELLED
    referral.cancelled_at = now
    referral.sla_check_at = None
    referral.status_reason = reason
    record_event(referral, "cancelled", actor, now, reason=reason)
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
    to the declined one, with a fresh forwarding deadline. The declined one stays declined; one
    held because its partner is paused is cancelled, saying where it went.

    Decided once: the caller holds the declined referral locked, so a second re-route at once
    waits and then finds the first; the unique index on ``rerouted_from_id`` refuses a second
    link whatever happens (a refusal, never an error, for a path that forgot the lock)."""
    _check(declined, "reroute")
    if partner.kind != "partner" or not partner.active:
        raise InvalidTransitionInput("partner", "Choose an active partner agency")
    if partner.id == declined.partner_id:
        raise InvalidTransitionInput(
            "partner",
            f"{partner.name} declined this referral: choose another partner"
            if declined.status == Status.DECLINED
            else f"{partner.name} is not taking referrals: choose another partner",
        )
    if not partner.taking_referrals:
        raise InvalidTransitionInput(
            "partner", f"{partner.name} is not taking referrals: choose another partner"
        )
    already = TransitionNotAllowed(
        declined, "re-routed", f"Referral {declined.reference} has already been re-routed."
    )
    if rerouted_to(declined) is not None:
        raise already
    note = _optional_text(note, "note", "Note")
    try:
        (new,) = add_referrals(
            declined.submission,
            [NewReferral(declined.question_key, partner)],
            actor,
            now,
            rerouted_from=declined,
        )
    except IntegrityError:  # the caller rolls back, as for any refusal
        raise already from None
    record_event(
        declined, "rerouted", actor, now, partner=partner.slug, to=new.reference, note=note
    )
    if declined.status == Status.RECEIVED:  # held: it ends here, its need goes on in ``new``
        declined.status = Status.CANCELLED
        declined.cancelled_at = now
        declined.sla_check_at = None
        declined.status_reason = (
            f"Re-routed to {partner.name}: {declined.partner.name} is not taking referrals"
        )
    return new


def change_partner(
    referral: Referral,
    partner: Organisation,
    actor: User | None,
    now: datetime,
    note: str | None = None,
    seen: Organisation | None = None,
) -> Referral:
    """Send a referral still waiting at the hub to another partner before it is forwarded: one
    of ``partner_choice.other_partners`` (the question's partners for the client's borough, and
    those covering it). It stays ``received`` with its forwarding deadline; a hold for a paused
    partner ends. ``seen`` is the partner the user chose away from: if it changed meanwhile,
    refused. A conditional UPDATE (still received, still to the partner read) decides two
    changes at once: one wins, the other is refused and changes nothing."""
    _check(referral, "change_partner")
    previous = referral.partner
    moved = TransitionNotAllowed(
        referral,
        "given another partner",
        f"Referral {referral.reference} has changed since you opened it: it now goes to "
        f"{previous.name}. Check it and choose again.",
    )
    if seen is not None and seen.id != previous.id:
        raise moved
    if partner.id not in {other.id for other in partner_choice.other_partners(referral)}:
        raise InvalidTransitionInput("partner", partner_choice.why_not(partner, referral))
    note = _optional_text(note, "note", "Note")
    changed = db.session.execute(
        update(Referral)
        .where(
            Referral.id == referral.id,
            Referral.status == Status.RECEIVED,
            Referral.partner_id == previous.id,
        )
        .values(partner_id=partner.id, hold_reason=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise moved
    set_committed_value(referral, "partner_id", partner.id)
    set_committed_value(referral, "partner", partner)
    set_committed_value(referral, "hold_reason", None)
    record_event(
        referral,
        "partner_changed",
        actor,
        now,
        partner=partner.slug,
        previous_partner=previous.slug,
        note=note,
    )
    return referral


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
    notes = _optional_text(notes, "notes")
    referral.status = Status.CLOSED
    referral.closed_at = now
    referral.sla_check_at = None
    referral.outcome = Outcome.NO_SUITABLE_SERVICE
    record_event(
        referral,
        "closed",
        actor,
        now,
        outcome=Outcome.NO_SUITABLE_SERVICE,
        notes=notes,
    )
    to_referrers_and_clients.questionnaire_changed(referral, now)
    return referral


def reopen_referral(referral: Referral, actor: User | None, now: datetime, note: str) -> Referral:
    """Hub staff reopen a closed referral, with a note saying why. It goes back to the stage it
    was closed from; the outcome it had is kept in the history."""
    note = _required_text(note, "note", "Note is required")
    _check(referral, "reopen")
    if referral.contacted_at is not None:
        back_to = Status.CONTACTED
    elif referral.declined_at is not None:
        back_to = Status.DECLINED
    elif referral.accepted_at is not None:
        back_to = Status.ACCEPTED
    else:
        back_to = Status.FORWARDED
    previous = referral.outcome
    referral.status = back_to
    referral.closed_at = None
    referral.outcome = None
    # Waiting on the partner again: the watch works out at its next run what is due.
    referral.sla_check_at = now if back_to in WITH_PARTNER else None
    record_event(referral, "reopened", actor, now, note=note, previous_outcome=previous)
    return referral


def withdraw_consent(
    client: Client,
    actor: User | None,
    now: datetime,
    reason: str,
    same_person: list[Client] | tuple[Client, ...] = (),
) -> list[Referral]:
    """The client withdrew consent: cancel every open referral of their questionnaire with the
    reason, and note the withdrawal on their record. ``same_person`` are the clients of other
    questionnaires that hub staff confirmed are the same person (``hub.referrals.consent``
    offers those with the same name and date of birth): theirs are cancelled and noted too, and
    no one else's, whatever name they share. Partners holding any of them see them cancelled
    with the reason."""
    reason = _required_text(reason, "reason", "Reason is required")
    ids = list(dict.fromkeys([client.id, *(other.id for other in same_person)]))
    referrals = list(
        db.session.scalars(
            select(Referral)
            .join(Submission, Referral.submission_id == Submission.id)
            .where(Submission.client_id.in_(ids), Referral.status.in_(OPEN_STATUSES))
            .order_by(Referral.id)
            .with_for_update(of=Referral)
            # The page and the API loaded some of these before the lock: read them afresh, so
            # the status each is cancelled from is the locked one.
            .execution_options(populate_existing=True)
        )
    )
    for referral in referrals:
        cancel_referral(referral, actor, now, f"{CONSENT_WITHDRAWN}: {reason}")
        to_partners.referral_cancelled(referral, now)  # only those the partner had been sent
    db.session.execute(
        update(Client)
        .where(Client.id.in_(ids), Client.consent_withdrawn_at.is_(None))
        .values(consent_withdrawn_at=now)
    )
    for each in (client, *same_person):
        each.consent_withdrawn_at = each.consent_withdrawn_at or now
    return referrals


def add_note(
    referral: Referral, actor: User | None, now: datetime, text: str, for_partner: bool = False
) -> ReferralEvent:
    """A note on the history (e.g. "phoned the client to confirm"); the status does not change.
    Hub staff's notes are internal; one ``for_partner`` (kind ``partner_note``) is shown to the
    referral's partner too, and the partner is told of it if it already has the referral."""
    text = _required_text(text, "note", "Note is required")
    if not for_partner:
        return record_event(referral, "note", actor, now, note=text)
    event = record_event(referral, PARTNER_NOTE, actor, now, note=text)
    if referral.forwarded_at is not None:
        to_partners.hub_note(referral, event, now)
    return event


def forward_all(submission: Submission, actor: User | None, now: datetime) -> list[Referral]:
    """Forward every flag of a questionnaire still waiting at the hub, but those held because
    their partner is not taking referrals; if those are all there are, refused."""
    waiting = [r for r in submission.referrals if r.status == Status.RECEIVED]
    ready = [r for r in waiting if not is_held(r)]
    if waiting and not ready:
        raise _held(waiting[0])
    for referral in ready:
        forward_referral(referral, actor, now)
    return ready
