"""Every address the API hands out starts with ``HUB_BASE_URL``, whatever ``Host`` header the
request carried: a forged one must not make the hub give out links to another site.

``HUB_BASE_URL`` is ``http://hub.test`` in the tests (``tests/conftest.py``).
"""

from datetime import timedelta

import pytest

from hub.clock import utcnow
from hub.referrals import lifecycle
from hub.urls import external_url
from notifications.messages.rendering import hub_url
from tests.api.test_api_submissions import body
from tests.api_support import bearer
from tests.factories import submit, user
from tests.support import forwarded_smoke_alarm, hours_ago

BASE = "http://hub.test/api/v1/"
FORGED = {"Host": "evil.example"}


def headers(role: str) -> dict[str, str]:
    return {**bearer(role, utcnow()), **FORGED}


def test_a_new_submission_s_location_is_on_the_hub_whatever_the_host(client, demo_hub):
    response = client.post("/api/v1/submissions", json=body(), headers=headers("frontline"))
    assert response.status_code == 201, response.json
    assert response.headers["Location"] == f"{BASE}submissions/{response.json['id']}"


def test_a_retried_submission_s_location_is_on_the_hub_too(client, demo_hub):
    key = {"Idempotency-Key": "forged-host-retry"}
    client.post(
        "/api/v1/submissions", json=body(), headers={**bearer("frontline", utcnow()), **key}
    )
    again = client.post("/api/v1/submissions", json=body(), headers={**headers("frontline"), **key})
    assert again.status_code == 201
    assert again.headers["Location"] == f"{BASE}submissions/{again.json['id']}"


@pytest.mark.both_databases  # locks the referral: FOR UPDATE OF
def test_a_re_routed_referral_s_location_is_on_the_hub(client, db, demo_hub):
    declined = forwarded_smoke_alarm()
    lifecycle.decline_referral(declined, user("partner"), hours_ago(2), "Outside our area")
    db.session.commit()
    response = client.post(
        f"/api/v1/referrals/{declined.id}/reroute",
        json={"partner": "age-uk-befriending"},
        headers=headers("hub"),
    )
    assert response.status_code == 201, response.json
    assert response.headers["Location"] == f"{BASE}referrals/{response.json['id']}"


def test_the_next_page_of_referrals_is_on_the_hub(client, db, demo_hub):
    submit(user("frontline"), hours_ago(3), yes=("smoke_alarms", "falls"))
    db.session.commit()
    answer = client.get("/api/v1/referrals?limit=1&status=received", headers=headers("hub")).json
    assert answer["next"].startswith(f"{BASE}referrals?")
    assert "status=received" in answer["next"] and "limit=1" in answer["next"]


def test_the_next_page_of_messages_is_on_the_hub(client, db, demo_hub):
    for referral in submit(
        user("frontline"), hours_ago(3), yes=("smoke_alarms", "falls")
    ).referrals:
        lifecycle.forward_referral(referral, user("hub"), hours_ago(2))
    db.session.commit()
    answer = client.get("/api/v1/messages?limit=1", headers=headers("hub")).json
    assert answer["next"].startswith(f"{BASE}messages?")


def test_the_next_page_of_follow_ups_is_on_the_hub(client, db, demo_hub):
    now = utcnow()
    for days in (60, 50):
        submit(user("frontline"), now - timedelta(days=days), yes=("smoke_alarms",))
    db.session.commit()
    answer = client.get("/api/v1/follow-ups?limit=1", headers=headers("hub")).json
    assert answer["next"].startswith(f"{BASE}follow-ups?")


def test_one_helper_builds_the_api_s_and_the_messages_links(app, db):
    with app.test_request_context("/api/v1/referrals", headers=FORGED):
        assert external_url("api.show_referral", referral_id=7) == f"{BASE}referrals/7"
        assert external_url("api.list_referrals", after=3) == f"{BASE}referrals?after=3"
        assert hub_url("hub_views.referral", referral_id=7) == "http://hub.test/hub/referrals/7"
    app.config["HUB_BASE_URL"] = "https://sail.example.org/hub/"
    with app.app_context():  # messages are built outside any request
        assert external_url("hub_views.queue") == "https://sail.example.org/hub/hub/referrals"
