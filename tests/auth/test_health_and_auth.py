"""The health check, signing in and out, and where each role starts."""

import pytest

from hub import create_app
from tests.conftest import TEST_CONFIG


def test_healthz_answers_when_the_database_does(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    app = create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none"},
        instance_path=str(tmp_path),
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503


@pytest.mark.parametrize(
    "role, start",
    [
        ("frontline", "/questionnaires/"),
        ("hub", "/hub/referrals"),
        ("manager", "/manage"),
        ("admin", "/hub/referrals"),
        ("partner", "/partner/referrals"),
    ],
)
def test_each_role_lands_on_its_own_start_page(client, sign_in_as, role, start):
    sign_in_as(role)
    assert client.get("/").headers["Location"] == start


def test_a_wrong_password_says_so_and_signs_nobody_in(client, demo_hub):
    response = client.post(
        "/login", data={"email": "hub@demo.sail.example", "password": "wrong-password"}
    )
    assert response.status_code == 200
    assert "Enter a correct email address and password" in response.get_data(as_text=True)
    assert client.get("/hub/referrals").status_code == 302


def test_sign_in_goes_back_to_the_page_asked_for_but_never_off_site(client, demo_hub):
    user = demo_hub["hub"]
    response = client.post(
        "/login?next=/hub/referrals?status=all",
        data={"email": user.email, "password": user.password},
    )
    assert response.headers["Location"] == "/hub/referrals?status=all"
    client.post("/logout")
    response = client.post(
        "/login?next=https://evil.example/", data={"email": user.email, "password": user.password}
    )
    assert response.headers["Location"] == "/hub/referrals"


def test_sign_out(client, sign_in_as):
    sign_in_as("hub")
    assert client.post("/logout").status_code == 302
    assert client.get("/hub/referrals").status_code == 302


def test_forms_are_protected_against_cross_site_requests(tmp_path, database_url, demo_hub):
    """With CSRF on (as in production) a form post without the token changes nothing."""
    app = create_app(
        {**TEST_CONFIG, "WTF_CSRF_ENABLED": True, "SQLALCHEMY_DATABASE_URI": database_url},
        instance_path=str(tmp_path),
    )
    client = app.test_client()
    response = client.post(
        "/login", data={"email": demo_hub["hub"].email, "password": demo_hub["hub"].password}
    )
    assert response.status_code == 400
    assert "nothing was saved" in response.get_data(as_text=True)


def test_a_form_opened_two_hours_ago_still_submits(tmp_path, database_url, demo_hub, monkeypatch):
    """A visit can take an hour or more: the form's CSRF token must not expire mid-visit."""
    import re
    import time

    from itsdangerous import TimestampSigner

    app = create_app(
        {**TEST_CONFIG, "WTF_CSRF_ENABLED": True, "SQLALCHEMY_DATABASE_URI": database_url},
        instance_path=str(tmp_path),
    )
    client = app.test_client()
    two_hours_ago = int(time.time()) - 2 * 3600
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: two_hours_ago)
    page = client.get("/login").get_data(as_text=True)
    monkeypatch.undo()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    user = demo_hub["hub"]
    response = client.post(
        "/login", data={"email": user.email, "password": user.password, "csrf_token": token}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/hub/referrals"
