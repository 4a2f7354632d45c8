"""What each caller may know through the API: no more than its own pages show it.

A partner reads a referral's history as its page shows it (``partners.queries.history``): never
the hub's notes, the hub's own forwarding warnings and breaches, or where a re-route went. A
referrer reads where each referral has got to, never a partner's or the hub's reasons; a
referral cancelled because the client withdrew consent says only "Consent withdrawn".

The API reads the real clock, so data is made "as of" moments shortly before it.
"""

import json

import pytest

from hub.auth import accounts
from hub.clock import utcnow
from hub.models import Referral
from hub.referrals import lifecycle
from hub.referrals.events import record_sla_event
from tests.api.test_api_submissions import body
from tests.api_support import bearer, fresh
from tests.factories import submit, user
from tests.support import hours_ago, partner

HUB_NOTE = "Internal: her son was abusive on the phone"
DECLINE_REASON = "Outside our area, and the family were rude to our staff"
REROUTE_NOTE = "Befriending cover Brixton"
CANCEL_REASON = "Duplicate of a GP referral to the falls clinic"
WITHDRAWAL = "Her daughter says she has dementia and cannot agree"


def get(client, path: str, role: str):
    return client.get(f"/api/v1{path}", headers=bearer(role, utcnow()))


@pytest.fixture
def declined(db, demo_hub):
    """A smoke alarm referral held at the hub past its deadline (warned, breached), noted by hub
    staff, forwarded to the fire brigade, declined with a reason and re-routed to befriending."""
    referral = submit(user("frontline"), hours_ago(40), yes=("smoke_alarms",)).referrals[0]
    db.session.flush()
    record_sla_event(referral, "forward_warning", hours_ago(20))
    record_sla_event(referral, "forward_breach", hours_ago(16))
    lifecycle.add_note(referral, user("hub"), hours_ago(15), HUB_NOTE)
    lifecycle.forward_referral(referral, user("hub"), hours_ago(14))
    lifecycle.accept_referral(referral, user("partner"), hours_ago(13))
    lifecycle.decline_referral(referral, user("partner"), hours_ago(12), DECLINE_REASON)
    new = lifecycle.reroute_referral(
        referral, partner("age-uk-befriending"), user("hub"), hours_ago(11), REROUTE_NOTE
    )
    lifecycle.forward_referral(new, user("hub"), hours_ago(10))
    db.session.commit()
    return referral


def test_a_partner_reads_the_history_its_page_shows(client, declined):
    response = get(client, f"/referrals/{declined.id}/events", "partner")
    assert response.status_code == 200, response.json
    items = response.json["items"]
    assert [item["kind"] for item in items] == [
        "received",
        "forwarded",
        "accepted",
        "declined",
        "rerouted",
    ]
    assert items[3]["details"] == {"reason": DECLINE_REASON}  # its own reason
    assert items[4]["details"] == {}  # that the hub passed it on, not to whom
    text = json.dumps(response.json)
    new = fresh(declined).submission.referrals[-1]
    for hidden in (HUB_NOTE, REROUTE_NOTE, "age-uk-befriending", new.reference, "breach"):
        assert hidden not in text, hidden


