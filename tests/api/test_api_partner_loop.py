"""The partner loop over the API: contact attempts, dated contact, closing without contact,
re-routing, reopening and withdrawing consent, with the refusals that change nothing.

The API reads the real clock, so data is created "as of" moments shortly before it.
"""

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from hub.clock import iso_z, utcnow
from hub.extensions import db as _db
from hub.models import ContactAttempt, Organisation, Referral, ReferralEvent
from hub.referrals import lifecycle
from tests.api_support import bearer, fresh
from tests.factories import submit, user
from tests.support import forwarded_smoke_alarm, hours_ago


def post(client, path, role, **kwargs):
    return client.post(f"/api/v1{path}", headers=bearer(role, utcnow()), **kwargs)


def get(client, path, role):
    return client.get(f"/api/v1{path}", headers=bearer(role, utcnow()))


def snapshot(referral) -> tuple:
    """What a refused request must leave as it was."""
    row = fresh(referral)
    return (
        row.status,
        row.outcome,
        row.contacted_at,
        _db.session.scalar(select(func.count()).where(ReferralEvent.referral_id == row.id)),
        _db.session.scalar(select(func.count()).where(ContactAttempt.referral_id == row.id)),
        _db.session.scalar(select(func.count(Referral.id))),
    )


@pytest.fixture
def forwarded(db, demo_hub):
    referral = forwarded_smoke_alarm()
    db.session.commit()
    return referral


@pytest.fixture
def declined(db, forwarded):
    lifecycle.decline_referral(forwarded, user("partner"), hours_ago(2), "Outside our area")
    db.session.commit()
    return forwarded


# --- Contact attempts -------------------------------------------------------------------------


def test_the_partner_records_an_attempt_that_did_not_reach_the_client(client, forwarded):
    when = hours_ago(3)
    response = post(
        client,
        f"/referrals/{forwarded.id}/attempts",
        "partner",
        json={
            "method": "phone",
            "reached": False,
            "attempted_at": iso_z(when),
            "notes": "No answer",
        },
    )
    assert response.status_code == 201, response.json
    answer = response.json
    assert answer["referral"] == forwarded.reference
    assert (answer["method"], answer["reached"], answer["notes"]) == ("phone", False, "No answer")
    assert answer["attempted_at"] == iso_z(when)
    assert answer["recorded_at"].endswith("Z")
    assert answer["recorded_by"] == "partner@demo.sail.example"
    assert answer["referral_status"] == "forwarded"
    attempt = _db.session.get(ContactAttempt, answer["id"])
    assert attempt.referral_id == forwarded.id and attempt.attempted_at == when


def test_an_attempt_that_reached_the_client_records_the_contact(client, forwarded):
    response = post(
        client,
        f"/referrals/{forwarded.id}/attempts",
        "partner",
        json={"method": "visit", "reached": True},
    )
    assert response.status_code == 201
    assert response.json["referral_status"] == "contacted"
    referral = fresh(forwarded)
    assert referral.status == "contacted"
    assert iso_z(referral.contacted_at) == response.json["attempted_at"]


def test_hub_staff_record_an_attempt_on_the_partners_behalf(client, forwarded):
    response = post(
        client,
        f"/referrals/{forwarded.id}/attempts",
        "hub",
        json={"method": "letter", "reached": False},
    )
    assert response.status_code == 201
    assert response.json["recorded_by"] == "hub@demo.sail.example"


