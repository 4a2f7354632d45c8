"""Sessions on the server (hub/auth/sessions.py): a cookie works only while its session is live,
and sign-out, a password change, deactivation and idleness end it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_login.utils import encode_cookie
from sqlalchemy import select

from hub import clock
from hub.auth import accounts, sessions
from hub.auth.sessions import UserSession
from hub.extensions import db as _db
from tests.support import page_text, sign_in

PASSWORD = "a-new-long-password-42"


def copy_of(client, app):
    """A second browser holding a copy of ``client``'s session cookie."""
    other = app.test_client()
    cookie = client.get_cookie("session")
    other.set_cookie("session", cookie.value, domain=cookie.domain)
    return other


def signed_in(response) -> bool:
    return response.status_code == 200


def later(monkeypatch, **delta):
    """The hub's clock moved on by ``delta`` (from where an earlier ``later`` left it)."""
    real = clock.utcnow
    monkeypatch.setattr(clock, "utcnow", lambda: real() + timedelta(**delta))


def live_rows(demo_user):
    _db.session.expire_all()
    user = accounts.find_user(demo_user.email)
    return _db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    ).all()


def test_signing_in_keeps_only_the_hash_of_the_session_id(client, app, sign_in_as):
    hub_user = sign_in_as("hub")
    (row,) = live_rows(hub_user)
    with client.session_transaction() as cookie:
        token = cookie[sessions.SESSION_KEY]
    assert row.token_hash != token and len(row.token_hash) == 64
    assert signed_in(client.get("/hub/referrals"))


def test_a_cookie_copied_before_signing_out_gets_the_sign_in_page(client, app, sign_in_as):
    hub_user = sign_in_as("hub")
    thief = copy_of(client, app)
    assert signed_in(thief.get("/hub/referrals"))  # the copy works while the session is live

    client.post("/logout")

    response = thief.get("/hub/referrals")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert live_rows(hub_user) == []


def test_changing_ones_password_ends_every_other_session(client, app, demo_hub):
    hub_user = demo_hub["hub"]
    other_browser = app.test_client()
    sign_in(client, hub_user.email, hub_user.password)
    sign_in(other_browser, hub_user.email, hub_user.password)
    thief = copy_of(other_browser, app)

    response = client.post(
        "/account/password",
        data={
            "current_password": hub_user.password,
            "new_password": PASSWORD,
            "confirm_password": PASSWORD,
        },
    )

    assert response.status_code == 302
    assert signed_in(client.get("/hub/referrals"))  # this browser stays signed in
    assert other_browser.get("/hub/referrals").status_code == 302
    assert thief.get("/hub/referrals").status_code == 302
    assert len(live_rows(hub_user)) == 1
    again = app.test_client()
    assert (
        again.post("/login", data={"email": hub_user.email, "password": PASSWORD}).status_code
        == 302
    )


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"current_password": "not-it-at-all"}, "Your current password is not correct"),
        ({"new_password": "short", "confirm_password": "short"}, "at least 12 characters"),
        ({"confirm_password": "something-else-entirely"}, "The passwords do not match"),
        ({"new_password": ""}, "Enter a new password"),
    ],
)
def test_a_refused_password_change_says_why_and_changes_nothing(
    client, app, sign_in_as, fields, message
):
    hub_user = sign_in_as("hub")
    other_browser = copy_of(client, app)
    before = accounts.find_user(hub_user.email).password_hash
    data = {
        "current_password": hub_user.password,
        "new_password": PASSWORD,
        "confirm_password": PASSWORD,
        **fields,
    }

    response = client.post("/account/password", data=data)

    assert response.status_code == 200
    assert message in page_text(response)
    _db.session.expire_all()
    assert accounts.find_user(hub_user.email).password_hash == before
    assert signed_in(other_browser.get("/hub/referrals"))


def test_the_header_links_to_changing_ones_password(client, sign_in_as):
    sign_in_as("frontline")
    page = client.get("/account/password")
    assert page.status_code == 200
    assert 'href="/account/password"' in page.get_data(as_text=True)
    assert "Change your password" in page_text(page)


def test_a_deactivated_user_is_refused_at_once_and_end_all_ends_their_sessions(
    client, app, sign_in_as, now
):
    demo_user = sign_in_as("hub")
    hub_user = accounts.find_user(demo_user.email)
    hub_user.active = False
    _db.session.commit()
    assert client.get("/hub/referrals").status_code == 302

    hub_user.active = True
    _db.session.commit()
    sign_in(client, demo_user.email, demo_user.password)
    assert sessions.end_all(hub_user, now) == 1
    _db.session.commit()
    assert live_rows(demo_user) == []
    assert client.get("/hub/referrals").status_code == 302


def test_an_idle_session_ends_and_the_sign_in_page_says_why_then_returns(
    client, app, sign_in_as, monkeypatch
):
    hub_user = sign_in_as("hub")
    later(monkeypatch, minutes=30, seconds=1)

    response = client.get("/hub/referrals?status=received")

    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/hub/referrals?status%3Dreceived"
    login = client.get(response.headers["Location"])
    assert "You were signed out because you did not do anything for 30 minutes" in page_text(login)
    assert live_rows(hub_user) == []
    back = client.post(
        response.headers["Location"], data={"email": hub_user.email, "password": hub_user.password}
    )
    assert back.headers["Location"] == "/hub/referrals?status=received"


def test_a_session_used_within_the_limit_stays_alive(client, app, sign_in_as, monkeypatch):
    sign_in_as("hub")
    later(monkeypatch, minutes=29)
    assert signed_in(client.get("/hub/referrals"))
    later(monkeypatch, minutes=29)  # 58 minutes after signing in, 29 after the last page
    assert signed_in(client.get("/hub/referrals"))


def test_last_seen_is_written_at_most_once_a_minute(client, app, sign_in_as, monkeypatch):
    hub_user = sign_in_as("hub")
    (row,) = live_rows(hub_user)
    signed_in_at = row.last_seen_at
    later(monkeypatch, seconds=30)
    client.get("/hub/referrals")
    assert live_rows(hub_user)[0].last_seen_at == signed_in_at
    later(monkeypatch, seconds=61)
    client.get("/hub/referrals")
    assert live_rows(hub_user)[0].last_seen_at > signed_in_at


def test_the_idle_limit_is_a_setting(client, app, sign_in_as, monkeypatch):
    app.config["HUB_IDLE_MINUTES"] = 0.5
    sign_in_as("hub")
    page = client.get("/hub/referrals").get_data(as_text=True)
    assert 'data-idle-seconds="30"' in page and 'data-idle-warning-seconds="15"' in page
    later(monkeypatch, seconds=31)
    response = client.get("/hub/referrals")
    assert response.status_code == 302
    assert "did not do anything for 30 seconds" in page_text(client.get("/login"))


def test_keep_alive_counts_as_using_the_session(client, app, sign_in_as, monkeypatch):
    hub_user = sign_in_as("hub")
    later(monkeypatch, minutes=20)
    assert client.post("/account/keep-alive").status_code == 204
    later(monkeypatch, minutes=25)  # 45 minutes after signing in, 25 after "Stay signed in"
    assert signed_in(client.get("/hub/referrals"))
    assert len(live_rows(hub_user)) == 1


def test_keep_alive_needs_a_live_session(client, app, sign_in_as):
    response = client.post("/account/keep-alive")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    sign_in_as("hub")
    thief = copy_of(client, app)
    client.post("/logout")
    assert thief.post("/account/keep-alive").status_code == 302


def test_keep_alive_needs_the_csrf_token(client, app, sign_in_as):
    sign_in_as("hub")
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/account/keep-alive").status_code == 400


def test_a_remember_me_cookie_does_not_open_a_session(client, app, sign_in_as):
    """Flask-Login's remember cookie is never set; one made by hand still needs a live session."""
    hub_user = accounts.find_user(sign_in_as("hub").email)
    client.post("/logout")
    with app.test_request_context():
        remember = encode_cookie(str(hub_user.id))
    client.set_cookie("remember_token", remember)
    assert client.get("/hub/referrals").status_code == 302
