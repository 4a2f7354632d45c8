"""An account's life after it is created: invitation and password reset by an emailed
single-use link, deactivation and reactivation, revoking API tokens. The commands
(``hub.cli``) call these; so will the admins' pages. Each change is recorded in the audit trail
(``hub.audit``) in the caller's transaction; the caller commits.

An account link (``account_link``) is stored as the SHA-256 of its token, like API tokens: the
token is long and random, so a fast hash is safe, and the table alone opens nothing. A link
works once, until it expires (``HUB_INVITE_LINK_HOURS``, ``HUB_RESET_LINK_HOURS``); setting a
password voids every other unused link of that user.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import generate_password_hash

from hub import audit
from hub.auth import accounts, sessions
from hub.auth.accounts import AccountError
from hub.extensions import db
from hub.models import ApiToken, Organisation, User

INVITE = "invite"
RESET = "reset"
PURPOSES = (INVITE, RESET)
# A password hash no password matches (werkzeug reads it as malformed): an invited user has no
# usable password until they set one by the link.
NO_PASSWORD = "!no-password"


class AccountLink(db.Model):
    """One emailed link to set a password: an invitation or a reset."""

    __tablename__ = "account_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class LinkProblem(Exception):
    """A link that cannot set a password, with the words the page shows."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _user(email: str) -> User:
    user = accounts.find_user(email)
    if user is None or user.link_referral_id is not None:
        raise AccountError(f"No user with the email {email.strip()}")
    return user


def _hours(purpose: str) -> int:
    setting = "HUB_INVITE_LINK_HOURS" if purpose == INVITE else "HUB_RESET_LINK_HOURS"
    return current_app.config[setting]


# --- Deactivation, reactivation, API tokens ------------------------------------------------------


def _active_admins() -> int:
    """How many admins are active, with their rows locked (``FOR UPDATE`` on PostgreSQL; SQLite
    lets one writer in at a time): of two admins removing each other at once, the second
    counts after the first has committed, so one admin always stays."""
    return len(
        db.session.scalars(
            select(User.id)
            .where(User.role == "admin", User.active.is_(True))
            .order_by(User.id)
            .with_for_update()
        ).all()
    )


def _refuse_losing_the_last_admin(user: User, field: str) -> None:
    if user.role == "admin" and user.active and _active_admins() <= 1:
        raise AccountError(
            f"{user.email} is the last active admin: make another admin first", field
        )


def deactivate(email: str, actor: User | None, now: datetime) -> User:
    """The user can no longer sign in: every session of theirs ends on the server now, and
    their API tokens answer 401. Refused for the last active
    admin, who would leave nobody to reactivate anyone from the pages."""
    user = _user(email)
    if not user.active:
        raise AccountError(f"{user.email} is already deactivated", "active")
    _refuse_losing_the_last_admin(user, "active")
    user.active = False
    sessions.end_all(user, now)
    audit.record(actor, "user_deactivated", now, subject=user.email)
    return user


def activate(email: str, actor: User | None, now: datetime) -> User:
    """Reverse ``deactivate``. Tokens revoked before stay revoked."""
    user = _user(email)
    if user.active:
        raise AccountError(f"{user.email} is already active", "active")
    user.active = True
    audit.record(actor, "user_activated", now, subject=user.email)
    return user


def revoke_tokens(email: str, actor: User | None, now: datetime) -> int:
    """Every live API token of the user answers 401 from now on; how many were live."""
    user = _user(email)
    revoked = db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount
    audit.record(actor, "tokens_revoked", now, subject=user.email, details={"tokens": revoked})
    return revoked


def issue_token(email: str, actor: User | None, now: datetime) -> str:
    user = _user(email)
    if not user.active:
        raise AccountError(f"{user.email} is deactivated: activate it first")
    token = accounts.issue_token(user, now)
    audit.record(actor, "token_issued", now, subject=user.email)
    return token