def test_attempts_are_listed_oldest_first(client, db, forwarded):
    partner = user("partner")
    lifecycle.record_attempt(forwarded, partner, hours_ago(1), "sms", False, hours_ago(5))
    lifecycle.record_attempt(forwarded, partner, hours_ago(1), "phone", False, hours_ago(10))
    db.session.commit()
    for role in ("partner", "hub", "manager"):
        response = get(client, f"/referrals/{forwarded.id}/attempts", role)
        assert response.status_code == 200
        assert [item["method"] for item in response.json["items"]] == ["phone", "sms"]
    assert get(client, f"/referrals/{forwarded.id}", "partner").json["attempts"] == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reached": False}, "method"),
        ({"method": "pigeon", "reached": False}, "method"),
        ({"method": "phone"}, "reached"),
        ({"method": "phone", "reached": "no"}, "reached"),
        ({"method": "phone", "reached": False, "attempted_at": "last Tuesday"}, "attempted_at"),
        ({"method": "phone", "reached": False, "attempted_at": 20260302}, "attempted_at"),
        ({"method": "phone", "reached": False, "notes": 12}, "notes"),
    ],
)
def test_bad_attempt_details_are_422_naming_the_field(client, forwarded, body, field):
    before = snapshot(forwarded)
    response = post(client, f"/referrals/{forwarded.id}/attempts", "partner", json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"]
    assert snapshot(forwarded) == before


def test_an_attempt_in_the_future_or_before_forwarding_is_422(client, forwarded):
    before = snapshot(forwarded)
    for when, message in (
        (utcnow() + timedelta(hours=2), "must be in the past"),
        (hours_ago(60), "after the referral was forwarded"),
    ):
        response = post(
            client,
            f"/referrals/{forwarded.id}/attempts",
            "partner",
            json={"method": "phone", "reached": False, "attempted_at": iso_z(when)},
        )
        assert response.status_code == 422
        assert message in response.json["error"]["fields"]["attempted_at"]
    assert snapshot(forwarded) == before


def test_an_attempt_on_a_closed_or_unforwarded_referral_is_409(client, db, forwarded):
    lifecycle.close_referral(forwarded, user("partner"), hours_ago(1), "not_eligible")
    waiting = submit(user("frontline"), hours_ago(1), yes=("falls",)).referrals[0]
    db.session.commit()
    for referral in (forwarded, waiting):
        before = snapshot(referral)
        response = post(
            client,
            f"/referrals/{referral.id}/attempts",
            "hub",
            json={"method": "phone", "reached": True},
        )
        assert response.status_code == 409
        assert response.json["error"]["code"] == "transition_not_allowed"
        assert snapshot(referral) == before


def test_frontline_users_may_not_record_attempts(client, forwarded):
    response = post(
        client,
        f"/referrals/{forwarded.id}/attempts",
        "frontline",
        json={"method": "phone", "reached": True},
    )
    assert response.status_code == 403


# --- Contact, and closing without it ----------------------------------------------------------


def test_contact_may_say_when_it_was_made(client, forwarded):
    when = hours_ago(6)
    response = post(
        client, f"/referrals/{forwarded.id}/contact", "partner", json={"contacted_at": iso_z(when)}
    )
    assert response.status_code == 200
    assert response.json["contacted_at"] == iso_z(when)
    assert fresh(forwarded).contacted_at == when


@pytest.mark.parametrize("when", ["tomorrow", "FUTURE", "BEFORE"])
def test_a_bad_contact_time_is_422(client, forwarded, when):
    when = {
        "FUTURE": iso_z(utcnow() + timedelta(days=1)),
        "BEFORE": iso_z(hours_ago(70)),
    }.get(when, when)
    before = snapshot(forwarded)
    response = post(
        client, f"/referrals/{forwarded.id}/contact", "partner", json={"contacted_at": when}
    )
    assert response.status_code == 422
    assert "contacted_at" in response.json["error"]["fields"]
    assert snapshot(forwarded) == before


def test_closing_as_unable_to_contact_needs_three_attempts(client, db, forwarded):
    lifecycle.record_attempt(
        forwarded, user("partner"), hours_ago(1), "phone", False, hours_ago(30)
    )
    db.session.commit()
    before = snapshot(forwarded)
    refused = post(
        client, f"/referrals/{forwarded.id}/close", "partner", json={"outcome": "unable_to_contact"}
    )
    assert refused.status_code == 422
    assert "at least 3 attempts" in refused.json["error"]["fields"]["outcome"]
    assert snapshot(forwarded) == before
    for method in ("sms", "letter"):
        post(
            client,
            f"/referrals/{forwarded.id}/attempts",
            "partner",
            json={"method": method, "reached": False},
        )
    closed = post(
        client, f"/referrals/{forwarded.id}/close", "partner", json={"outcome": "unable_to_contact"}
    )
    assert closed.status_code == 200
    assert (closed.json["status"], closed.json["outcome"]) == ("closed", "unable_to_contact")
    assert closed.json["attempts"] == 3


def test_a_partner_closes_without_contact_with_an_outcome_that_needs_none(client, forwarded):
    refused = post(
        client, f"/referrals/{forwarded.id}/close", "partner", json={"outcome": "service_provided"}
    )
    assert refused.status_code == 409
    closed = post(
        client, f"/referrals/{forwarded.id}/close", "partner", json={"outcome": "not_eligible"}
    )
    assert closed.status_code == 200
    assert closed.json["outcome"] == "not_eligible"


# --- Declined: closing and re-routing ---------------------------------------------------------


def test_the_declined_referral_says_when_and_why(client, declined):
    answer = get(client, f"/referrals/{declined.id}", "hub").json
    assert answer["status"] == "declined"
    assert answer["declined_at"].endswith("Z")
    assert answer["reason"] == "Outside our area"
    assert (answer["rerouted_from"], answer["rerouted_to"], answer["cancelled_at"]) == (
        None,
        None,
        None,
    )


def test_hub_staff_close_a_declined_referral_as_no_suitable_service(client, declined):
    response = post(
        client,
        f"/referrals/{declined.id}/close",
        "hub",
        json={"outcome": "no_suitable_service", "notes": "Nothing else nearby"},
    )
    assert response.status_code == 200, response.json
    assert (response.json["status"], response.json["outcome"]) == ("closed", "no_suitable_service")
    assert fresh(declined).events[-1].details == {
        "outcome": "no_suitable_service",
        "notes": "Nothing else nearby",
    }


def test_only_the_hub_closes_as_no_suitable_service_and_only_a_declined_referral(
    client, forwarded, declined
):
    before = snapshot(declined)
    by_partner = post(
        client,
        f"/referrals/{declined.id}/close",
        "partner",
        json={"outcome": "no_suitable_service"},
    )
    assert by_partner.status_code == 422
    assert "outcome" in by_partner.json["error"]["fields"]
    other_outcome = post(
        client, f"/referrals/{declined.id}/close", "hub", json={"outcome": "not_eligible"}
    )
    assert other_outcome.status_code == 409
    assert snapshot(declined) == before


@pytest.mark.both_databases  # locks the referral: FOR UPDATE OF
def test_hub_staff_re_route_a_declined_referral(client, declined):
    response = post(
        client,
        f"/referrals/{declined.id}/reroute",
        "hub",
        json={"partner": "age-uk-befriending", "note": "They cover that area"},
    )
    assert response.status_code == 201, response.json
    new = response.json
    assert response.headers["Location"].endswith(f"/api/v1/referrals/{new['id']}")
    assert new["status"] == "received" and new["partner"] == "age-uk-befriending"
    assert new["rerouted_from"] == declined.reference
    assert new["question"] == "smoke_alarms"
    row = _db.session.get(Referral, new["id"])
    assert row.forward_due_at == row.received_at + timedelta(hours=24)
    old = get(client, f"/referrals/{declined.id}", "hub").json
    assert (old["status"], old["rerouted_to"]) == ("declined", new["reference"])
    events = get(client, f"/referrals/{declined.id}/events", "hub").json["items"]
    assert events[-1]["kind"] == "rerouted"
    assert events[-1]["details"]["note"] == "They cover that area"


@pytest.mark.parametrize(
    "body", [{}, {"partner": "no-such-agency"}, {"partner": "lfb-home-fire-safety"}, {"partner": 3}]
)
def test_re_routing_to_no_partner_or_the_same_one_is_422(client, declined, body):
    before = snapshot(declined)
    response = post(client, f"/referrals/{declined.id}/reroute", "hub", json=body)
    assert response.status_code == 422
    assert "partner" in response.json["error"]["fields"]
    assert snapshot(declined) == before


def test_re_routing_to_an_inactive_partner_is_422(client, db, declined):
    db.session.scalar(select(Organisation).filter_by(slug="carers-support")).active = False
    db.session.commit()
    response = post(
        client, f"/referrals/{declined.id}/reroute", "hub", json={"partner": "carers-support"}
    )
    assert response.status_code == 422


def test_re_routing_is_409_unless_declined_and_not_yet_re_routed(client, db, forwarded):
    before = snapshot(forwarded)
    body = {"partner": "age-uk-befriending"}
    assert post(client, f"/referrals/{forwarded.id}/reroute", "hub", json=body).status_code == 409
    assert snapshot(forwarded) == before
    lifecycle.decline_referral(forwarded, user("partner"), hours_ago(1), "No capacity")
    db.session.commit()
    assert post(client, f"/referrals/{forwarded.id}/reroute", "hub", json=body).status_code == 201
    before = snapshot(forwarded)
    again = post(
        client, f"/referrals/{forwarded.id}/reroute", "hub", json={"partner": "carers-support"}
    )
    assert again.status_code == 409
    assert "already been re-routed" in again.json["error"]["message"]
    assert snapshot(forwarded) == before
    closing = post(
        client, f"/referrals/{forwarded.id}/close", "hub", json={"outcome": "no_suitable_service"}
    )
    assert closing.status_code == 409


def test_partners_may_not_re_route_reopen_or_withdraw_consent(client, declined):
    for path, body in (
        (f"/referrals/{declined.id}/reroute", {"partner": "age-uk-befriending"}),
        (f"/referrals/{declined.id}/reopen", {"note": "x"}),
        (f"/submissions/{declined.submission_id}/withdraw-consent", {"reason": "x"}),
    ):
        for role in ("partner", "frontline", "manager"):
            assert post(client, path, role, json=body).status_code == 403, (path, role)


# --- Reopening --------------------------------------------------------------------------------


def test_hub_staff_reopen_a_closed_referral_with_a_note(client, db, forwarded):
    partner = user("partner")
    lifecycle.record_contact(forwarded, partner, hours_ago(10))
    lifecycle.close_referral(forwarded, partner, hours_ago(2), "service_provided")
    db.session.commit()
    missing = post(client, f"/referrals/{forwarded.id}/reopen", "hub", json={})
    assert missing.status_code == 422 and "note" in missing.json["error"]["fields"]
    response = post(
        client, f"/referrals/{forwarded.id}/reopen", "hub", json={"note": "The visit fell through"}
    )
    assert response.status_code == 200
    assert (response.json["status"], response.json["outcome"]) == ("contacted", None)
    event = fresh(forwarded).events[-1]
    assert (event.kind, event.actor.email) == ("reopened", "hub@demo.sail.example")
    assert event.details == {
        "note": "The visit fell through",
        "previous_outcome": "service_provided",
    }
    again = post(client, f"/referrals/{forwarded.id}/reopen", "hub", json={"note": "Again"})
    assert again.status_code == 409


# --- Consent withdrawn ------------------------------------------------------------------------


@pytest.mark.both_databases  # locks the person's referrals: FOR UPDATE OF
def test_withdrawing_consent_cancels_the_open_referrals_of_the_person_named(client, db, demo_hub):
    first = submit(user("frontline"), hours_ago(50), yes=("smoke_alarms", "falls"))
    second = submit(user("frontline"), hours_ago(5), yes=("lonely",), given_name="EDNA")
    other = submit(user("frontline"), hours_ago(5), yes=("falls",), given_name="Ada")
    smoke, falls = first.referrals
    lifecycle.forward_referral(smoke, user("hub"), hours_ago(49))
    lifecycle.forward_referral(falls, user("hub"), hours_ago(49))
    lifecycle.close_referral(falls, None, hours_ago(10), "not_eligible")
    db.session.commit()

    missing = post(client, f"/submissions/{second.id}/withdraw-consent", "hub", json={})
    assert missing.status_code == 422 and "reason" in missing.json["error"]["fields"]
    assert fresh(smoke).status == "forwarded"

    response = post(
        client,
        f"/submissions/{second.id}/withdraw-consent",
        "hub",
        json={"reason": "Phoned to say no", "same_person": [first.id]},
    )
    assert response.status_code == 200, response.json
    assert sorted(response.json["cancelled"]) == sorted(
        [smoke.reference, second.referrals[0].reference]
    )
    assert response.json["consent_withdrawn_at"].endswith("Z")
    assert fresh(falls).status == "closed"
    assert fresh(other.referrals[0]).status == "received"
    answer = get(client, f"/referrals/{smoke.id}", "partner").json
    assert answer["status"] == "cancelled"
    assert answer["cancelled_at"].endswith("Z")
    assert answer["reason"] == "Consent withdrawn: Phoned to say no"


def test_withdrawing_consent_for_an_unknown_submission_is_404(client, demo_hub):
    response = post(client, "/submissions/9999/withdraw-consent", "hub", json={"reason": "x"})
    assert response.status_code == 404


# --- Lists stay at a fixed number of queries --------------------------------------------------


def statements_for(client, app, path, headers) -> int:
    seen = []

    def count(*_):
        seen.append(1)

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(path, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(seen)


def test_listing_referrals_costs_the_same_queries_for_few_or_many(client, app, db, demo_hub):
    def add(count: int):
        for number in range(count):
            referral = forwarded_smoke_alarm(given_name=f"Person{number}x{count}")
            lifecycle.record_attempt(referral, None, hours_ago(2), "phone", False, hours_ago(4))
            lifecycle.decline_referral(referral, None, hours_ago(3), "No capacity")
            lifecycle.reroute_referral(
                referral,
                db.session.scalar(select(Organisation).filter_by(slug="age-uk-befriending")),
                None,
                hours_ago(2),
            )
        db.session.commit()

    headers = bearer("hub", utcnow())
    add(2)
    few = statements_for(client, app, "/api/v1/referrals", headers)
    add(6)
    many = statements_for(client, app, "/api/v1/referrals", headers)
    assert many == few
    items = client.get("/api/v1/referrals", headers=headers).json["items"]
    declined = [item for item in items if item["status"] == "declined"]
    rerouted = {item["rerouted_from"]: item["reference"] for item in items if item["rerouted_from"]}
    assert len(declined) == 8
    for item in declined:
        assert item["attempts"] == 1
        assert item["rerouted_to"] == rerouted[item["reference"]]
