"""Helpers for the API tests: bearer tokens for the demo users, requests with them, the ids a
list answers with, and reading rows afresh."""

from __future__ import annotations

from sqlalchemy import func, select

from hub.auth import accounts
from hub.extensions import db
from tests.factories import user
from tests.support import fresh

__all__ = ["bearer", "count", "fresh", "get", "ids"]


def bearer(role: str, now) -> dict[str, str]:
    """An Authorization header with a new token for the demo user with that role."""
    token = accounts.issue_token(user(role), now)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def get(client, url: str, role: str, now):
    """``GET url`` with a new token for the demo user with that role."""
    return client.get(url, headers=bearer(role, now))


def ids(response) -> list[int]:
    """The ids of the items a list answered with."""
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["items"]]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))
