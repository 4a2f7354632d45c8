"""The second factor (docs/design.md, "Second factor"): a time-based one-time code (TOTP, RFC 6238,
``pyotp``) from an app on the user's phone, set up by a QR code (``segno``), with ten recovery
codes for a lost phone.

The TOTP secret is kept sealed (``notifications.sealed``, Fernet under ``HUB_OUTBOX_KEY``), so
the table alone opens nothing. A code is accepted for the time step it belongs to or the one
either side (phones' clocks drift), and only for a step later than the last one accepted: the
same code is never accepted twice, claimed by one UPDATE so that of two requests at once one
wins. Recovery codes are long and random, stored as their SHA-256 like API tokens, each usable
once.

Required for the roles in ``REQUIRED_ROLES`` when ``HUB_REQUIRE_2FA`` is on (the default in
production); anyone else may set it up from ``/account/two-factor``. Services take ``now``; the
caller commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

import pyotp
import segno
from flask import current_app
from markupsafe import Markup
from sqlalchemy import ForeignKey, String, delete, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from hub import audit
from hub.extensions import db
from hub.models import User
from notifications import sealed

REQUIRED_ROLES = frozenset({"hub", "manager", "admin"})
STEP_SECONDS = 30  # RFC 6238's time step, which every authenticator app uses
DRIFT_STEPS = 1  # a code from the step before or after is accepted too
RECOVERY_CODES = 10
ISSUER = "SAIL referral hub"
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


class TwoFactor(db.Model):
    """One user's authenticator: the sealed secret, whether it was confirmed with a code, and the
    last time step a code was accepted for."""

    __tablename__ = "two_factor"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), unique=True)
    sealed_secret: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    last_step: Mapped[int | None]


class RecoveryCode(db.Model):
    """One recovery code, as its SHA-256; ``used_at`` once it has been used."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


# --- Who needs it, who has it -------------------------------------------------------------------


def required_for(user: User) -> bool:
    return bool(current_app.config.get("HUB_REQUIRE_2FA")) and user.role in REQUIRED_ROLES


def factor_of(user: User) -> TwoFactor | None:
    return db.session.scalar(select(TwoFactor).where(TwoFactor.user_id == user.id))


def confirmed(user: User) -> TwoFactor | None:
    """The user's second factor if it is set up (confirmed with a code), else ``None``."""
    row = factor_of(user)
    return row if row is not None and row.confirmed_at is not None else None


# --- Setting up ---------------------------------------------------------------------------------


def pending(user: User, now: datetime) -> TwoFactor:
    """The unconfirmed factor being set up, made with a new secret if there is none. Refused
    (``ValueError``) for a user whose factor is already set up: reset it first."""
    row = factor_of(user)
    if row is not None and row.confirmed_at is not None:
        raise ValueError("The second factor is already set up")
    if row is None:
        row = TwoFactor(
            user_id=user.id,
            sealed_secret=sealed.seal({"secret": pyotp.random_base32()}),
            created_at=now,
        )
        db.session.add(row)
        db.session.flush()
    return row


def secret_of(row: TwoFactor) -> str:
    return sealed.unseal(row.sealed_secret)["secret"]


def secret_shown(row: TwoFactor) -> str:
    """The secret as the page shows it, for typing into an app: groups of four letters."""
    secret = secret_of(row)
    return " ".join(secret[start : start + 4] for start in range(0, len(secret), 4))


def qr_code(user: User, row: TwoFactor) -> Markup:
    """The ``otpauth://`` address as a QR code, an inline ``<svg>`` (no image for the CSP to
    allow), named for screen readers."""
    uri = pyotp.TOTP(secret_of(row)).provisioning_uri(name=user.email, issuer_name=ISSUER)
    svg = segno.make(uri, error="m").svg_inline(scale=4, title="QR code for your app")
    return Markup(svg.replace("<svg ", '<svg role="img" aria-label="QR code for your app" ', 1))


