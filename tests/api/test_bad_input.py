"""Bad input to the API is refused with a JSON error that says what to put right, and changes
nothing (docs/design.md, "Limits on input"): sizes, lengths, NUL and lone surrogates, ids beyond
the database's integer, periods and times that would overflow."""

from __future__ import annotations

import json

import pytest

from hub.models import Client, Referral, ReferralEvent, Submission
from hub.referrals import lifecycle
from tests.api_support import bearer, count, fresh
from tests.factories import client_details, sail_answers, submit, user

SUBMISSIONS = "/api/v1/submissions"
LARGEST_ID = 2**31 - 1


def submission(**overrides) -> dict:
    details = client_details()
    details.pop("contact_times")
    details.update(overrides.pop("client", {}))
    return {
        "questionnaire": "sail",
        "client": details,
        "consent": {"given": True},
        "answers": sail_answers("smoke_alarms"),
        **overrides,
    }


def post_raw(client, url: str, raw: bytes, headers: dict):
    return client.post(url, data=raw, content_type="application/json", headers=headers)


def fields(response) -> dict:
    assert response.is_json, response.get_data(as_text=True)[:300]
    return response.json["error"].get("fields", {})


def nothing_was_created() -> bool:
    return count(Submission) == count(Referral) == count(Client) == 0


@pytest.fixture
def received(db, demo_hub, now):
    referral = submit(user("frontline"), now, yes=("smoke_alarms",)).referrals[0]
    db.session.commit()
    return referral


@pytest.fixture
def forwarded(db, received, now):
    lifecycle.forward_referral(received, user("hub"), now)
    db.session.commit()
    return received


# --- Size ------------------------------------------------------------------------------------


def test_a_request_over_a_mebibyte_is_413_as_json(client, demo_hub, now):
    body = json.dumps(submission(notes="x" * (1024 * 1024))).encode()
    response = post_raw(client, SUBMISSIONS, body, bearer("frontline", now))
    assert response.status_code == 413
    assert response.json["error"]["code"] == "too_large"
    assert nothing_was_created()


def test_the_limit_is_the_setting(app, client, demo_hub, now):
    app.config["MAX_CONTENT_LENGTH"] = 2000
    body = json.dumps(submission(notes="x" * 1500)).encode()
    assert post_raw(client, SUBMISSIONS, body, bearer("frontline", now)).status_code == 413


# --- Free text -------------------------------------------------------------------------------


def test_notes_of_2001_characters_are_422_naming_notes(client, demo_hub, now):
    response = client.post(
        SUBMISSIONS, json=submission(notes="x" * 2001), headers=bearer("frontline", now)
    )
    assert response.status_code == 422
    assert fields(response)["notes"] == "Notes must be 2,000 characters or fewer"
    assert nothing_was_created()
    fine = client.post(
        SUBMISSIONS, json=submission(notes="x" * 2000), headers=bearer("frontline", now)
    )
    assert fine.status_code == 201


@pytest.mark.parametrize(
    "action, role, body, field",
    [
        ("contact", "partner", {"notes": "x" * 2001}, "notes"),
        ("decline", "partner", {"reason": "x" * 2001}, "reason"),
        ("cancel", "hub", {"reason": "x" * 2001}, "reason"),
        ("close", "partner", {"outcome": "service_provided", "notes": "x" * 2001}, "notes"),
        (
            "attempts",
            "partner",
            {"method": "phone", "reached": False, "notes": "x" * 2001},
            "notes",
        ),
    ],
)
def test_long_notes_and_reasons_on_a_referral_are_422_naming_the_field(
    client, forwarded, now, action, role, body, field
):
    events = count(ReferralEvent)
    response = client.post(
        f"/api/v1/referrals/{forwarded.id}/{action}", json=body, headers=bearer(role, now)
    )
    assert response.status_code == 422
    assert field in fields(response)
    assert count(ReferralEvent) == events
    assert fresh(forwarded).status == "forwarded"


