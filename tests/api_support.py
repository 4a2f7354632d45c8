"""Helpers for the API tests: bearer tokens for the demo users, and reading rows afresh."""

from __future__ import annotations

from sqlalchemy import func, select

from hub.auth import accounts
from hub.extensions import db
from tests.factories import user


def bearer(role: str, now) -> dict[str, str]:
    """An Authorization header with a new token for the demo user with that role."""
    token = accounts.issue_token(user(role), now)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def fresh(row):
    """The row as the database has it now (a request commits in its own session)."""
    db.session.expire_all()
    return db.session.get(type(row), row.id)
