"""User accounts as the admins' pages (``hub.admin.user_views``) and the admin API
(``hub.api.admin_users``) see them: a searched, paged list with each user's last sign-in, and
the checks of an invitation or a change of role, every wrong field at once. The changes
themselves are ``hub.auth.account_life``'s, which records them in the audit trail; the caller
commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from hub import limits
from hub.auth import account_life, accounts
from hub.auth.accounts import AccountError
from hub.auth.sessions import UserSession
from hub.extensions import db
from hub.models import ROLES, ApiToken, Organisation, User
from hub.pagination import Page
from hub.referrals.client_details import EMAIL

PAGE_SIZE = 25
ROLE_WORDS = {
    "frontline": "Frontline worker",
    "hub": "Hub officer",
    "partner": "Partner agency worker",
    "manager": "Manager",
    "admin": "Admin",
}
NAME_LIMIT = 200  # the column's width (``User.name``)


class Refused(Exception):
    """An invitation or a change refused: the message for each wrong field."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("; ".join(fields.values()))
        self.fields = fields


@dataclass(frozen=True)
class UserRow:
    user: User
    last_sign_in: datetime | None

    @property
    def invited(self) -> bool:
        return waiting_for_password(self.user)


def waiting_for_password(user: User) -> bool:
    """Invited, and has not yet set a password by the link."""
    return user.password_hash == account_life.NO_PASSWORD


def _last_sign_in():
    """Each user's newest session's start: their last sign-in."""
    return (
        select(func.max(UserSession.created_at))
        .where(UserSession.user_id == User.id)
        .correlate(User)
        .scalar_subquery()
    )


def search(text: str, number: int, size: int = PAGE_SIZE) -> Page:
    """A page of users whose name or email holds ``text`` (any case), by name; ``PageNotFound``
    beyond the last page. A partner's signed-link stand-in is not an account, and not listed."""
    conditions = [User.link_referral_id.is_(None)]
    text = (text or "").strip().lower()
    if text:
        conditions.append(
            or_(
                func.lower(User.name).contains(text, autoescape=True),
                User.email.contains(text, autoescape=True),
            )
        )
    total = db.session.scalar(select(func.count(User.id)).where(*conditions))
    page = Page.numbered(number, size, total)
    rows = db.session.execute(
        select(User, _last_sign_in())
        .where(*conditions)
        .order_by(func.lower(User.name), User.email)
        .offset(page.offset)
        .limit(size)
    )
    page.items = [UserRow(user, last) for user, last in rows]
    return page


def account(user_id: int) -> User | None:
    """The account with that id; ``None`` for a signed-link stand-in or no such user."""
    user = db.session.get(User, user_id)
    return user if user is not None and user.link_referral_id is None else None


def last_sign_in(user: User) -> datetime | None:
    return db.session.scalar(
        select(func.max(UserSession.created_at)).where(UserSession.user_id == user.id)
    )


def live_tokens(user: User, now: datetime) -> int:
    return db.session.scalar(
        select(func.count(ApiToken.id)).where(
            ApiToken.user_id == user.id,
            ApiToken.revoked_at.is_(None),
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
        )
    )


def organisation_choices() -> list[Organisation]:
    """The active organisations a user may belong to: the hub, then those that refer, then the
    partner agencies, each by name."""
    order = {"hub": 0, "referrer": 1, "partner": 2}
    found = db.session.scalars(select(Organisation).where(Organisation.active.is_(True)))
    return sorted(found, key=lambda o: (order.get(o.kind, 3), o.name.lower()))


def _organisation(slug: str | None, fields: dict[str, str]) -> Organisation | None:
    organisation = (
        db.session.scalar(select(Organisation).where(Organisation.slug == slug))
        if isinstance(slug, str) and slug
        else None
    )
    if organisation is None:
        fields["organisation"] = "Select an organisation from the list"
    return organisation


def _role(role: str | None, fields: dict[str, str]) -> str | None:
    if role not in ROLES:
        fields["role"] = "Select a role"
        return None
    return role


def _check_organisation(role, organisation, fields: dict[str, str]) -> None:
    if role and organisation is not None:
        problem = accounts.organisation_problem(role, organisation)
        if problem:
            fields["organisation"] = problem


def invite(
    email: str | None, name: str | None, role: str | None, organisation: str | None,
    actor: User, now: datetime,
) -> User:  # fmt: skip
    """Invite a user (``account_life.invite``: an emailed single-use link to set a password);
    ``Refused`` with every wrong field, and nothing done."""
    fields: dict[str, str] = {}
    email = limits.clean(email if isinstance(email, str) else "")
    name = limits.clean(name if isinstance(name, str) else "")
    if not email:
        fields["email"] = "Enter their email address"
    elif len(email) > limits.EMAIL or not EMAIL.match(email) or limits.unstorable(email):
        fields["email"] = "Enter an email address in the correct format, like name@example.com"
    elif accounts.find_user(email) is not None:
        fields["email"] = f"There is already a user with the email {email.lower()}"
    if not name:
        fields["name"] = "Enter their name"
    else:
        problem = limits.text_problem(name, "Name", NAME_LIMIT)
        if problem:
            fields["name"] = problem
    role = _role(role, fields)
    chosen = _organisation(organisation, fields)
    _check_organisation(role, chosen, fields)
    if fields:
        raise Refused(fields)
    try:
        return account_life.invite(email, role, chosen, actor, now, name=name)
    except AccountError as error:
        raise Refused({error.field or "email": str(error)}) from None


def change(
    user: User, role: str | None, organisation: str | None, actor: User, now: datetime
) -> User:
    """A new role or organisation (``account_life.change_role``); ``Refused`` naming the field."""
    fields: dict[str, str] = {}
    role = _role(role, fields)
    chosen = _organisation(organisation, fields)
    _check_organisation(role, chosen, fields)
    if fields:
        raise Refused(fields)
    try:
        return account_life.change_role(user.email, role, chosen, actor, now)
    except AccountError as error:
        raise Refused({error.field or "role": str(error)}) from None


def switch_active(user: User, active: bool, actor: User, now: datetime) -> User:
    """Deactivate or reactivate; ``Refused`` naming ``active`` (the last active admin)."""
    change_it = account_life.activate if active else account_life.deactivate
    try:
        return change_it(user.email, actor, now)
    except AccountError as error:
        raise Refused({"active": str(error)}) from None
