"""``GET /api/v1/messages``: the outbox for hub and admin users, newest first, filtered, paged."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from hub.models import OutboxMessage
from tests.api_support import get, ids
from tests.factories import submit, user


def add(db, referral, now, key, **values) -> OutboxMessage:
    fields = {
        "kind": "referral_forwarded",
        "channel": "email",
        "recipient": "referrals@partner.example",
        "subject": "A referral",
        "body": "A referral was forwarded to you.",
        "status": "pending",
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
        **values,
    }
    message = OutboxMessage(key=key, referral_id=referral.id if referral else None, **fields)
    db.session.add(message)
    db.session.flush()
    return message


@pytest.fixture
def outbox(db, demo_hub, now):
    """Five messages about two referrals and one about none, oldest first."""
    smoke, falls = submit(user("frontline"), now, yes=("smoke_alarms", "falls")).referrals
    rows = [
        add(db, smoke, now, "t:1"),
        add(
            db,
            smoke,
            now,
            "t:2",
            channel="sms",
            recipient="+447700900123",
            subject=None,
            status="delivered",
            attempts=1,
            provider_id="SM" + "a" * 32,
            sent_at=now + timedelta(minutes=1),
        ),
        add(db, falls, now, "t:3", status="failed", attempts=6, last_error="550 no such user"),
        add(db, falls, now, "t:4", kind="referral_cancelled", status="sent", attempts=1),
        add(db, None, now, "t:5", kind="message_failed", recipient="hub@demo.sail.example"),
    ]
    db.session.commit()
    return {"smoke": smoke, "falls": falls, "rows": rows}


def every_message_newest_first(db, *conditions) -> list[int]:
    return list(
        db.session.scalars(
            select(OutboxMessage.id).where(*conditions).order_by(OutboxMessage.id.desc())
        )
    )


def test_an_item_has_designs_fields_with_utc_times(client, outbox, now):
    sms = outbox["rows"][1]
    items = get(client, "/api/v1/messages?status=delivered", "hub", now).json["items"]
    assert items == [
        {
            "id": sms.id,
            "referral": outbox["smoke"].id,
            "channel": "sms",
            "recipient": "+447700900123",
            "kind": "referral_forwarded",
            "status": "delivered",
            "attempts": 1,
            "provider_id": "SM" + "a" * 32,
            "created_at": "2026-03-02T09:00:00Z",
            "sent_at": "2026-03-02T09:01:00Z",
            "last_error": None,
        }
    ]


def test_a_message_about_no_referral_says_null(client, outbox, now):
    items = get(client, "/api/v1/messages?kind=message_failed", "admin", now).json["items"]
    assert [item["referral"] for item in items] == [None]


def test_hub_staff_and_admins_see_every_message_newest_first(client, db, outbox, now):
    for role in ("hub", "admin"):
        response = get(client, "/api/v1/messages?limit=200", role, now)
        assert ids(response) == every_message_newest_first(db)
        assert response.json["next"] is None


@pytest.mark.parametrize("role", ["frontline", "partner", "manager"])
def test_other_roles_are_refused(client, outbox, now, role):
    response = get(client, "/api/v1/messages", role, now)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"


def test_without_a_token_it_is_401(client, outbox):
    response = client.get("/api/v1/messages")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorised"


def test_filter_by_referral(client, db, outbox, now):
    falls = outbox["falls"]
    response = get(client, f"/api/v1/messages?referral={falls.id}", "hub", now)
    assert ids(response) == every_message_newest_first(db, OutboxMessage.referral_id == falls.id)
    assert {row.id for row in outbox["rows"][2:4]} <= set(ids(response))


def test_an_unknown_referral_is_an_empty_list(client, outbox, now):
    response = get(client, "/api/v1/messages?referral=999999", "hub", now)
    assert response.json == {"items": [], "next": None}


@pytest.mark.parametrize("value", ["abc", "1.5", "0", "-3"])
def test_a_referral_that_is_not_a_whole_number_is_422(client, outbox, now, value):
    response = get(client, f"/api/v1/messages?referral={value}", "hub", now)
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"referral"}


def test_filter_by_status_and_kind_together(client, outbox, now):
    falls = outbox["falls"]
    url = f"/api/v1/messages?referral={falls.id}&status=sent&kind=referral_cancelled"
    assert ids(get(client, url, "hub", now)) == [outbox["rows"][3].id]
    failed = get(client, f"/api/v1/messages?referral={falls.id}&status=failed", "hub", now)
    assert failed.json["items"][0]["last_error"] == "550 no such user"


def test_an_unknown_status_is_422_and_names_the_statuses(client, outbox, now):
    response = get(client, "/api/v1/messages?status=lost&referral=x", "hub", now)
    assert response.status_code == 422
    fields = response.json["error"]["fields"]
    assert set(fields) == {"status", "referral"}
    assert "pending, sending, sent, delivered, failed" in fields["status"]


def test_pages_follow_next_until_the_oldest(client, db, outbox, now):
    seen, url = [], "/api/v1/messages?limit=2"
    while url:
        response = get(client, url, "hub", now)
        page = ids(response)
        assert 1 <= len(page) <= 2
        seen += page
        url = response.json["next"]
        if url:
            parts = urlsplit(url)
            assert parse_qs(parts.query)["after"] == [str(page[-1])]
            assert parse_qs(parts.query)["limit"] == ["2"]
            url = parts.path + "?" + parts.query
    assert seen == every_message_newest_first(db)


def test_pages_keep_the_filters(client, db, outbox, now):
    smoke = outbox["smoke"]
    first = get(client, f"/api/v1/messages?referral={smoke.id}&limit=1", "hub", now)
    assert parse_qs(urlsplit(first.json["next"]).query)["referral"] == [str(smoke.id)]
    parts = urlsplit(first.json["next"])
    second = get(client, parts.path + "?" + parts.query, "hub", now)
    expected = every_message_newest_first(db, OutboxMessage.referral_id == smoke.id)
    assert ids(first) + ids(second) == expected[:2]


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "after=x", "after=0"])
def test_bad_paging_is_422(client, outbox, now, query):
    response = get(client, f"/api/v1/messages?{query}", "hub", now)
    assert response.status_code == 422
