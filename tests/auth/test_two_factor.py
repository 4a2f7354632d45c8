"""The second factor (hub/auth/two_factor.py, hub/auth/two_factor_views.py): a code after the
password where one is set up, set-up before anything else for the roles that require it, wrong
codes counted like wrong passwords, no code accepted twice, recovery codes once each."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from hub import clock
from hub.audit import AuditEvent
from hub.auth import accounts, two_factor
from hub.auth.throttle import SignInAttempt
from hub.extensions import db as _db
from tests.support import page_text

MOMENT = datetime(2026, 3, 2, 9, 0, 0)


@pytest.fixture
def at(monkeypatch):
    """Set the hub's clock (the sign-in view's as well) to a moment; returns the setter."""

    def _set(moment: datetime) -> datetime:
        monkeypatch.setattr(clock, "utcnow", lambda: moment)
        monkeypatch.setattr("hub.auth.views.utcnow", lambda: moment)
        return moment

    _set(MOMENT)
    return _set


def set_up_for(email: str, now: datetime) -> tuple[two_factor.TwoFactor, list[str]]:
    """Set up a second factor for the user directly, as if by the page; its recovery codes."""
    user = accounts.find_user(email)
    row = two_factor.pending(user, now)
    codes = two_factor.confirm(user, row, two_factor.code_for(row, now), user, now)
    # The set-up used this moment's step: sign-ins in the tests come a step later.
    _db.session.commit()
    return row, codes


def password(client, user):
    return client.post("/login", data={"email": user.email, "password": user.password})


def can_open_the_queue(client) -> bool:
    return client.get("/hub/referrals").status_code == 200


def failures() -> int:
    return _db.session.scalar(select(func.count(SignInAttempt.id)))


def test_a_code_is_asked_for_after_the_password_when_set_up(client, demo_hub, at):
    hub_user = demo_hub["hub"]
    row, _ = set_up_for(hub_user.email, MOMENT)
    now = at(MOMENT + timedelta(seconds=30))

    response = password(client, hub_user)

    assert response.headers["Location"] == "/login/code"
    assert not can_open_the_queue(client)  # half signed in: no page opens
    assert "Enter the code from your app" in page_text(client.get("/login/code"))
    response = client.post("/login/code", data={"code": two_factor.code_for(row, now)})
    assert response.headers["Location"] == "/hub/referrals"
    assert can_open_the_queue(client)


def test_a_wrong_code_is_refused_and_counted_as_a_failed_sign_in(client, demo_hub, at):
    hub_user = demo_hub["hub"]
    row, _ = set_up_for(hub_user.email, MOMENT)
    now = at(MOMENT + timedelta(seconds=30))
    right = two_factor.code_for(row, now)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    password(client, hub_user)

    response = client.post("/login/code", data={"code": wrong})

    assert response.status_code == 200
    assert "Enter the code from your app, or one of your recovery codes" in page_text(response)
    assert not can_open_the_queue(client)
    assert failures() == 1
    # The tenth wrong code locks the account, as ten wrong passwords do: even the right code.
    for _ in range(9):
        client.post("/login/code", data={"code": wrong})
    response = client.post("/login/code", data={"code": right})
    assert response.status_code == 429
    assert "Sign-in is locked for a while" in page_text(response)
    assert not can_open_the_queue(client)


def test_a_code_is_never_accepted_twice(client, app, demo_hub, at):
    hub_user = demo_hub["hub"]
    row, _ = set_up_for(hub_user.email, MOMENT)
    now = at(MOMENT + timedelta(seconds=30))
    code = two_factor.code_for(row, now)
    password(client, hub_user)
    assert client.post("/login/code", data={"code": code}).status_code == 302

    thief = app.test_client()  # saw the code typed, within the same 30 seconds
    password(thief, hub_user)
    response = thief.post("/login/code", data={"code": code})

    assert response.status_code == 200
    assert not can_open_the_queue(thief)
    # The next step's code works.
    later = at(now + timedelta(seconds=30))
    assert (
        thief.post("/login/code", data={"code": two_factor.code_for(row, later)}).status_code == 302
    )
    assert can_open_the_queue(thief)


def test_a_recovery_code_works_once(client, app, demo_hub, at):
    hub_user = demo_hub["hub"]
    _, codes = set_up_for(hub_user.email, MOMENT)
    assert len(codes) == 10 and len(set(codes)) == 10
    password(client, hub_user)

    response = client.post("/login/code", data={"code": codes[3].upper()})

    assert response.status_code == 302
    assert can_open_the_queue(client)
    used = _db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "recovery_code_used")
    ).one()
    assert used.actor == hub_user.email and used.details == {"left": 9}
    again = app.test_client()
    password(again, hub_user)
    assert again.post("/login/code", data={"code": codes[3]}).status_code == 200
    assert not can_open_the_queue(again)


def test_the_half_signed_in_state_lasts_five_minutes(client, demo_hub, at):
    hub_user = demo_hub["hub"]
    row, _ = set_up_for(hub_user.email, MOMENT)
    password(client, hub_user)
    now = at(MOMENT + timedelta(minutes=5, seconds=1))

    response = client.post("/login/code", data={"code": two_factor.code_for(row, now)})

    assert response.headers["Location"] == "/login"
    assert not can_open_the_queue(client)


@pytest.mark.parametrize("role", ["hub", "manager", "admin"])
def test_the_required_roles_must_set_it_up_before_anything_else(app, client, demo_hub, at, role):
    app.config["HUB_REQUIRE_2FA"] = True
    person = demo_hub[role]

    response = password(client, person)

    assert response.headers["Location"] == "/login/two-factor"
    for somewhere in ("/hub/referrals", "/manage", "/account/password", "/account/two-factor"):
        assert client.get(somewhere).status_code == 302, somewhere
        assert client.get(somewhere).headers["Location"].startswith("/login")
    page = client.get("/login/two-factor")
    text = page_text(page)
    assert "Set up your second factor" in text
    assert "<svg" in page.get_data(as_text=True)
    secret = re.search(r'id="two-factor-secret">([A-Z2-7 ]+)<', page.get_data(as_text=True))
    secret = secret.group(1).replace(" ", "")
    row = two_factor.factor_of(accounts.find_user(person.email))
    assert two_factor.secret_of(row) == secret and row.confirmed_at is None
    assert secret not in row.sealed_secret  # kept sealed

    wrong = client.post("/login/two-factor", data={"code": "000000"})
    assert "Enter the 6-digit code your app shows now" in page_text(wrong)
    assert client.get("/hub/referrals").status_code == 302

    done = client.post("/login/two-factor", data={"code": two_factor.code_for(row, MOMENT)})
    assert "Your recovery codes" in page_text(done)
    assert (
        len(re.findall(r"<code>[a-z2-9]{5}-[a-z2-9]{5}</code>", done.get_data(as_text=True))) == 10
    )
    assert client.get("/account/two-factor").status_code == 200  # signed in now
    assert (
        _db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "two_factor_set_up")
        )
        == 1
    )


@pytest.mark.parametrize("role", ["frontline", "partner"])
def test_other_roles_are_not_asked(app, client, demo_hub, at, role):
    app.config["HUB_REQUIRE_2FA"] = True

    response = password(client, demo_hub[role])

    assert not response.headers["Location"].startswith("/login")
    assert client.get(response.headers["Location"]).status_code == 200


def test_without_the_setting_no_one_is_asked_to_set_it_up(app, client, demo_hub, at):
    app.config["HUB_REQUIRE_2FA"] = False
    assert password(client, demo_hub["admin"]).headers["Location"] == "/hub/referrals"


# --- Resetting and new recovery codes -----------------------------------------------------------


def test_users_reset_2fa_removes_it_signs_out_and_is_recorded(app, client, runner, demo_hub, at):
    app.config["HUB_REQUIRE_2FA"] = True
    hub_user = demo_hub["hub"]
    row, _ = set_up_for(hub_user.email, MOMENT)
    now = at(MOMENT + timedelta(seconds=30))
    password(client, hub_user)
    client.post("/login/code", data={"code": two_factor.code_for(row, now)})
    assert can_open_the_queue(client)

    result = runner.invoke(args=["users", "reset-2fa", hub_user.email])

    assert result.exit_code == 0, result.output
    assert "Reset the second factor of hub@" in result.output
    assert not can_open_the_queue(client)
    assert two_factor.factor_of(accounts.find_user(hub_user.email)) is None
    event = _db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "two_factor_reset")
    ).one()
    assert event.actor == "command line" and event.subject == hub_user.email
    # Signing in again asks for a new set-up.
    assert password(client, hub_user).headers["Location"] == "/login/two-factor"
    again = runner.invoke(args=["users", "reset-2fa", hub_user.email])
    assert again.exit_code != 0 and "has no second factor set up" in again.output
    unknown = runner.invoke(args=["users", "reset-2fa", "nobody@example.com"])
    assert unknown.exit_code != 0 and "No user with the email" in unknown.output


def test_anyone_may_set_it_up_from_their_account(client, sign_in_as, at):
    frontline = sign_in_as("frontline")
    assert 'href="/account/two-factor"' in client.get("/frontline/").text  # in the header
    page = client.get("/account/two-factor")
    assert "Set up your second factor" in page_text(page)
    row = two_factor.factor_of(accounts.find_user(frontline.email))

    done = client.post("/account/two-factor", data={"code": two_factor.code_for(row, MOMENT)})

    assert "Your recovery codes" in page_text(done)
    assert "10 unused recovery codes" in page_text(client.get("/account/two-factor"))
    client.post("/logout")
    response = password(client, frontline)
    assert response.headers["Location"] == "/login/code"  # asked from now on


def test_resetting_from_the_account_needs_the_password_and_a_code(client, demo_hub, at):
    hub_user = demo_hub["hub"]
    row, _ = set_up_for(hub_user.email, MOMENT)
    now = at(MOMENT + timedelta(seconds=30))
    password(client, hub_user)
    client.post("/login/code", data={"code": two_factor.code_for(row, now)})
    now = at(now + timedelta(seconds=30))
    code = two_factor.code_for(row, now)

    wrong = client.post(
        "/account/two-factor",
        data={"reset-current_password": "not-my-password", "reset-code": code, "reset-submit": "y"},
    )
    assert "Your current password is not correct" in page_text(wrong)
    assert two_factor.confirmed(accounts.find_user(hub_user.email)) is not None

    done = client.post(
        "/account/two-factor",
        data={
            "reset-current_password": hub_user.password,
            "reset-code": code,
            "reset-submit": "y",
        },
    )

    assert done.headers["Location"] == "/account/two-factor"
    assert two_factor.factor_of(accounts.find_user(hub_user.email)) is None
    assert "Set up your second factor" in page_text(client.get("/account/two-factor"))


def test_new_recovery_codes_replace_the_old_ones(client, app, demo_hub, at):
    hub_user = demo_hub["hub"]
    row, old = set_up_for(hub_user.email, MOMENT)
    now = at(MOMENT + timedelta(seconds=30))
    password(client, hub_user)
    client.post("/login/code", data={"code": two_factor.code_for(row, now)})
    now = at(now + timedelta(seconds=30))

    page = client.post(
        "/account/two-factor",
        data={"new-code": two_factor.code_for(row, now), "new-submit": "y"},
    )

    new = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", page.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    other = app.test_client()
    password(other, hub_user)
    assert other.post("/login/code", data={"code": old[0]}).status_code == 200
    assert other.post("/login/code", data={"code": new[0]}).status_code == 302
