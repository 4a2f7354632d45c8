"""The API's doors: bearer tokens, which role may use which route, and JSON errors everywhere."""

from datetime import timedelta

import pytest

from hub.models import ApiToken, Referral, ReferralEvent
from tests.api_support import bearer, count, fresh
from tests.factories import submit, user

ENDPOINTS = [
    ("GET", "/api/v1/questionnaires"),
    ("POST", "/api/v1/submissions"),
    ("GET", "/api/v1/submissions/1"),
    ("GET", "/api/v1/referrals"),
    ("GET", "/api/v1/referrals/1"),
    ("GET", "/api/v1/referrals/1/events"),
    ("POST", "/api/v1/referrals/1/forward"),
    ("POST", "/api/v1/referrals/1/accept"),
    ("POST", "/api/v1/referrals/1/contact"),
    ("POST", "/api/v1/referrals/1/close"),
    ("POST", "/api/v1/referrals/1/decline"),
    ("POST", "/api/v1/referrals/1/cancel"),
]


@pytest.mark.parametrize("method, path", ENDPOINTS)
def test_without_a_token_every_endpoint_answers_401_with_a_bearer_challenge(
    client, demo_hub, method, path
):
    response = client.open(path, method=method, json={})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorised"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Bearer sail_not-a-real-token", "Bearer ", "Basic aHViOnNlY3JldA==", "sail_no-scheme"],
)
def test_a_bad_token_or_another_scheme_is_401(client, demo_hub, header):
    response = client.get("/api/v1/questionnaires", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorised"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_401(client, db, demo_hub, now):
    headers = bearer("hub", now)
    assert client.get("/api/v1/questionnaires", headers=headers).status_code == 200
    db.session.scalar(db.select(ApiToken)).revoked_at = now
    db.session.commit()
    assert client.get("/api/v1/questionnaires", headers=headers).status_code == 401


def test_a_signed_in_browser_session_is_not_enough(client, sign_in_as):
    sign_in_as("hub")
    assert client.get("/api/v1/referrals").status_code == 401


@pytest.mark.parametrize("role", ["frontline", "hub", "partner", "manager", "admin"])
def test_every_role_may_read_the_questionnaires(client, demo_hub, now, role):
    response = client.get("/api/v1/questionnaires", headers=bearer(role, now))
    assert response.status_code == 200


FORBIDDEN = [
    ("frontline", "GET", "/referrals"),
    ("frontline", "GET", "/referrals/{id}"),
    ("frontline", "GET", "/referrals/{id}/events"),
    ("frontline", "POST", "/referrals/{id}/forward"),
    ("frontline", "POST", "/referrals/{id}/cancel"),
    ("admin", "GET", "/referrals"),
    ("admin", "GET", "/referrals/{id}"),
    ("admin", "POST", "/referrals/{id}/forward"),
    ("partner", "POST", "/submissions"),
    ("manager", "POST", "/submissions"),
    ("admin", "POST", "/submissions"),
    ("partner", "GET", "/submissions/{submission}"),
    ("partner", "POST", "/referrals/{id}/forward"),
    ("partner", "POST", "/referrals/{id}/cancel"),
    ("hub", "POST", "/referrals/{id}/decline"),
    ("manager", "POST", "/referrals/{id}/forward"),
    ("manager", "POST", "/referrals/{id}/accept"),
    ("manager", "POST", "/referrals/{id}/contact"),
    ("manager", "POST", "/referrals/{id}/close"),
    ("manager", "POST", "/referrals/{id}/cancel"),
    ("admin", "POST", "/referrals/{id}/cancel"),
]


@pytest.mark.parametrize("role, method, path", FORBIDDEN)
def test_a_role_that_may_not_is_refused_with_403_and_nothing_changes(
    client, db, demo_hub, now, role, method, path
):
    submission = submit(user("frontline"), now, yes=("smoke_alarms",))
    db.session.commit()
    referral = submission.referrals[0]
    events = count(ReferralEvent)
    url = "/api/v1" + path.format(id=referral.id, submission=submission.id)
    body = {"reason": "Not ours", "outcome": "service_provided"}
    response = client.open(url, method=method, json=body, headers=bearer(role, now))
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert fresh(referral).status == "received"
    assert count(ReferralEvent) == events
    assert count(Referral) == 1


def test_a_hub_user_may_not_decline_even_a_forwarded_referral(client, db, demo_hub, now):
    from hub.referrals import lifecycle

    referral = submit(user("frontline"), now, yes=("falls",)).referrals[0]
    lifecycle.forward_referral(referral, user("hub"), now + timedelta(hours=1))
    db.session.commit()
    response = client.post(
        f"/api/v1/referrals/{referral.id}/decline",
        json={"reason": "Full"},
        headers=bearer("hub", now),
    )
    assert response.status_code == 403
    assert fresh(referral).status == "forwarded"


def test_an_unknown_api_path_is_a_json_404(client, demo_hub, now):
    response = client.get("/api/v1/nothing-here", headers=bearer("hub", now))
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    response = client.get("/api/v1/referrals/not-a-number", headers=bearer("hub", now))
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_a_wrong_method_is_a_json_405(client, demo_hub, now):
    response = client.delete("/api/v1/referrals", headers=bearer("hub", now))
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"
