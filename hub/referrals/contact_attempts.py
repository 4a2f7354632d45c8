"""When a partner has tried enough to reach a client to close the referral as "unable to
contact".

Enough is at least ``HUB_UNABLE_TO_CONTACT_ATTEMPTS`` recorded attempts (3), made on at least
``HUB_UNABLE_TO_CONTACT_DAYS`` different days (2, counted as UK dates): three calls within three
minutes are one try, not three. The rule applies only before contact with the client was
recorded; after it, "unable to contact" is no longer true and ``hub.referrals.lifecycle``, which
asks this module, refuses it. Attempts are read from the database, so one just added counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from hub.clock import in_london
from hub.extensions import db
from hub.models import ContactAttempt, Referral
from hub.referrals import sla
from hub.status import OUTCOMES_WITHOUT_CONTACT, Outcome, Status


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class AttemptsSoFar:
    """A referral's recorded attempts against what "unable to contact" needs."""

    made: int
    days: int
    needed: int
    days_needed: int

    @property
    def enough(self) -> bool:
        return self.made >= self.needed and self.days >= self.days_needed

    def needs(self) -> str:
        """ "at least 3 attempts to contact the client, on at least 2 different days" """
        words = f"at least {plural(self.needed, 'attempt')} to contact the client"
        if self.days_needed > 1:
            words += f", on at least {self.days_needed} different days"
        return words

    def so_far(self) -> str:
        """ "2 recorded so far, on 1 day" """
        words = f"{self.made} recorded so far"
        if self.days_needed > 1 and self.made:
            words += f", on {plural(self.days, 'day')}"
        return words


def attempt_count(referral: Referral) -> int:
    """Recorded attempts to reach the client, read from the database."""
    return db.session.scalar(
        select(db.func.count(ContactAttempt.id)).where(ContactAttempt.referral_id == referral.id)
    )


def attempts_so_far(referral: Referral) -> AttemptsSoFar:
    moments = db.session.scalars(
        select(ContactAttempt.attempted_at).where(ContactAttempt.referral_id == referral.id)
    ).all()
    return AttemptsSoFar(
        made=len(moments),
        days=len({in_london(moment).date() for moment in moments}),
        needed=sla.unable_to_contact_attempts(),
        days_needed=sla.unable_to_contact_days(),
    )


@dataclass(frozen=True)
class ClosingProblem:
    """Why a referral may not be closed with an outcome: ``field`` is ``None`` when no detail
    could make the outcome fit the referral's stage (a refusal), else the field to fix."""

    message: str
    field: str | None = None


def closing_problem(referral: Referral, outcome: str) -> ClosingProblem | None:
    """Whether the contact recorded, or not, and the attempts allow closing with ``outcome``:
    without contact only an outcome that needs none; "unable to contact" only before contact,
    after enough attempts."""
    contacted = referral.status == Status.CONTACTED
    if not contacted and outcome not in OUTCOMES_WITHOUT_CONTACT:
        return ClosingProblem(
            f"Referral {referral.reference} has no contact with the client recorded: record the "
            "contact before closing it with this outcome."
        )
    if outcome != Outcome.UNABLE_TO_CONTACT:
        return None
    if contacted:
        return ClosingProblem(
            f"Referral {referral.reference} has contact with the client recorded: it cannot be "
            "closed as unable to contact. Close it with what came of the contact."
        )
    so_far = attempts_so_far(referral)
    if so_far.enough:
        return None
    return ClosingProblem(
        f"Record {so_far.needs()} before closing as unable to contact ({so_far.so_far()})",
        "outcome",
    )
