"""Reading referrals over the API: one, its history, and the filtered, paginated list."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from hub.clock import utcnow
from hub.referrals import lifecycle
from tests.api_support import get, ids
from tests.factories import submit, user


@pytest.fixture
def accepted(db, demo_hub, now):
    """A smoke alarm referral (the demo partner's) forwarded at 11:00 and accepted a day later."""
    referral = submit(user("frontline"), now, yes=("smoke_alarms",)).referrals[0]
    lifecycle.forward_referral(referral, user("hub"), now + timedelta(hours=2))
    lifecycle.accept_referral(referral, user("partner"), now + timedelta(days=1))
    db.session.commit()
    return referral


def test_one_referral_has_designs_fields_with_utc_times(client, accepted, now):
    response = get(client, f"/api/v1/referrals/{accepted.id}", "hub", now)
    assert response.status_code == 200
    assert response.json == {
        "id": accepted.id,
        "reference": accepted.reference,
        "status": "accepted",
        "partner": "lfb-home-fire-safety",
        "question": "smoke_alarms",
        "received_at": "2026-03-02T09:00:00Z",
        "forward_due_at": "2026-03-03T09:00:00Z",
        "forwarded_at": "2026-03-02T11:00:00Z",
        "accepted_at": "2026-03-03T09:00:00Z",
        "contact_due_at": "2026-03-16T11:00:00Z",
        "contacted_at": None,
        "closed_at": None,
        "outcome": None,
        "overdue": True,  # not contacted, and the real clock is long past 16 March 2026
        "submission": accepted.submission.reference,
        "borough": "lambeth",
        "hold_reason": None,
        "possible_duplicate_of": None,
        "declined_at": None,
        "cancelled_at": None,
        "reason": None,
        "rerouted_from": None,
        "rerouted_to": None,
        "attempts": 0,
    }


def test_its_partner_and_managers_see_the_same_referral(client, accepted, now):
    as_hub = get(client, f"/api/v1/referrals/{accepted.id}", "hub", now).json
    for role in ("partner", "manager"):
        response = get(client, f"/api/v1/referrals/{accepted.id}", role, now)
        assert response.status_code == 200
        assert response.json == as_hub


def test_a_referral_history_lists_who_did_what_and_when(client, accepted, now):
    response = get(client, f"/api/v1/referrals/{accepted.id}/events", "partner", now)
    assert response.status_code == 200
    assert response.json == {
        "items": [
            {
                "kind": "received",
                "at": "2026-03-02T09:00:00Z",
                "actor": "frontline@demo.sail.example",
                "details": {"partner": "lfb-home-fire-safety", "question": "smoke_alarms"},
            },
            {
                "kind": "forwarded",
                "at": "2026-03-02T11:00:00Z",
                "actor": "hub@demo.sail.example",
                "details": {"partner": "lfb-home-fire-safety"},
            },
            {
                "kind": "accepted",
                "at": "2026-03-03T09:00:00Z",
                "actor": "partner@demo.sail.example",
                "details": {},
            },
        ]
    }


def test_an_event_by_the_system_has_no_actor(client, db, demo_hub, now):
    referral = submit(user("frontline"), now, yes=("falls",)).referrals[0]
    lifecycle.forward_referral(referral, None, now)
    db.session.commit()
    items = get(client, f"/api/v1/referrals/{referral.id}/events", "hub", now).json["items"]
    assert items[-1]["actor"] is None


def test_a_partner_gets_404_for_another_partners_referral_and_for_one_not_yet_forwarded(
    client, db, demo_hub, now
):
    falls, smoke = submit(user("frontline"), now, yes=("smoke_alarms", "falls")).referrals[::-1]
    lifecycle.forward_referral(falls, user("hub"), now)
    db.session.commit()
    assert smoke.partner.slug == "lfb-home-fire-safety" and smoke.status == "received"
    for referral in (falls, smoke):
        for path in (f"/api/v1/referrals/{referral.id}", f"/api/v1/referrals/{referral.id}/events"):
            response = get(client, path, "partner", now)
            assert response.status_code == 404, path
            assert response.json["error"]["code"] == "not_found"
            assert get(client, path, "hub", now).status_code == 200


def test_an_absent_referral_is_404(client, demo_hub, now):
    response = get(client, "/api/v1/referrals/999999", "hub", now)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


# --- The list ---------------------------------------------------------------------------------


@pytest.fixture
def mixed(db, demo_hub, now):
    """Referrals in several states: received long ago and just now, forwarded, contacted, ..."""
    hub_user, fresh_now = user("hub"), utcnow()
    old = submit(user("frontline"), now, yes=("smoke_alarms", "falls", "lonely")).referrals
    new = submit(user("frontline"), fresh_now, yes=("smoke_alarms", "falls", "memory")).referrals
    stale_smoke, stale_falls, cancelled = old
    fresh_smoke, fresh_falls, waiting = new
    lifecycle.forward_referral(stale_smoke, hub_user, now + timedelta(hours=1))
    lifecycle.forward_referral(stale_falls, hub_user, now + timedelta(hours=1))
    lifecycle.record_contact(stale_falls, user("partner"), now + timedelta(days=2))
    lifecycle.cancel_referral(cancelled, hub_user, now + timedelta(hours=2), "Duplicate")
    lifecycle.forward_referral(fresh_smoke, hub_user, fresh_now)
    db.session.commit()
    return {
        "stale_smoke": stale_smoke,  # forwarded in March, never contacted: overdue
        "stale_falls": stale_falls,  # contacted: not overdue
        "cancelled": cancelled,
        "fresh_smoke": fresh_smoke,  # forwarded just now: not overdue
        "fresh_falls": fresh_falls,  # received just now: not overdue
        "waiting": waiting,  # received just now
    }


def test_hub_staff_and_managers_see_every_referral_in_id_order(client, mixed, now):
    every = sorted(r.id for r in mixed.values())
    assert ids(get(client, "/api/v1/referrals", "hub", now)) == every
    assert ids(get(client, "/api/v1/referrals", "manager", now)) == every


def test_a_partner_lists_only_its_own_forwarded_referrals(client, mixed, now):
    response = get(client, "/api/v1/referrals", "partner", now)
    assert ids(response) == [mixed["stale_smoke"].id, mixed["fresh_smoke"].id]
    assert {item["partner"] for item in response.json["items"]} == {"lfb-home-fire-safety"}
    assert response.json["next"] is None
    filtered = get(client, "/api/v1/referrals?partner=nhs-falls-prevention", "partner", now)
    assert ids(filtered) == []


def test_the_list_filters_by_status_and_by_partner(client, mixed, now):
    forwarded = get(client, "/api/v1/referrals?status=forwarded", "hub", now)
    assert ids(forwarded) == [mixed["stale_smoke"].id, mixed["fresh_smoke"].id]
    assert {item["status"] for item in forwarded.json["items"]} == {"forwarded"}
    falls = get(client, "/api/v1/referrals?partner=nhs-falls-prevention", "hub", now)
    assert ids(falls) == [mixed["stale_falls"].id, mixed["fresh_falls"].id]
    both = get(client, "/api/v1/referrals?partner=nhs-falls-prevention&status=received", "hub", now)
    assert ids(both) == [mixed["fresh_falls"].id]


def test_overdue_means_past_a_deadline_as_of_the_real_clock(client, db, mixed, now):
    # One more: received in March and never forwarded.
    unforwarded = submit(user("frontline"), now, yes=("cold_home",)).referrals[0]
    db.session.commit()
    overdue = get(client, "/api/v1/referrals?overdue=true", "hub", now)
    assert ids(overdue) == [mixed["stale_smoke"].id, unforwarded.id]
    assert all(item["overdue"] for item in overdue.json["items"])
    on_time = get(client, "/api/v1/referrals?overdue=false", "hub", now)
    assert unforwarded.id not in ids(on_time)
    assert mixed["stale_smoke"].id not in ids(on_time)
    assert not any(item["overdue"] for item in on_time.json["items"])
    partner = get(client, "/api/v1/referrals?overdue=true", "partner", now)
    assert ids(partner) == [mixed["stale_smoke"].id]


@pytest.mark.parametrize(
    "query, field",
    [
        ("status=lost", "status"),
        ("partner=no-such-agency", "partner"),
        ("overdue=maybe", "overdue"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("after=-1", "after"),
    ],
)
def test_a_bad_filter_is_422_naming_it(client, demo_hub, now, query, field):
    response = get(client, f"/api/v1/referrals?{query}", "hub", now)
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == [field]


def test_pagination_walks_every_page_once_with_keyset_cursors(client, app, db, demo_hub, now):
    many = ("smoke_alarms", "falls", "lonely", "memory", "benefits", "repairs", "cold_home")
    submission = submit(user("frontline"), now, yes=many)
    db.session.commit()
    expected = [r.id for r in submission.referrals]
    app.config["API_PAGE_SIZE"] = 3
    url, pages, seen = "/api/v1/referrals?status=received", [], []
    while url:
        response = get(client, url, "hub", now)
        pages.append(ids(response))
        seen += pages[-1]
        url = response.json["next"]
        if url:
            query = parse_qs(urlsplit(url).query)
            assert query["status"] == ["received"]  # filters carry over
            assert query["after"] == [str(seen[-1])]
    assert [len(page) for page in pages] == [3, 3, 1]
    assert seen == expected


def test_a_referral_added_while_paging_appears_once_at_the_end(client, db, demo_hub, now):
    first = submit(user("frontline"), now, yes=("smoke_alarms", "falls", "lonely"))
    db.session.commit()
    page = get(client, "/api/v1/referrals?limit=2", "hub", now).json
    later = submit(user("frontline"), now, yes=("memory",))
    db.session.commit()
    rest = get(client, page["next"], "hub", now).json
    walked = [i["id"] for i in page["items"]] + [i["id"] for i in rest["items"]]
    assert walked == [r.id for r in first.referrals] + [later.referrals[0].id]
    assert rest["next"] is None


def test_the_page_size_is_at_most_200(client, db, demo_hub, now):
    submit(user("frontline"), now, yes=("smoke_alarms",))
    db.session.commit()
    response = get(client, "/api/v1/referrals?limit=200", "hub", now)
    assert response.status_code == 200
    assert response.json["next"] is None
