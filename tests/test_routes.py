"""Guard tests: every route says who may use it, and nothing private is reachable anonymously."""

import pytest

from hub import create_app
from hub.auth.access import PUBLIC
from tests.conftest import TEST_CONFIG

# The only routes anyone may reach without signing in. Adding one here is a decision: say why.
PUBLIC_ENDPOINTS = {
    "static",  # GOV.UK Frontend's built files and our stylesheet
    "health.govuk_assets",  # fonts and images that the GOV.UK stylesheet asks for
    "health.healthz",  # load balancers and monitoring
    "auth.login",
    "auth.logout",
    "auth.home",  # redirects to sign in, or to the role's start page
    # A partner without an account opens a signed link from its email: the token is the key,
    # and the page shows only the reference and the agency until the visitor signs in or
    # confirms a one-time code sent to the agency's registered email.
    "partner_links.open_link",
    "partner_links.send_code",  # emails a code to the agency's own address only, 5 an hour
    "partner_links.enter_code",  # the code (5 wrong guesses at most) is how they sign in
    # An emailed invitation or reset link: the single-use, expiring token is the key; an
    # unknown token shows only that it is not valid.
    "account_links.set_password",
    # After the right password only: the half-signed-in state in the session (a user id, for
    # 5 minutes) is the key; without it both go back to sign in. Wrong codes count as failed
    # sign-ins (the same lock).
    "two_factor.code",
    "two_factor.set_up",
    # Twilio calls it with delivery receipts: a valid X-Twilio-Signature is its guard, and
    # without one it answers 403 and changes nothing.
    "webhooks.twilio_status",
    # The Open Referral UK directory (read-only, GET): the active partner agencies as the hub
    # publishes them, for councils' directories; never a client, a referral or a private number.
    "openreferral.root",
    "openreferral.services",
    "openreferral.service",
}


@pytest.fixture(scope="module")
def plain_app(tmp_path_factory):
    return create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"},
        instance_path=str(tmp_path_factory.mktemp("instance")),
    )


def test_every_route_declares_who_may_use_it(plain_app):
    undeclared = [
        rule.rule
        for rule in plain_app.url_map.iter_rules()
        if rule.endpoint != "static"
        and not hasattr(plain_app.view_functions[rule.endpoint], "access")
    ]
    assert undeclared == [], "routes without @public, @roles_required or @api_roles"


def test_only_the_listed_routes_are_public(plain_app):
    public = {
        rule.endpoint
        for rule in plain_app.url_map.iter_rules()
        if rule.endpoint == "static"
        or getattr(plain_app.view_functions[rule.endpoint], "access", None) == PUBLIC
    }
    assert public == PUBLIC_ENDPOINTS


def test_declared_roles_are_real_roles(plain_app):
    from hub.models import ROLES

    for rule in plain_app.url_map.iter_rules():
        access = getattr(plain_app.view_functions[rule.endpoint], "access", PUBLIC)
        if access != PUBLIC:
            assert access and set(access) <= set(ROLES), rule.rule


def test_anonymous_visitors_are_sent_to_sign_in_or_refused(app, client, demo_hub):
    """Walk every GET page with placeholder ids: never a 200 with data, never a 500."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or "GET" not in rule.methods:
            continue
        url = rule.rule
        for argument in rule.arguments:
            url = url.replace(f"<{argument}>", "1").replace(f"<int:{argument}>", "1")
            url = url.replace(f"<path:{argument}>", "1").replace(f"<string:{argument}>", "1")
        response = client.get(url)
        if url.startswith("/api/"):
            assert response.status_code == 401, url
        else:
            assert response.status_code == 302, url
            assert "/login" in response.headers["Location"], url
