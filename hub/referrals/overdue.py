"""Which deadline applies to a referral now, and whether it has passed.

A referral waiting at the hub has its forwarding deadline; one with the partner, before the first
contact, has its contact deadline; any other has none. Each rule is here twice, for one referral
in Python and for many in SQL (``*_clause``), and the two must agree. The deadlines themselves are
set by ``hub.referrals.sla`` when a referral enters a stage.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, null, or_

from hub.models import Referral
from hub.status import WITH_PARTNER, Status


def current_deadline(referral: Referral) -> tuple[datetime | None, str | None]:
    """The deadline that applies in the referral's status now, and which one it is."""
    if referral.status == Status.RECEIVED:
        return referral.forward_due_at, "forward"
    if referral.status in WITH_PARTNER:
        return referral.contact_due_at, "contact"
    return None, None


def current_deadline_clause():
    """``current_deadline`` in SQL, for ordering a queue by what is due first."""
    return case(
        (Referral.status == Status.RECEIVED, Referral.forward_due_at),
        (Referral.status.in_(WITH_PARTNER), Referral.contact_due_at),
        else_=null(),
    )


def is_forward_overdue(referral: Referral, now: datetime) -> bool:
    return referral.status == Status.RECEIVED and referral.forward_due_at <= now


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
    return and_(Referral.status == Status.RECEIVED, Referral.forward_due_at <= now)


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
