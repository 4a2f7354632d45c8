"""One admin always stays, even when admins deactivate themselves at the same moment: against
gunicorn with four worker processes, on SQLite and PostgreSQL (the server and the way requests
are lined up are ``tests/referrals/test_races.py``'s)."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import func, select

from hub.auth import accounts
from hub.extensions import db as _db
from hub.models import User
from tests.referrals.test_races import at_once, server, statuses  # noqa: F401  (``server``)

pytestmark = [pytest.mark.both_databases, pytest.mark.committed]

ADMINS = 8


def patch(base: str, path: str, headers: dict, body: dict):
    return lambda: requests.patch(f"{base}/api/v1{path}", json=body, headers=headers)


def test_admins_deactivating_themselves_at_once_leave_one(server, db, demo_hub, now):  # noqa: F811
    hub = accounts.find_organisation("age-uk-lambeth-southwark")
    admins = [accounts.find_user(demo_hub["admin"].email)] + [
        accounts.create_user(
            f"admin{n}@example.org",
            "admin",
            hub,
            "a long admin password here",
            now,
            name=f"Admin {n}",
        )  # fmt: skip
        for n in range(1, ADMINS)
    ]
    tokens = {admin.id: accounts.issue_token(admin, now) for admin in admins}
    _db.session.commit()
    responses = at_once(
        [
            patch(
                server,
                f"/admin/users/{admin.id}",
                {"Authorization": f"Bearer {tokens[admin.id]}"},
                {"active": False},
            )  # fmt: skip
            for admin in admins
        ]
    )
    assert statuses(responses) == {200: ADMINS - 1, 422: 1}, [r.text[:200] for r in responses]
    (refused,) = [r for r in responses if r.status_code == 422]
    assert "last active admin" in refused.json()["error"]["fields"]["active"]
    still = _db.session.scalar(
        select(func.count(User.id)).where(User.role == "admin", User.active.is_(True))
    )
    assert still == 1