@pytest.mark.both_databases  # PostgreSQL cannot store NUL: it was a 500 there
@pytest.mark.parametrize("text", ["Met at\x00 the club", "\ud800", "a\udfffb", "bell\x07"])
def test_notes_with_nul_or_lone_surrogates_are_422_and_not_stored(client, demo_hub, now, text):
    response = client.post(
        SUBMISSIONS, json=submission(notes=text), headers=bearer("frontline", now)
    )
    assert response.status_code == 422
    assert "notes" in fields(response)
    assert nothing_was_created()


@pytest.mark.both_databases
def test_a_name_with_nul_is_422_naming_it(client, demo_hub, now):
    body = submission(client={"family_name": "Smith\x00"})
    response = client.post(SUBMISSIONS, json=body, headers=bearer("frontline", now))
    assert response.status_code == 422
    assert "client.family_name" in fields(response)
    assert nothing_was_created()


@pytest.mark.parametrize("name", ["\u200b", "\u200b\u200c\u200d", " \ufeff ", "\u2060"])
def test_a_name_of_only_invisible_characters_is_missing(client, demo_hub, now, name):
    body = submission(client={"given_name": name})
    response = client.post(SUBMISSIONS, json=body, headers=bearer("frontline", now))
    assert response.status_code == 422
    assert fields(response)["client.given_name"] == "Enter the client’s first name"
    assert nothing_was_created()


@pytest.mark.parametrize(
    "field, text",
    [
        ("given_name", "x" * 101),
        ("address", "x" * 501),
        ("email", "a" * 250 + "@b.uk"),
        ("postcode", "SE1 7PB" + " " * 20),
        ("phone", "0" * 40),
    ],
)
def test_client_details_over_their_limits_are_422_naming_them(client, demo_hub, now, field, text):
    body = submission(client={field: text})
    response = client.post(SUBMISSIONS, json=body, headers=bearer("frontline", now))
    assert response.status_code == 422
    assert f"client.{field}" in fields(response)


def test_a_reason_of_only_zero_width_spaces_is_missing(client, forwarded, now):
    response = client.post(
        f"/api/v1/referrals/{forwarded.id}/decline",
        json={"reason": "\u200b\u200b"},
        headers=bearer("partner", now),
    )
    assert response.status_code == 422
    assert fields(response)["reason"] == "Reason for declining is required"


# --- JSON the parser chokes on ---------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [b"[" * 1000 + b"]" * 1000, b'{"a":' * 1000 + b"1" + b"}" * 1000, b"{" * 50_000],
)
def test_json_nested_deep_is_400_malformed(client, demo_hub, now, raw):
    response = post_raw(client, SUBMISSIONS, raw, bearer("frontline", now))
    assert response.status_code == 400
    assert response.json["error"]["code"] == "malformed"


def test_bad_utf8_and_nan_are_400_malformed(client, demo_hub, now):
    for raw in (b'{"notes": "\xff"}', b'{"notes": NaN}', b'{"notes": Infinity}'):
        response = post_raw(client, SUBMISSIONS, raw, bearer("frontline", now))
        assert response.status_code == 400, raw
        assert response.json["error"]["code"] == "malformed"


# --- Ids and cursors beyond the database's integer -------------------------------------------


@pytest.mark.both_databases  # PostgreSQL's integer ends at 2**31 - 1
@pytest.mark.parametrize("id_", [LARGEST_ID + 1, 2**63, 2**64, 10**30])
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/referrals/{}",
        "/api/v1/referrals/{}/events",
        "/api/v1/submissions/{}",
        "/api/v1/submissions/{}/withdraw-consent",
    ],
)
def test_ids_beyond_the_integer_range_are_404(client, demo_hub, now, path, id_):
    response = client.get(path.format(id_), headers=bearer("hub", now))
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


