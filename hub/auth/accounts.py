"""Organisations, users, passwords and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from hub import limits
from hub.extensions import db
from hub.models import ORGANISATION_KINDS, ROLES, ApiToken, Organisation, User

TOKEN_PREFIX = "sail_"


class AccountError(ValueError):
    """A change refused, in words for the person; ``field`` names what was wrong (``email``,
    ``role``, ``organisation``), for a form's error or the API's ``fields``."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# The kind of organisation each role belongs to: the rule the admins' pages and API apply when
# they invite a user or change a role (``organisation_problem``).
ROLE_ORGANISATION_KIND = {
    "frontline": "referrer",
    "partner": "partner",
    "hub": "hub",
    "manager": "hub",
    "admin": "hub",
}
KIND_WORDS = {"referrer": "an organisation that refers", "partner": "a partner agency",
              "hub": "the hub"}  # fmt: skip


def organisation_problem(role: str, organisation: Organisation | None) -> str | None:
    """Why ``organisation`` cannot be the organisation of a ``role`` user, or ``None``."""
    if organisation is None:
        return "Select an organisation"
    if not organisation.active:
        return f"{organisation.name} is deactivated: choose another organisation"
    kind = ROLE_ORGANISATION_KIND.get(role)
    if kind is not None and organisation.kind != kind:
        return f"A {role} user must belong to {KIND_WORDS[kind]}, not {organisation.name}"
    return None


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def find_organisation(slug_or_name: str) -> Organisation | None:
    text = slug_or_name.strip()
    return db.session.scalar(
        select(Organisation).where(
            or_(Organisation.slug == slugify(text), func.lower(Organisation.name) == text.lower())
        )
    )


def ensure_organisation(
    slug_or_name: str, kind: str, now: datetime, name: str | None = None, **fields
) -> Organisation:
    """The organisation with that slug or name, created if new."""
    if kind not in ORGANISATION_KINDS:
        raise AccountError(f"Unknown organisation kind {kind!r}")
    found = find_organisation(slug_or_name)
    if found is not None:
        for field, value in fields.items():
            setattr(found, field, value)
        return found
    organisation = Organisation(
        slug=slugify(slug_or_name),
        name=name or slug_or_name.strip(),
        kind=kind,
        created_at=now,
        **fields,
    )
    db.session.add(organisation)
    db.session.flush()
    return organisation


PASSWORD_MIN_LENGTH = 12
# zxcvbn's scores run 0 (guessed at once) to 4; 3 is "safely unguessable" for an online attack.
PASSWORD_MIN_SCORE = 3


def check_password_strength(password: str, email: str | None = None) -> None:
    """Refuse a password that is short, blank-looking, common or the email itself, with GOV.UK
    words saying why (docs/design.md, "Sign-in"). Invisible characters do not count as length."""
    password = password or ""
    if limits.blank(password):
        raise AccountError("Enter a password made of letters, numbers or symbols, not spaces")
    shown = limits.visible(password)
    if len(re.sub(r"\s", "", shown)) < PASSWORD_MIN_LENGTH:
        raise AccountError(
            f"Password must be at least {PASSWORD_MIN_LENGTH} characters long, not counting spaces"
        )
    if email and shown.lower() == email.strip().lower():
        raise AccountError("Password must not be your email address")
    inputs = [part for part in re.split(r"[@.]", (email or "").lower()) if part]
    # zxcvbn looks at the first 72 characters only (a longer password is no weaker).
    result = zxcvbn(shown[:72], user_inputs=inputs)
    if result["score"] < PASSWORD_MIN_SCORE:
        feedback = result["feedback"]
        hints = [feedback.get("warning") or "", *feedback.get("suggestions", [])]
        advice = " ".join(hint for hint in hints if hint)
        raise AccountError("Password is too easy to guess" + (f". {advice}" if advice else ""))


def create_user(
    email: str, role: str, organisation: Organisation, password: str, now: datetime, name: str = ""
) -> User:
    email = email.strip().lower()
    if role not in ROLES:
        raise AccountError(f"Role must be one of: {', '.join(ROLES)}", "role")
    if "@" not in email:
        raise AccountError("Enter an email address, like name@example.com", "email")
    if role == "partner" and organisation.kind != "partner":
        raise AccountError(f"{organisation.name} is not a partner agency", "organisation")
    if role in ("hub", "manager", "admin") and organisation.kind == "partner":
        raise AccountError(f"A {role} user cannot belong to a partner agency", "organisation")
    if find_user(email) is not None:
        raise AccountError(f"A user with the email {email} already exists", "email")
    check_password_strength(password, email)
    user = User(
        email=email,
        name=name or email.split("@")[0],
        password_hash=generate_password_hash(
            password, method=current_app.config["PASSWORD_HASH_METHOD"]
        ),
        role=role,
        organisation=organisation,
        created_at=now,
    )
    db.session.add(user)
    db.session.flush()
    return user


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).filter_by(email=email.strip().lower()))


def authenticate(email: str, password: str) -> User | None:
    user = find_user(email or "")
    # A signed-link stand-in user (``link_referral_id``) only ever signs in with an emailed code.
    if user is None or not user.active or user.link_referral_id is not None:
        # Spend the same time as a real check, so timing does not reveal which emails exist.
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    return user if check_password_hash(user.password_hash, password or "") else None


_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, now: datetime) -> str:
    """A new API token: returned once, stored only as its hash; it lasts ``HUB_TOKEN_DAYS``."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(
            user=user,
            token_hash=_token_hash(token),
            prefix=token[:12],
            created_at=now,
            expires_at=now + timedelta(days=current_app.config["HUB_TOKEN_DAYS"]),
        )
    )
    db.session.flush()
    return token


class TokenRefused(Exception):
    """Why a token opens nothing: ``code`` for the API's error, ``message`` in words."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def user_for_token(token: str, now: datetime) -> User:
    """The active user a live token belongs to: one indexed lookup, no password hash.
    ``TokenRefused`` for an unknown, revoked or expired token, or one of a deactivated user."""
    found = (
        db.session.execute(
            select(ApiToken.revoked_at, ApiToken.expires_at, User)
            .join(User, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == _token_hash(token or ""))
        ).first()
        if token
        else None
    )
    if found is None:
        raise TokenRefused(
            "unauthorised",
            "That API token is not valid: it may have been revoked. Ask for a new one.",
        )
    revoked_at, expires_at, user = found
    if revoked_at is not None:
        raise TokenRefused("token_revoked", "That API token has been revoked. Ask for a new one.")
    if expires_at is not None and expires_at <= now:
        raise TokenRefused("token_expired", "That API token has expired. Ask for a new one.")
    if not user.active:
        raise TokenRefused(
            "account_deactivated", "The account this API token belongs to is deactivated."
        )
    return user
