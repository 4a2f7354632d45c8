"""Moving a referral over the API: each change, who may make it, refusals that change nothing."""

from datetime import timedelta

import pytest

from hub.models import ReferralEvent
from hub.referrals import lifecycle
from tests.api_support import bearer, count, fresh
from tests.factories import submit, user


def post(client, referral, action, role, now, **kwargs):
    return client.post(
        f"/api/v1/referrals/{referral.id}/{action}", headers=bearer(role, now), **kwargs
    )


@pytest.fixture
def received(db, demo_hub, now):
    """A smoke alarm referral, waiting at the hub (the demo partner is the fire brigade)."""
    referral = submit(user("frontline"), now, yes=("smoke_alarms",)).referrals[0]
    db.session.commit()
    return referral


@pytest.fixture
def forwarded(db, received, now):
    lifecycle.forward_referral(received, user("hub"), now)
    db.session.commit()
    return received


def last_event(referral) -> ReferralEvent:
    return fresh(referral).events[-1]


@pytest.mark.both_databases  # locks the referral: FOR UPDATE OF
def test_hub_staff_forward_a_referral_with_no_body(client, received, now):
    response = post(client, received, "forward", "hub", now)
    assert response.status_code == 200, response.json
    answer = response.json
    assert answer["id"] == received.id
    assert answer["status"] == "forwarded"
    assert answer["forwarded_at"].endswith("Z")
    assert answer["contact_due_at"] is not None
    referral = fresh(received)
    assert referral.status == "forwarded"
    assert answer["forwarded_at"] == referral.forwarded_at.isoformat() + "Z"
    assert referral.contact_due_at == referral.forwarded_at + timedelta(days=14)
    event = last_event(received)
    assert (event.kind, event.actor.email) == ("forwarded", "hub@demo.sail.example")


@pytest.mark.both_databases  # locks the referral: FOR UPDATE OF
def test_the_partner_accepts_records_contact_and_closes_with_an_outcome(client, forwarded, now):
    accepted = post(client, forwarded, "accept", "partner", now)
    assert accepted.status_code == 200
    assert accepted.json["status"] == "accepted"
    assert accepted.json["accepted_at"].endswith("Z")

    contacted = post(client, forwarded, "contact", "partner", now, json={"notes": "Visit booked"})
    assert contacted.status_code == 200
    assert contacted.json["status"] == "contacted"
    assert last_event(forwarded).details == {"notes": "Visit booked"}

    closed = post(
        client,
        forwarded,
        "close",
        "partner",
        now,
        json={"outcome": "service_provided", "notes": "Two alarms fitted"},
    )
    assert closed.status_code == 200
    assert closed.json["status"] == "closed"
    assert closed.json["outcome"] == "service_provided"
    assert closed.json["closed_at"].endswith("Z")
    assert closed.json["overdue"] is False
    event = last_event(forwarded)
    assert event.kind == "closed"
    assert event.actor.email == "partner@demo.sail.example"
    assert event.details == {"outcome": "service_provided", "notes": "Two alarms fitted"}
    assert fresh(forwarded).outcome == "service_provided"


def test_hub_staff_may_act_on_a_partners_behalf(client, forwarded, now):
    for action, body in (
        ("accept", None),
        ("contact", None),
        ("close", {"outcome": "not_eligible"}),
    ):
        response = post(client, forwarded, action, "hub", now, json=body)
        assert response.status_code == 200, (action, response.json)
        assert last_event(forwarded).actor.email == "hub@demo.sail.example"
    assert fresh(forwarded).status == "closed"


def test_the_partner_declines_with_a_reason(client, forwarded, now):
    response = post(client, forwarded, "decline", "partner", now, json={"reason": "Out of area"})
    assert response.status_code == 200
    assert response.json["status"] == "declined"
    referral = fresh(forwarded)
    assert (referral.status, referral.status_reason) == ("declined", "Out of area")
    # Free text, as before the list of reasons: "other".
    assert last_event(forwarded).details == {"reason": "Out of area", "reason_code": "other"}


def test_hub_staff_cancel_with_a_reason(client, received, now):
    response = post(client, received, "cancel", "hub", now, json={"reason": "Consent withdrawn"})
    assert response.status_code == 200
    assert response.json["status"] == "cancelled"
    assert fresh(received).status_reason == "Consent withdrawn"


@pytest.mark.parametrize(
    "action, role, body",
    [
        ("accept", "hub", None),  # still at the hub
        ("contact", "hub", None),
        ("close", "hub", {"outcome": "service_provided"}),
    ],
)
def test_an_illegal_transition_is_409_and_changes_nothing(
    client, received, now, action, role, body
):
    events = count(ReferralEvent)
    response = post(client, received, action, role, now, json=body)
    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "transition_not_allowed"
    assert "received" in error["message"]
    referral = fresh(received)
    assert referral.status == "received"
    assert referral.accepted_at is referral.contacted_at is referral.closed_at is None
    assert count(ReferralEvent) == events


def test_forwarding_twice_is_409(client, forwarded, now):
    forwarded_at = fresh(forwarded).forwarded_at
    response = post(client, forwarded, "forward", "hub", now)
    assert response.status_code == 409
    assert fresh(forwarded).forwarded_at == forwarded_at


@pytest.mark.parametrize(
    "action, role, body, field",
    [
        ("decline", "partner", None, "reason"),
        ("decline", "partner", {"reason": "   "}, "reason"),
        ("decline", "partner", {"reason": 42}, "reason"),
        ("close", "partner", {}, "outcome"),
        ("close", "partner", {"outcome": "sorted"}, "outcome"),
        ("cancel", "hub", {"reason": ""}, "reason"),
    ],
)
def test_missing_or_bad_details_are_422_naming_the_field(
    client, db, forwarded, now, action, role, body, field
):
    if action == "close":
        lifecycle.record_contact(forwarded, user("partner"), now)
        db.session.commit()
    status, events = fresh(forwarded).status, count(ReferralEvent)
    response = post(client, forwarded, action, role, now, json=body)
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == [field]
    assert response.json["error"]["fields"][field]
    assert fresh(forwarded).status == status
    assert count(ReferralEvent) == events


@pytest.mark.parametrize("data", ["{oops", "[1, 2]", '"reason"'])
def test_a_malformed_body_is_400_and_changes_nothing(client, forwarded, now, data):
    response = post(
        client, forwarded, "decline", "partner", now, data=data, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "malformed"
    assert fresh(forwarded).status == "forwarded"


def test_a_partner_cannot_act_on_another_partners_referral_or_an_unforwarded_one(
    client, db, demo_hub, now
):
    smoke, falls = submit(user("frontline"), now, yes=("smoke_alarms", "falls")).referrals
    lifecycle.forward_referral(falls, user("hub"), now)
    db.session.commit()
    for referral, action in ((falls, "accept"), (falls, "decline"), (smoke, "accept")):
        response = post(client, referral, action, "partner", now, json={"reason": "Not ours"})
        assert response.status_code == 404
    assert (fresh(smoke).status, fresh(falls).status) == ("received", "forwarded")
