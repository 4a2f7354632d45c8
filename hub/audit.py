"""The audit trail: who viewed or exported which person's details, and every change to an
account, kept apart from the referral history (docs/design.md, "Audit trail").

``record`` adds one ``audit_event`` row in the caller's transaction: one INSERT, no read. The
actor is a user, or ``None`` for the command line. ``person_id`` is the client's id where the
event is about a person; it is a plain number, not a foreign key, so the trail outlives the
person's details (retention and erasure remove those, never who looked at them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import JSON, ForeignKey, String, func, insert, or_, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.models import Referral, Submission, User
from hub.pagination import Page

CLI = "command line"

# Every action the trail records, in words for the admins' page.
ACTIONS = {
    "viewed_person": "Viewed a person's details",
    "exported": "Exported",
    "user_created": "Created a user",
    "invited": "Invited a user",
    "user_deactivated": "Deactivated a user",
    "user_activated": "Reactivated a user",
    "tokens_revoked": "Revoked API tokens",
    "token_issued": "Issued an API token",
    "role_changed": "Changed a role",
    "organisation_changed": "Moved a user to another organisation",
    "organisation_added": "Added an organisation",
    "organisation_renamed": "Renamed an organisation",
    "organisation_deactivated": "Deactivated an organisation",
    "organisation_activated": "Reactivated an organisation",
    "password_reset_sent": "Sent a password reset link",
    "password_set": "Set a password",
    "person_exported": "Exported everything held about a person",
    "person_erased": "Erased a person's details on request",
    "same_person_confirmed": "Confirmed two questionnaires are about the same person",
    "two_factor_set_up": "Set up a second factor",
    "two_factor_reset": "Reset a second factor",
    "recovery_code_used": "Signed in with a recovery code",
    "area_created": "Added an area",
    "area_changed": "Changed an area",
    "area_deleted": "Deleted an area",
    "partner_created": "Added a partner agency",
    "partner_changed": "Changed a partner agency",
}


class AuditEvent(db.Model):
    """One thing done: who (a user, or the command line), when, what, about whom."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    # Who, as written at the time: the user's email, or "command line".
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40), index=True)
    # The client (``client.id``) it is about, if any; not a foreign key (see the module's doc).
    person_id: Mapped[int | None] = mapped_column(index=True)
    # What it was about, in a few words: a referral's reference, a user's email.
    subject: Mapped[str] = mapped_column(String(254), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    actor_user: Mapped[User | None] = relationship()


def record(
    actor: User | None,
    action: str,
    now: datetime,
    person_id: int | None = None,
    subject: str = "",
    details: dict | None = None,
) -> None:
    """One event, in the caller's transaction (one INSERT). ``actor`` None is the command line."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    db.session.execute(
        insert(AuditEvent).values(
            created_at=now,
            actor_id=actor.id if actor is not None else None,
            actor=actor.email if actor is not None else CLI,
            action=action,
            person_id=person_id,
            subject=subject[:254],
            details=details or {},
        )
    )


def viewed(
    actor: User, where: str, now: datetime, *, referral: Referral | None = None,
    submission: Submission | None = None,
) -> None:  # fmt: skip
    """``actor`` saw the person's details of ``referral`` or ``submission`` on ``where`` (a
    page, or an API route), and commit. A page or the API calls it once it has rendered what
    it shows, so the INSERT is the request's last statement and nothing it read is expired."""
    shown = submission if submission is not None else referral.submission
    record(
        actor,
        "viewed_person",
        now,
        person_id=shown.client_id,
        subject=(referral or submission).reference,
        details={"where": where},
    )
    db.session.commit()


# --- The admins' page ---------------------------------------------------------------------------

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilters:
    who: str = ""  # part of the actor's email, or "command line"
    action: str = ""
    person: str = ""  # a client's id, or a referral's or submission's reference
    start: date | None = None
    end: date | None = None


def _person_condition(text: str):
    """Events about a person: by the client's id, or by a reference of theirs (the events
    about that person, whatever page they were seen on)."""
    text = text.strip()
    if text.isdigit():
        return AuditEvent.person_id == int(text)
    upper = text.upper()
    client = select(Submission.client_id).where(func.upper(Submission.reference) == upper)
    by_referral = (
        select(Submission.client_id)
        .join(Referral, Referral.submission_id == Submission.id)
        .where(func.upper(Referral.reference) == upper)
    )
    return or_(
        func.upper(AuditEvent.subject) == upper,
        AuditEvent.person_id.in_(client.union(by_referral).scalar_subquery()),
    )


def events(filters: AuditFilters, number: int, size: int = PAGE_SIZE) -> Page:
    """A page of events, newest first."""
    conditions = []
    if filters.who:
        conditions.append(AuditEvent.actor.contains(filters.who.strip().lower(), autoescape=True))
    if filters.action:
        conditions.append(AuditEvent.action == filters.action)
    if filters.person:
        conditions.append(_person_condition(filters.person))
    if filters.start:
        conditions.append(AuditEvent.created_at >= datetime.combine(filters.start, time()))
    if filters.end:
        end = datetime.combine(filters.end + timedelta(days=1), time())
        conditions.append(AuditEvent.created_at < end)
    total = db.session.scalar(select(func.count(AuditEvent.id)).where(*conditions))
    page = Page.numbered(number, size, total)
    page.items = list(
        db.session.scalars(
            select(AuditEvent)
            .where(*conditions)
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .offset(page.offset)
            .limit(size)
        )
    )
    return page


HISTORY_SIZE = 100


def about(
    subject: str, actions: tuple[str, ...] | None = None, limit: int = HISTORY_SIZE
) -> list[AuditEvent]:
    """The events about one subject (a user's email, an organisation's, partner's or area's
    slug), newest first: the history an admin's page about it shows. ``actions`` keeps only
    those, so a slug that names two kinds of thing shows each only its own."""
    conditions = [AuditEvent.subject == subject]
    if actions is not None:
        conditions.append(AuditEvent.action.in_(actions))
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(*conditions)
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )
