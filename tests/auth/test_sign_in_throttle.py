"""Sign-in that resists guessing (docs/design.md, "Sign-in"): after 10 failures for one account
in 15 minutes, that account is locked for 15 minutes, even with the right password, with the same
page whether or not the account exists; many failures from one address lock that address."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from hub import create_app
from hub.auth import throttle
from hub.auth.throttle import SignInAttempt
from tests.conftest import TEST_CONFIG
from tests.support import page_text

LOCKED = "Sign-in is locked for a while"
WRONG = "Enter a correct email address and password"


class Clock:
    """The views' clock, moved on by the test (``hub.auth.views`` reads ``utcnow``)."""

    def __init__(self, monkeypatch, start: datetime):
        self.now = start
        monkeypatch.setattr("hub.auth.views.utcnow", lambda: self.now)

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch, now):
    return Clock(monkeypatch, now)


def attempt(client, email: str, password: str, address: str = "203.0.113.7"):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def fail(client, email: str, times: int, clock=None, address: str = "203.0.113.7") -> None:
    for _ in range(times):
        response = attempt(client, email, "not-the-password", address)
        assert response.status_code == 200 and WRONG in page_text(response)
        if clock is not None:
            clock.advance(seconds=1)


def signed_in(client) -> bool:
    return client.get("/hub/referrals").status_code == 200


def test_the_eleventh_attempt_is_refused_even_with_the_right_password(client, demo_hub, clock):
    hub = demo_hub["hub"]
    fail(client, hub.email, 10, clock)
    response = attempt(client, hub.email, hub.password)
    assert response.status_code == 429
    text = page_text(response)
    assert LOCKED in text and "Try again in 15 minutes" in text
    assert not signed_in(client)
    # From another address (another browser, another machine) too: the lock is on the account.
    other = attempt(client, hub.email.upper(), hub.password, address="198.51.100.9")
    assert other.status_code == 429 and not signed_in(client)


def test_nine_failures_then_the_right_password_signs_in_and_clears_the_count(
    client, demo_hub, clock
):
    hub = demo_hub["hub"]
    fail(client, hub.email, 9, clock)
    assert attempt(client, hub.email, hub.password).status_code == 302
    client.post("/logout")
    fail(client, hub.email, 9, clock)  # the nine before no longer count
    assert attempt(client, hub.email, hub.password).status_code == 302


def test_an_unknown_account_is_locked_with_the_same_words(client, demo_hub, clock):
    hub = demo_hub["hub"]
    fail(client, hub.email, 10)
    fail(client, "nobody@demo.sail.example", 10)
    real = attempt(client, hub.email, hub.password)
    unknown = attempt(client, "nobody@demo.sail.example", "any-password-at-all")
    assert real.status_code == unknown.status_code == 429
    assert page_text(real) == page_text(unknown)
    assert real.headers["Retry-After"] == unknown.headers["Retry-After"] == "900"


def test_the_lock_lifts_after_15_minutes(client, demo_hub, clock):
    hub = demo_hub["hub"]
    fail(client, hub.email, 10)  # all at one moment
    clock.advance(minutes=14)
    response = attempt(client, hub.email, hub.password)
    assert response.status_code == 429 and "Try again in 1 minute." in page_text(response)
    clock.advance(minutes=1)
    assert attempt(client, hub.email, hub.password).status_code == 302
    assert signed_in(client)


def test_failures_spread_over_more_than_15_minutes_lock_nothing(client, demo_hub, clock):
    hub = demo_hub["hub"]
    for _ in range(12):
        fail(client, hub.email, 1)
        clock.advance(minutes=2)
    assert attempt(client, hub.email, hub.password).status_code == 302


def test_many_failures_from_one_address_lock_that_address(app, client, demo_hub, clock):
    app.config["HUB_SIGNIN_ADDRESS_ATTEMPTS"] = 20
    hub = demo_hub["hub"]
    for number in range(20):  # spraying: two guesses each at ten accounts, none locked
        fail(client, f"person{number % 10}@demo.sail.example", 1, clock, address="192.0.2.66")
    response = attempt(client, hub.email, hub.password, address="192.0.2.66")
    assert response.status_code == 429 and LOCKED in page_text(response)
    # The account itself is not locked: from elsewhere, its owner signs in.
    assert attempt(client, hub.email, hub.password, address="192.0.2.1").status_code == 302


def test_no_email_is_kept_in_clear_and_old_rows_are_pruned(db, client, demo_hub, clock):
    fail(client, "Someone@Example.org", 3, clock)
    keys = set(db.session.scalars(select(SignInAttempt.account_key)))
    assert keys == {throttle.account_key("someone@example.org")}
    assert "someone" not in next(iter(keys))
    clock.advance(minutes=31)
    fail(client, "other@example.org", 1, clock)
    assert db.session.scalar(select(func.count()).select_from(SignInAttempt)) == 1


@pytest.mark.both_databases
def test_the_lock_holds_across_two_app_instances(app, client, database_url, demo_hub, tmp_path):
    """Two web workers (or machines) on one database: failures on one lock sign-in on the other."""
    hub = demo_hub["hub"]
    fail(client, hub.email, 10)
    other = create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url}, instance_path=str(tmp_path)
    )
    response = attempt(other.test_client(), hub.email, hub.password, address="198.51.100.20")
    assert response.status_code == 429 and LOCKED in page_text(response)


def test_the_lock_counts_as_the_functions_say():
    start = datetime(2026, 3, 2, 9)
    window = timedelta(minutes=15)
    ten_quick = [start + timedelta(seconds=second) for second in range(10)]
    assert throttle.lock_end(ten_quick, 10, window) == ten_quick[-1] + window
    assert throttle.lock_end(ten_quick[:9], 10, window) is None
    slow = [start + timedelta(minutes=2 * minute) for minute in range(10)]
    assert throttle.lock_end(slow, 10, window) is None


def test_behind_a_proxy_the_forwarded_address_is_the_clients(app, database_url, demo_hub, tmp_path):
    """With HUB_PROXY_COUNT=1 the address is the one the proxy forwarded; without it, a forged
    X-Forwarded-For changes nothing."""
    hub = demo_hub["hub"]
    proxied = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "HUB_PROXY_COUNT": 1,
            "HUB_SIGNIN_ADDRESS_ATTEMPTS": 3,
        },
        instance_path=str(tmp_path),
    ).test_client()

    def through_proxy(client, client_address: str, password: str):
        return client.post(
            "/login",
            data={"email": f"guess{client_address}@example.org", "password": password},
            headers={"X-Forwarded-For": client_address},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},
        )

    for _ in range(3):
        assert through_proxy(proxied, "192.0.2.5", "wrong-password").status_code == 200
    locked = proxied.post(
        "/login",
        data={"email": hub.email, "password": hub.password},
        headers={"X-Forwarded-For": "192.0.2.5"},
    )
    assert locked.status_code == 429
    elsewhere = proxied.post(
        "/login",
        data={"email": hub.email, "password": hub.password},
        headers={"X-Forwarded-For": "192.0.2.6"},
    )
    assert elsewhere.status_code == 302

    app.config["HUB_SIGNIN_ADDRESS_ATTEMPTS"] = 3
    direct = app.test_client()
    for number in range(3):
        forged = f"198.51.100.{number}"
        assert through_proxy(direct, forged, "wrong-password").status_code == 200
    forged_again = direct.post(
        "/login",
        data={"email": hub.email, "password": hub.password},
        headers={"X-Forwarded-For": "198.51.100.99"},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
    )
    assert forged_again.status_code == 429