@pytest.mark.both_databases
def test_the_largest_id_is_an_ordinary_404(client, demo_hub, now):
    response = client.get(f"/api/v1/referrals/{LARGEST_ID}", headers=bearer("hub", now))
    assert response.status_code == 404


@pytest.mark.both_databases
@pytest.mark.parametrize(
    "url, name",
    [
        ("/api/v1/referrals?after=2147483648", "after"),
        ("/api/v1/referrals?after=9223372036854775808", "after"),
        ("/api/v1/follow-ups?after=2147483648", "after"),
        ("/api/v1/messages?after=2147483648", "after"),
        ("/api/v1/messages?referral=9223372036854775808", "referral"),
        ("/api/v1/referrals?limit=99999999999999999999", "limit"),
    ],
)
def test_cursors_beyond_the_integer_range_are_422_naming_them(client, demo_hub, now, url, name):
    response = client.get(url, headers=bearer("hub", now))
    assert response.status_code == 422
    assert name in fields(response)


@pytest.mark.both_databases
def test_the_largest_cursor_is_fine(client, demo_hub, now):
    response = client.get(f"/api/v1/referrals?after={LARGEST_ID}", headers=bearer("hub", now))
    assert response.status_code == 200
    assert response.json["items"] == []


@pytest.mark.both_databases
def test_ids_in_a_body_beyond_the_range_are_422(client, received, now):
    url = f"/api/v1/submissions/{received.submission_id}/withdraw-consent"
    response = client.post(
        url, json={"reason": "Phoned", "same_person": [2**63]}, headers=bearer("hub", now)
    )
    assert response.status_code == 422
    assert "same_person" in fields(response)
    assert fresh(received).status == "received"


@pytest.mark.both_databases  # a NUL compared with a stored slug was a 500 on PostgreSQL
@pytest.mark.parametrize("url", ["/api/v1/referrals?partner=%00", "/api/v1/messages?kind=a%00"])
def test_query_parameters_with_nul_are_422_naming_them(client, demo_hub, now, url):
    response = client.get(url, headers=bearer("hub", now))
    assert response.status_code == 422
    assert set(fields(response)) == {url.split("?")[1].split("=")[0]}


# --- Periods and times -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, field",
    [
        ("from=0001-01-01&to=2026-01-31", "from"),
        ("from=1999-12-31&to=2026-01-31", "from"),
        ("from=2026-01-01&to=9999-12-31", "to"),
        ("from=2000-01-01&to=2026-01-31", "to"),  # 26 years: more than 10
        ("from=0001-01-01&to=2026-01-31&partner=lfb-home-fire-safety", "from"),
    ],
)
def test_a_period_outside_the_bounds_is_422_at_once(client, demo_hub, now, query, field):
    response = client.get(f"/api/v1/stats/turnaround?{query}", headers=bearer("manager", now))
    assert response.status_code == 422
    assert field in fields(response)


def test_a_ten_year_period_is_fine(client, demo_hub, now):
    response = client.get(
        "/api/v1/stats/turnaround?from=2016-03-02&to=2026-03-01", headers=bearer("manager", now)
    )
    assert response.status_code == 200, response.json


@pytest.mark.parametrize(
    "moment",
    [
        "9999-12-31T23:59:59",
        "9999-12-31T23:59:59-23:59",
        "0001-01-01T00:00:00+23:59",
        "10000-01-01T00:00:00Z",
        "0000-01-01T00:00:00Z",
        "2026-03-01T09:00:00+99:00",
    ],
)
def test_times_that_would_overflow_are_422_naming_the_field(client, forwarded, now, moment):
    response = client.post(
        f"/api/v1/referrals/{forwarded.id}/contact",
        json={"contacted_at": moment},
        headers=bearer("partner", now),
    )
    assert response.status_code == 422
    assert "contacted_at" in fields(response)
    assert fresh(forwarded).status == "forwarded"
