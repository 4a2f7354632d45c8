"""Walk every route that names a referral or a questionnaire (pages and API, GET and POST) as
three people who must not reach it, and expect a refusal, never the data, and no change.

The routes are read from the app's URL map when the test runs, so a route added later is walked
too. The referral belongs to the fire brigade and has been forwarded to it, so it is visible to
the fire brigade's users; the visitors are a partner user of another agency, a frontline user who
did not submit it (from the same organisation as the one who did), and an anonymous visitor.
Signed-link routes (``/partner/links/<token>``) take a token rather than an id and have tests of
their own.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hub.auth import accounts
from hub.clock import utcnow
from hub.extensions import db as _db
from hub.models import Client, Organisation, Referral, Submission
from hub.referrals import lifecycle
from tests.factories import submit, user
from tests.support import sign_in

ID_ARGUMENTS = {"referral_id", "submission_id"}
OUT_OF_WALK = ("/partner/links/",)  # a signed token, not an id
PASSWORD = "walk-the-routes-password"
GIVEN, FAMILY = "Winifred", "Ashcombe"

# A body that would succeed for someone allowed, so a missing check would show as a change.
FORM = {
    "reason": "Walking the routes",
    "note": "Walking the routes",
    "notes": "Walking the routes",
    "outcome": "not_eligible",
    "method": "phone",
    "reached": "no",
    "partner": "age-uk-befriending",
    "needs_met": "yes",
}
JSON = {**FORM, "reached": False}

PAGE_REFUSALS = {403, 404}
API_REFUSALS = {403, 404}


def id_routes(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, rule) for every route that takes a referral or submission id."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.arguments & ID_ARGUMENTS or rule.rule.startswith(OUT_OF_WALK):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, method, rule.rule))
    return sorted(routes, key=lambda route: (route[2], route[1]))


def url_for_walk(rule: str, ids: dict[str, int]) -> str:
    def value(match: re.Match) -> str:
        return str(ids.get(match.group(1), 1))

    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", value, rule)


@pytest.fixture
def walk(app, db, demo_hub):
    """The fire brigade's forwarded referral, and the three visitors with their credentials."""
    now = utcnow()
    submission = submit(
        user("frontline"),
        now - timedelta(days=30),
        yes=("smoke_alarms",),
        given_name=GIVEN,
        family_name=FAMILY,
    )
    referral = submission.referrals[0]
    lifecycle.forward_referral(referral, user("hub"), now - timedelta(days=29))
    assert referral.partner.slug == "lfb-home-fire-safety"

    falls = db.session.scalar(select(Organisation).filter_by(slug="nhs-falls-prevention"))
    lambeth = user("frontline").organisation
    other_partner = accounts.create_user(
        "walker@nhs-falls.example", "partner", falls, PASSWORD, now, name="Other partner"
    )
    other_frontline = accounts.create_user(
        "walker@lambeth.example", "frontline", lambeth, PASSWORD, now, name="Other worker"
    )
    tokens = {
        "partner": accounts.issue_token(other_partner, now),
        "frontline": accounts.issue_token(other_frontline, now),
    }
    db.session.commit()

    clients = {"anonymous": app.test_client()}
    for role, visitor in (("partner", other_partner), ("frontline", other_frontline)):
        clients[role] = app.test_client()
        with app.app_context():
            sign_in(clients[role], visitor.email, PASSWORD)
    return {
        "referral": referral,
        "submission": submission,
        "ids": {"referral_id": referral.id, "submission_id": submission.id},
        "clients": clients,
        "tokens": tokens,
    }


def database_state(referral: Referral, submission: Submission) -> dict:
    """Every table's row count, and the referral, questionnaire and client as stored."""
    _db.session.expire_all()
    state = {
        table.name: _db.session.scalar(select(func.count()).select_from(table))
        for table in _db.metadata.sorted_tables
    }

    def columns(model, row_id):
        row = _db.session.get(model, row_id)
        return {column.name: getattr(row, column.key) for column in model.__mapper__.columns}

    state["referral row"] = columns(Referral, referral.id)
    state["submission row"] = columns(Submission, submission.id)
    state["client row"] = columns(Client, submission.client_id)
    return state


def request(client, method: str, url: str, token: str | None):
    """One request in an app context of its own: the test's context would otherwise share ``g``
    (and so the signed-in user Flask-Login keeps there) between the visitors' clients."""
    with client.application.app_context():
        return _send(client, method, url, token)


