"""Writing a referral's history: who did what, when, as ``ReferralEvent`` rows.

Every change the lifecycle makes, every new referral and every note is written here, in the
caller's transaction. The SLA watch's warnings, chases and breaches are written once each: their
``key`` is unique. How the history reads on a page is the pages' data layers'.
"""

from __future__ import annotations

from datetime import datetime

from hub.extensions import db, insert_or_skip
from hub.models import Referral, ReferralEvent, User


def record_event(
    referral: Referral, kind: str, actor: User | None, now: datetime, **details
) -> ReferralEvent:
    """One event on the referral's history; details that are ``None`` are left out."""
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
