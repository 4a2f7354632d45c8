"""Sign-in throttling (docs/design.md, "Sign-in"): failed attempts are kept in the database, so the
lock holds across web workers and machines.

After ``HUB_SIGNIN_LOCK_ATTEMPTS`` failures for one account within ``HUB_SIGNIN_LOCK_MINUTES``,
that account is locked for ``HUB_SIGNIN_LOCK_MINUTES``, for every browser and address, even with
the right password. After ``HUB_SIGNIN_ADDRESS_ATTEMPTS`` failures from one client address in the
same window (across any accounts), that address is locked likewise, which slows spraying one
password over many accounts.

An account is known by the SHA-256 of its lowercased email, never the address in clear, and a
failure for an email no account has counts exactly as one for a real account: the lock cannot tell
anyone which emails exist. An attempt refused by a lock is not recorded (it checked no password),
so the lock ends when it says it will. Rows older than the window and the lock together are pruned
whenever a failure is written.

Services take ``now``; the view passes ``hub.clock.utcnow()``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Index, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from hub.extensions import db


class SignInAttempt(db.Model):
    """One failed sign-in: whose (a hash of the email), from where, and when."""

    __tablename__ = "sign_in_attempt"
    __table_args__ = (
        Index("ix_sign_in_attempt_account_at", "account_key", "at"),
        Index("ix_sign_in_attempt_address_at", "address", "at"),
        Index("ix_sign_in_attempt_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_key: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(45))  # IPv6's longest text form
    at: Mapped[datetime]


def account_key(email: str | None) -> str:
    """The SHA-256 (hex) of the email as accounts store it: stripped and lowercased."""
    normalised = (email or "").strip().lower()
    return hashlib.sha256(normalised.encode("utf-8", "surrogatepass")).hexdigest()


def _minutes() -> timedelta:
    return timedelta(minutes=current_app.config["HUB_SIGNIN_LOCK_MINUTES"])


def lock_end(times: list[datetime], attempts: int, window: timedelta) -> datetime | None:
    """When the lock these failure times put on ends, or ``None`` if they put none on: a lock of
    ``window`` starts at any failure that was the ``attempts``-th within ``window``."""
    if attempts < 1:
        return None
    times = sorted(times)
    ends = [
        times[last] + window
        for last in range(attempts - 1, len(times))
        if times[last] - times[last - attempts + 1] < window
    ]
    return max(ends, default=None)


def _times(column, value: str, since: datetime) -> list[datetime]:
    return list(
        db.session.scalars(
            select(SignInAttempt.at).where(column == value, SignInAttempt.at > since)
        )
    )


def locked_until(email: str | None, address: str | None, now: datetime) -> datetime | None:
    """Until when sign-in is refused for this email from this address, or ``None`` if it is not.
    The same answer for an email no account has as for a real one."""
    window = _minutes()
    since = now - 2 * window  # a lock can have started at most one window ago
    config = current_app.config
    ends = [
        lock_end(
            _times(SignInAttempt.account_key, account_key(email), since),
            config["HUB_SIGNIN_LOCK_ATTEMPTS"],
            window,
        )
    ]
    if address:  # no address known (a misconfigured proxy): no lock shared by everyone
        ends.append(
            lock_end(
                _times(SignInAttempt.address, address, since),
                config["HUB_SIGNIN_ADDRESS_ATTEMPTS"],
                window,
            )
        )
    until = max((end for end in ends if end is not None), default=None)
    return until if until is not None and until > now else None


def record_failure(email: str | None, address: str | None, now: datetime) -> None:
    """Count a failed sign-in, and prune the rows too old to count any more."""
    db.session.execute(delete(SignInAttempt).where(SignInAttempt.at <= now - 2 * _minutes()))
    db.session.add(SignInAttempt(account_key=account_key(email), address=address or "", at=now))
    db.session.flush()


def forget_account(email: str | None) -> None:
    """After a successful sign-in, the account's earlier failures no longer count against it (the
    address's still do: one good account must not reset a sprayer's count)."""
    db.session.execute(delete(SignInAttempt).where(SignInAttempt.account_key == account_key(email)))