def confirm(user: User, row: TwoFactor, code: str, actor: User | None, now: datetime) -> list[str]:
    """Confirm the factor with a code from the app: its new recovery codes (to show once), or
    ``ValueError`` for a code that is not right."""
    if not _accept_code(row, code, now):
        raise ValueError("The code is not right")
    row.confirmed_at = now
    codes = new_recovery_codes(user, now)
    audit.record(actor or user, "two_factor_set_up", now, subject=user.email)
    return codes


def remove(user: User) -> bool:
    """Remove the user's factor and recovery codes (a reset); whether there was a factor."""
    removed = db.session.execute(delete(TwoFactor).where(TwoFactor.user_id == user.id)).rowcount
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    return bool(removed)


# --- Codes --------------------------------------------------------------------------------------


def _step(now: datetime) -> int:
    """The TOTP time step of ``now`` (naive UTC, as the hub's clock gives it)."""
    return int(now.replace(tzinfo=UTC).timestamp()) // STEP_SECONDS


def _digits(code: str | None) -> str:
    return "".join((code or "").split()).replace("-", "")


def _accept_code(row: TwoFactor, code: str | None, now: datetime) -> bool:
    """Whether ``code`` is the app's code for a step near ``now`` later than the last one
    accepted; if so, that step is claimed (one UPDATE: of two requests at once, one wins)."""
    code = _digits(code)
    if len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(secret_of(row))
    now_step = _step(now)
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            claimed = db.session.execute(
                update(TwoFactor)
                .where(
                    TwoFactor.id == row.id,
                    or_(TwoFactor.last_step.is_(None), TwoFactor.last_step < step),
                )
                .values(last_step=step),
                execution_options={"synchronize_session": "fetch"},
            ).rowcount
            return claimed == 1
    return False


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _normalised(code: str | None) -> str:
    return _digits(code).lower()


def new_recovery_codes(user: User, now: datetime) -> list[str]:
    """Ten new recovery codes (``xxxxx-xxxxx``), replacing any earlier ones: returned once, only
    their hashes kept."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash(raw), created_at=now))
    db.session.flush()
    return codes


def recovery_codes_left(user: User) -> int:
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def _use_recovery_code(user: User, code: str | None, now: datetime) -> bool:
    raw = _normalised(code)
    if len(raw) != 10:
        return False
    claimed = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(raw),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
    ).rowcount
    return claimed == 1


def check(user: User, code: str | None, now: datetime, recovery: bool = True) -> str | None:
    """Check a code typed at sign-in: ``"app"`` for the app's code, ``"recovery"`` for a recovery
    code (now used up, and recorded) unless ``recovery`` is False, ``None`` if neither is
    right."""
    row = confirmed(user)
    if row is None:
        return None
    if _accept_code(row, code, now):
        return "app"
    if recovery and _use_recovery_code(user, code, now):
        audit.record(
            user, "recovery_code_used", now, subject=user.email,
            details={"left": recovery_codes_left(user)},
        )  # fmt: skip
        return "recovery"
    return None


def code_for(row: TwoFactor, now: datetime) -> str:
    """The app's code at ``now``: for tests and the demo, as an authenticator would show it."""
    return pyotp.TOTP(secret_of(row)).generate_otp(_step(now))


def reset_for(email: str, actor: User | None, now: datetime) -> User:
    """An administrator's reset for a lost phone (``users reset-2fa``): the factor and recovery
    codes are removed and every session of the user ends; a user whose role requires one sets
    it up again at their next sign-in. Recorded."""
    from hub.auth import sessions
    from hub.auth.accounts import AccountError, find_user

    user = find_user(email)
    if user is None or user.link_referral_id is not None:
        raise AccountError(f"No user with the email {email.strip()}")
    if not remove(user):
        raise AccountError(f"{user.email} has no second factor set up")
    sessions.end_all(user, now)
    audit.record(actor, "two_factor_reset", now, subject=user.email, details={"by": "admin"})
    return user
