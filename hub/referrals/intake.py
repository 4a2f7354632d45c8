"""New referrals: every flag of a questionnaire as the hub receives it, and more on a
questionnaire already received (a re-route of a declined one, needs found at the follow-up).

A new referral starts ``received``, due to be forwarded within the forwarding SLA, with a
``received`` event on its history. One to a partner that is not taking referrals (paused, no
capacity) is held at the hub: ``hold_reason`` is ``PARTNER_PAUSED`` and a ``held`` event says
so; the lifecycle never forwards it while the partner is paused, and the hub re-routes it.
Every change of status after that is ``hub.referrals.lifecycle``'s. ``now`` comes from the
caller; callers commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm.attributes import set_committed_value

from hub.extensions import db
from hub.models import Organisation, Referral, ReferralEvent, Submission, User
from hub.referrals import sla
from hub.referrals.events import record_event
from hub.status import Status

# ``Referral.hold_reason`` of a referral that arrived while its partner was not taking referrals.
PARTNER_PAUSED = "partner_paused"


def hold_reason_for(partner: Organisation) -> str | None:
    return None if partner.taking_referrals else PARTNER_PAUSED


def is_held(referral: Referral) -> bool:
    """Waiting at the hub because its partner is not taking referrals: never forwarded while
    that lasts; the hub re-routes it ("Waiting: partner paused, re-route it")."""
    return referral.status == Status.RECEIVED and not referral.partner.taking_referrals


def held_message(referral: Referral) -> str:
    """Why a held referral is not forwarded, as a refused forward says it."""
    return (
        f"Referral {referral.reference} is held at the hub: {referral.partner.name} is not "
        "taking referrals. Re-route it to another partner."
    )


def _held_event(partner: Organisation) -> dict:
    return {"kind": "held", "details": {"partner": partner.slug}}


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
            "status": Status.RECEIVED,
            "received_at": now,
            "forward_due_at": due,
            "sla_check_at": warning_at,
            "possible_duplicate_of_id": item.possible_duplicate_of_id,
            "hold_reason": hold_reason_for(item.partner),
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
            ]
            + [
                {
                    "referral_id": referral.id,
                    "actor_id": None,
                    "at": now,
                    **_held_event(item.partner),
                }
                for referral, item in zip(referrals, new, strict=True)
                if referral.hold_reason
            ],
        )
    # The rows came back from RETURNING: tie them to what is already loaded, so showing them
    # costs no further queries.
    for referral, item in zip(referrals, new, strict=True):
        set_committed_value(referral, "partner", item.partner)
        set_committed_value(referral, "submission", submission)
    set_committed_value(submission, "referrals", referrals)
    return referrals


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
    deadline. The questionnaire is locked while they are numbered, so a re-route and a
    follow-up at the same moment never take the same reference."""
    db.session.execute(
        select(Submission.id).where(Submission.id == submission.id).with_for_update()
    )
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
            status=Status.RECEIVED,
            received_at=now,
            forward_due_at=sla.forward_due(now),
            sla_check_at=sla.forward_warning_at(now),
            rerouted_from_id=rerouted_from.id if rerouted_from else None,
            hold_reason=hold_reason_for(item.partner),
        )
        db.session.add(referral)
        record_event(
            referral,
            "received",
            actor,
            now,
            partner=item.partner.slug,
            question=item.question_key,
            rerouted_from=rerouted_from.reference if rerouted_from else None,
            source=source,
        )
        if referral.hold_reason:
            held = _held_event(item.partner)
            record_event(referral, held["kind"], None, now, **held["details"])
        created.append(referral)
    db.session.flush()
    return created
