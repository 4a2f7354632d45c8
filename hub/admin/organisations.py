"""The organisations that refer (kind ``referrer``): added, renamed, deactivated and reactivated
by an admin, on the pages (``hub.admin.organisation_views``) and through the API
(``hub.api.admin_users``) alike. Each change is recorded in the audit trail with the
organisation's slug as its subject; the caller commits.

A new organisation's slug is its name, slugified (``accounts.slugify``), and never changes after:
renaming keeps the slug, so links and the audit trail keep finding it. Deactivating an
organisation deactivates its active users too (``account_life.deactivate``, each recorded);
reactivating it lets users be reactivated, one by one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select

from hub import audit, limits
from hub.auth import account_life, accounts
from hub.auth.accounts import AccountError
from hub.extensions import db
from hub.models import Organisation, User

REFERRER = "referrer"
# What an organisation's page shows as its history.
HISTORY_ACTIONS = (
    "organisation_added",
    "organisation_renamed",
    "organisation_deactivated",
    "organisation_activated",
)
NAME_LIMIT = 200  # the column's width (``Organisation.name``)


def referrers() -> list[tuple[Organisation, int]]:
    """Every organisation that refers, active ones first, by name; with its active users."""
    active_users = (
        select(func.count(User.id))
        .where(User.organisation_id == Organisation.id, User.active.is_(True))
        .correlate(Organisation)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Organisation, active_users)
        .where(Organisation.kind == REFERRER)
        .order_by(Organisation.active.desc(), func.lower(Organisation.name), Organisation.id)
    )
    return [(organisation, users) for organisation, users in rows]


def referrer(organisation_id: int) -> Organisation | None:
    organisation = db.session.get(Organisation, organisation_id)
    return organisation if organisation is not None and organisation.kind == REFERRER else None


def referrer_by_slug(slug: str) -> Organisation | None:
    return db.session.scalar(
        select(Organisation).where(Organisation.slug == slug, Organisation.kind == REFERRER)
    )


def active_users(organisation: Organisation) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.organisation_id == organisation.id, User.active.is_(True))
            .order_by(User.email)
        )
    )


def _clean_name(name: str | None, keep: Organisation | None = None) -> tuple[str, str]:
    """The name as it will be stored and its slug, or ``AccountError`` naming ``name``."""
    text = limits.clean(name if isinstance(name, str) else "")
    if not text:
        raise AccountError("Enter the organisation’s name", "name")
    if limits.unstorable(text):
        raise AccountError(f"Name {limits.UNSTORABLE}", "name")
    if len(text) > NAME_LIMIT:
        raise AccountError(limits.too_long("Name", NAME_LIMIT), "name")
    slug = accounts.slugify(text)
    if not slug:
        raise AccountError("Enter a name with letters or numbers in it", "name")
    same = db.session.scalar(
        select(Organisation).where(
            or_(Organisation.slug == slug, func.lower(Organisation.name) == text.lower())
        )
    )
    if same is not None and same is not keep:
        raise AccountError(f"There is already an organisation called {same.name}", "name")
    return text, slug


def add(name: str, actor: User | None, now: datetime) -> Organisation:
    text, slug = _clean_name(name)
    organisation = Organisation(slug=slug, name=text, kind=REFERRER, created_at=now)
    db.session.add(organisation)
    db.session.flush()
    audit.record(actor, "organisation_added", now, subject=slug, details={"name": text})
    return organisation


def rename(organisation: Organisation, name: str, actor: User | None, now: datetime) -> None:
    text, _ = _clean_name(name, keep=organisation)
    if text == organisation.name:
        raise AccountError(f"The organisation is already called {text}", "name")
    before = organisation.name
    organisation.name = text
    audit.record(
        actor,
        "organisation_renamed",
        now,
        subject=organisation.slug,
        details={"before": {"name": before}, "after": {"name": text}},
    )


def deactivate(organisation: Organisation, actor: User | None, now: datetime) -> int:
    """The organisation is no longer offered for new users, and its active users are
    deactivated (signed out, their tokens answer 401). How many users were deactivated."""
    if not organisation.active:
        raise AccountError(f"{organisation.name} is already deactivated", "active")
    users = active_users(organisation)
    for user in users:
        account_life.deactivate(user.email, actor, now)
    organisation.active = False
    audit.record(
        actor,
        "organisation_deactivated",
        now,
        subject=organisation.slug,
        details={"users_deactivated": len(users)},
    )
    return len(users)


def activate(organisation: Organisation, actor: User | None, now: datetime) -> None:
    if organisation.active:
        raise AccountError(f"{organisation.name} is already active", "active")
    organisation.active = True
    audit.record(actor, "organisation_activated", now, subject=organisation.slug)


def history(organisation: Organisation) -> list[audit.AuditEvent]:
    """The organisation's recorded changes, newest first."""
    return audit.about(organisation.slug, HISTORY_ACTIONS)