def change_role(
    email: str, role: str, organisation: Organisation, actor: User | None, now: datetime
) -> User:
    """Give the user another role or organisation (or both), by the rule of
    ``accounts.organisation_problem``. The last active admin keeps the admin role. A new role
    ends the user's sessions: they sign in again as what they now are (a second factor, if the
    new role needs one). Recorded with the role and organisation before and after."""
    user = _user(email)
    if role not in accounts.ROLES:
        raise AccountError(f"Role must be one of: {', '.join(accounts.ROLES)}", "role")
    problem = accounts.organisation_problem(role, organisation)
    if problem:
        raise AccountError(problem, "organisation")
    if role == user.role and organisation.id == user.organisation_id:
        raise AccountError(
            f"{user.email} is already a {role} user of {organisation.name}: change something",
            "role",
        )
    if role != "admin":
        _refuse_losing_the_last_admin(user, "role")
    before = {"role": user.role, "organisation": user.organisation.slug}
    after = {"role": role, "organisation": organisation.slug}
    role_changed = role != user.role
    user.role = role
    user.organisation = organisation
    if role_changed:
        sessions.end_all(user, now)
    audit.record(
        actor,
        "role_changed" if role_changed else "organisation_changed",
        now,
        subject=user.email,
        details={"before": before, "after": after},
    )
    return user


# --- Invitations and password resets ------------------------------------------------------------


def _new_link(user: User, purpose: str, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(
        AccountLink(
            user=user,
            purpose=purpose,
            token_hash=_hash(token),
            created_at=now,
            expires_at=now + timedelta(hours=_hours(purpose)),
        )
    )
    db.session.flush()
    return token


def invite(
    email: str, role: str, organisation: Organisation, actor: User | None, now: datetime,
    name: str = "",
) -> User:  # fmt: skip
    """A new user with no usable password, emailed a link to set one."""
    from notifications.messages import to_account_holders

    problem = accounts.organisation_problem(role, organisation)
    if problem:
        raise AccountError(problem, "organisation")
    # The rules of ``create_user`` (role, organisation, email, no duplicate), with a throwaway
    # password that is then made unusable.
    user = accounts.create_user(email, role, organisation, secrets.token_urlsafe(24), now, name)
    user.password_hash = NO_PASSWORD
    token = _new_link(user, INVITE, now)
    to_account_holders.account_invite(user, token, _hours(INVITE), now)
    audit.record(
        actor,
        "invited",
        now,
        subject=user.email,
        details={"role": role, "organisation": organisation.slug},
    )
    return user


def send_reset(email: str, actor: User | None, now: datetime) -> User:
    """Email the user a link to set a new password; their current password still works until
    then."""
    from notifications.messages import to_account_holders

    user = _user(email)
    if not user.active:
        raise AccountError(f"{user.email} is deactivated: activate it first", "active")
    token = _new_link(user, RESET, now)
    to_account_holders.password_reset(user, token, _hours(RESET), now)
    audit.record(actor, "password_reset_sent", now, subject=user.email)
    return user


def link_for(token: str, now: datetime) -> AccountLink:
    """The link a token opens, or ``LinkProblem`` saying why it cannot be used."""
    link = db.session.scalar(select(AccountLink).where(AccountLink.token_hash == _hash(token)))
    if link is None:
        raise LinkProblem("This link is not valid. Check you copied the whole link from the email.")
    if link.used_at is not None:
        raise LinkProblem(
            "This link has already been used. If you need to set your password again, ask an "
            "administrator for a new link."
        )
    if link.expires_at <= now:
        raise LinkProblem("This link has expired. Ask an administrator to send you a new link.")
    if not link.user.active:
        raise LinkProblem("This account has been deactivated. Ask an administrator.")
    return link


def set_password(token: str, password: str, now: datetime) -> User:
    """Set the password by a link, once: ``AccountError`` for a password the rule refuses,
    ``LinkProblem`` for a link that cannot be used (another tab used it first, say)."""
    link = link_for(token, now)
    accounts.check_password_strength(password, link.user.email)
    # Claim the link: of two requests at once, one wins.
    claimed = db.session.execute(
        update(AccountLink)
        .where(AccountLink.id == link.id, AccountLink.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if claimed != 1:
        raise LinkProblem("This link has already been used.")
    db.session.execute(
        update(AccountLink)
        .where(AccountLink.user_id == link.user_id, AccountLink.used_at.is_(None))
        .values(used_at=now)
    )
    user = link.user
    user.password_hash = generate_password_hash(
        password, method=current_app.config["PASSWORD_HASH_METHOD"]
    )
    sessions.end_all(user, now)  # a reset ends whatever a guessed or stolen password opened
    audit.record(user, "password_set", now, subject=user.email, details={"by": link.purpose})
    return user