def _send(client, method: str, url: str, token: str | None):
    if url.startswith("/api/"):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if method == "GET":
            return client.get(url, headers=headers)
        return client.open(url, method=method, headers=headers, json=JSON)
    if method == "GET":
        return client.get(url)
    return client.open(url, method=method, data=FORM)


def refusal_problem(visitor: str, url: str, response) -> str | None:
    """What is wrong with the answer to a visitor who may not reach the route, or ``None``."""
    status = response.status_code
    if url.startswith("/api/"):
        expected = {401} if visitor == "anonymous" else API_REFUSALS
        if status not in expected:
            return f"answered {status}, expected one of {sorted(expected)}"
    elif visitor == "anonymous":
        if status != 302 or "/login" not in response.headers.get("Location", ""):
            return f"answered {status}, expected a redirect to sign in"
    elif status not in PAGE_REFUSALS:
        return f"answered {status}, expected one of {sorted(PAGE_REFUSALS)}"
    return None


def leaks(body: str, referral: Referral) -> list[str]:
    lowered = body.lower()
    return [word for word in (GIVEN, FAMILY, referral.reference) if word.lower() in lowered]


@pytest.mark.parametrize("visitor", ["partner", "frontline", "anonymous"])
def test_no_one_else_reaches_a_referral_or_questionnaire_by_its_id(app, walk, visitor):
    routes = id_routes(app)
    walked = {rule for _, _, rule in routes}
    # The walk covers at least the hub's, the partner portal's and the API's referral routes.
    for expected in (
        "/hub/referrals/<int:referral_id>",
        "/hub/referrals/<int:referral_id>/reroute",
        "/api/v1/referrals/<int:referral_id>/attempts",
        "/api/v1/submissions/<int:submission_id>/withdraw-consent",
    ):
        assert expected in walked

    referral, submission = walk["referral"], walk["submission"]
    client = walk["clients"][visitor]
    token = walk["tokens"].get(visitor)
    before = database_state(referral, submission)
    problems = []
    for endpoint, method, rule in routes:
        url = url_for_walk(rule, walk["ids"])
        response = request(client, method, url, token)
        problem = refusal_problem(visitor, url, response)
        leaked = leaks(response.get_data(as_text=True), referral)
        if leaked:
            problem = (problem + "; " if problem else "") + f"shows {', '.join(leaked)}"
        if problem:
            problems.append(f"{method} {url} ({endpoint}): {problem}")
        _db.session.rollback()
    assert problems == [], "\n".join(problems)
    assert database_state(referral, submission) == before


@pytest.mark.parametrize("visitor", ["partner", "frontline", "anonymous"])
def test_lists_do_not_show_the_referral_to_anyone_else(app, walk, visitor):
    """Every GET route without an id (inboxes, queues, lists): never this client or referral."""
    from tests.test_routes import PUBLIC_ENDPOINTS

    referral = walk["referral"]
    client = walk["clients"][visitor]
    token = walk["tokens"].get(visitor)
    shown = []
    for rule in app.url_map.iter_rules():
        if rule.arguments or "GET" not in rule.methods or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        response = request(client, "GET", rule.rule, token)
        assert response.status_code < 500, rule.rule
        leaked = leaks(response.get_data(as_text=True), referral)
        if leaked:
            shown.append(f"{rule.rule}: {', '.join(leaked)}")
    assert shown == []


def test_the_walk_uses_ids_its_owners_do_reach(app, walk, demo_hub):
    """A control: the same ids open the referral for the fire brigade and the hub, and the
    leak check finds the client there, so the refusals above are about who asks."""
    referral, ids = walk["referral"], walk["ids"]
    owners = {}
    for role in ("partner", "hub"):
        owners[role] = app.test_client()
        with app.app_context():
            sign_in(owners[role], demo_hub[role].email, demo_hub[role].password)
    checks = (
        ("partner", f"/partner/referrals/{ids['referral_id']}", None),
        ("hub", f"/hub/referrals/{ids['referral_id']}", None),
        ("hub", f"/api/v1/submissions/{ids['submission_id']}", "hub"),
        ("partner", f"/api/v1/referrals/{ids['referral_id']}", "partner"),
    )
    for role, url, api_role in checks:
        token = None
        if api_role:
            token = accounts.issue_token(user(api_role), utcnow())
            _db.session.commit()
        response = request(owners[role], "GET", url, token)
        assert response.status_code == 200, url
        assert referral.reference in leaks(response.get_data(as_text=True), referral), url
    page = request(owners["hub"], "GET", f"/hub/referrals/{ids['referral_id']}", None)
    assert GIVEN in leaks(page.get_data(as_text=True), referral)