def test_the_partner_a_referral_was_re_routed_to_does_not_learn_where_it_came_from(
    client, db, declined, now
):
    befriending = accounts.create_user(
        "befriending@example.org",
        "partner",
        partner("age-uk-befriending"),
        "a-long-enough-password",
        now,
    )
    db.session.commit()
    token = accounts.issue_token(befriending, now)
    db.session.commit()
    new = fresh(declined).submission.referrals[-1]
    response = client.get(
        f"/api/v1/referrals/{new.id}/events", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.json
    received = response.json["items"][0]
    assert received["kind"] == "received"
    assert received["details"] == {"partner": "age-uk-befriending", "question": "smoke_alarms"}
    assert "lfb-home-fire-safety" not in json.dumps(response.json)


def test_hub_staff_and_managers_still_read_the_whole_history(client, declined):
    for role in ("hub", "manager"):
        items = get(client, f"/referrals/{declined.id}/events", role).json["items"]
        kinds = [item["kind"] for item in items]
        assert {"note", "forward_warning", "forward_breach", "rerouted"} <= set(kinds)
        assert items[kinds.index("note")]["details"] == {"note": HUB_NOTE}
        assert items[kinds.index("rerouted")]["details"]["partner"] == "age-uk-befriending"


@pytest.fixture
def finished(db, demo_hub):
    """A questionnaire whose fire safety referral was declined with a reason (and re-routed),
    whose falls referral the hub cancelled with a reason, and whose other referrals were
    cancelled when the client withdrew consent."""
    submission = submit(user("frontline"), hours_ago(40), yes=("smoke_alarms", "falls", "lonely"))
    smoke, falls, lonely = submission.referrals
    lifecycle.forward_referral(smoke, user("hub"), hours_ago(30))
    lifecycle.decline_referral(smoke, user("partner"), hours_ago(20), DECLINE_REASON)
    lifecycle.reroute_referral(smoke, partner("age-uk-befriending"), user("hub"), hours_ago(19))
    lifecycle.cancel_referral(falls, user("hub"), hours_ago(18), CANCEL_REASON)
    lifecycle.withdraw_consent(submission.client, user("hub"), hours_ago(2), WITHDRAWAL)
    db.session.commit()
    return submission


def test_a_referrer_never_reads_a_partner_s_or_the_hub_s_reasons(client, finished):
    response = get(client, f"/submissions/{finished.id}", "frontline")
    assert response.status_code == 200, response.json
    by_question = {}
    for referral in response.json["referrals"]:
        by_question.setdefault(referral["question"], []).append(referral)
    (smoke, rerouted), (falls,), (lonely,) = (
        by_question["smoke_alarms"],
        by_question["falls"],
        by_question["lonely"],
    )
    assert (smoke["status"], smoke["reason"]) == ("declined", None)
    assert (falls["status"], falls["reason"]) == ("cancelled", None)
    # The referrer recorded the client's consent, so may know it was withdrawn; not the words.
    assert (lonely["status"], lonely["reason"]) == ("cancelled", "Consent withdrawn")
    assert (rerouted["status"], rerouted["reason"]) == ("cancelled", "Consent withdrawn")
    text = json.dumps(response.json)
    for hidden in (DECLINE_REASON, CANCEL_REASON, WITHDRAWAL):
        assert hidden not in text, hidden


def test_hub_staff_read_every_reason_of_the_questionnaire(client, finished):
    referrals = get(client, f"/submissions/{finished.id}", "hub").json["referrals"]
    reasons = {referral["reason"] for referral in referrals}
    assert {DECLINE_REASON, CANCEL_REASON, f"Consent withdrawn: {WITHDRAWAL}"} <= reasons


def test_a_referrer_s_retried_submission_keeps_the_reasons_out_too(client, db, demo_hub):
    headers = {**bearer("frontline", utcnow()), "Idempotency-Key": "visit-with-reasons"}
    created = client.post("/api/v1/submissions", json=body(yes=("falls",)), headers=headers)
    assert created.status_code == 201, created.json
    falls = db.session.get(Referral, created.json["referrals"][0]["id"])
    lifecycle.cancel_referral(falls, user("hub"), hours_ago(1), CANCEL_REASON)
    db.session.commit()
    again = client.post("/api/v1/submissions", json=body(yes=("falls",)), headers=headers)
    assert again.status_code == 201, again.json
    assert again.json["referrals"][0]["status"] == "cancelled"
    assert again.json["referrals"][0]["reason"] is None


def test_a_partner_never_reads_that_its_contact_deadline_was_escalated(
    client, db, demo_hub, sign_in_as
):
    """The SLA watch's breach records are between the hub and its staff: the partner reads the
    reminders it was sent, on its page and through the API alike, never the escalation."""
    referral = submit(user("frontline"), hours_ago(400), yes=("smoke_alarms",)).referrals[0]
    lifecycle.forward_referral(referral, user("hub"), hours_ago(390))
    db.session.flush()
    record_sla_event(referral, "chase", hours_ago(100), number=1)
    record_sla_event(referral, "contact_breach", hours_ago(50))
    db.session.commit()

    def kinds(role: str) -> list[str]:
        response = get(client, f"/referrals/{referral.id}/events", role)
        return [item["kind"] for item in response.json["items"]]

    assert "chase" in kinds("partner") and "contact_breach" not in kinds("partner")
    assert "contact_breach" in kinds("hub")

    sign_in_as("partner")
    page = client.get(f"/partner/referrals/{referral.id}").get_data(as_text=True)
    assert "Reminder from the hub to contact the client" in page
    assert "escalated" not in page.lower() and "has been told" not in page.lower()
