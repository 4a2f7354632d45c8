"""Fuzzing the API: whatever a client sends (odd bodies, parameters, ids), the answer is JSON and
never a 5xx, on SQLite and PostgreSQL (docs/design.md, "Limits on input").

Each test draws a bounded number of examples, with no deadline, so the file takes seconds. The
drawn values lean towards what broke the hub before: NUL, lone surrogates, zero-width spaces,
numbers beyond 2**31 and 2**63, dates in year 1 or 9999, absurd offsets, deep nesting.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api_support import bearer
from tests.factories import client_details, sail_answers, submit, user

pytestmark = pytest.mark.both_databases  # ids, NUL and integers differ between the two

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

ODD_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "\ud800",
        "x\udfffy",
        "\u200b\u200b",
        "\ufeff",
        "x" * 2001,
        "9999-12-31",
        "0001-01-01",
        "9999-12-31T23:59:59",
        "9999-12-31T23:59:59-23:59",
        "0001-01-01T00:00:00+23:59",
        "10000-01-01",
        "2026-02-30",
        "-1",
        "0",
        str(2**31),
        str(2**63),
        "1e999",
        "NaN",
        "sail",
        "lfb-home-fire-safety",
        "service_provided",
        "phone",
    ]
)
TEXT = st.one_of(ODD_TEXT, st.text(max_size=30))
NUMBERS = st.one_of(
    st.sampled_from([0, -1, 1, 2**31 - 1, 2**31, 2**63, -(2**63) - 1, 10**30]),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)


def good_submission() -> dict:
    details = client_details()
    details.pop("contact_times")
    return {
        "questionnaire": "sail",
        "client": details,
        "consent": {"given": True},
        "answers": sail_answers("smoke_alarms"),
        "notes": "Met at the lunch club",
    }


CLIENT_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "address",
    "postcode",
    "phone",
    "email",
    "preferred_contact",
    "contact_times",
    "borough",
)


@st.composite
def submission_bodies(draw):
    """A good submission with a few of its fields (or the whole) replaced by odd values."""
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON)
    body = good_submission()
    top = ["questionnaire", "client", "consent", "answers", "notes", "wellbeing"]
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(["top", "client", "answers", "wellbeing"]))
        if where == "top":
            body[draw(st.sampled_from(top))] = draw(JSON)
        elif where == "client" and isinstance(body.get("client"), dict):
            body["client"][draw(st.sampled_from(CLIENT_FIELDS))] = draw(JSON)
        elif where == "answers" and isinstance(body.get("answers"), dict):
            key = draw(st.one_of(st.sampled_from(["smoke_alarms", "falls"]), TEXT))
            body["answers"][key] = draw(JSON)
        elif where == "wellbeing":
            body["wellbeing"] = draw(
                st.dictionaries(
                    st.sampled_from(["life_satisfaction", "worthwhile", "happiness", "anxiety"]),
                    NUMBERS,
                    max_size=4,
                )
            )
    return body


def assert_json_answer(response) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    assert response.is_json, response.get_data(as_text=True)[:200]
    if response.status_code >= 400:
        assert response.json["error"]["code"]


def post_json(client, url, body, headers):
    data = json.dumps(body, allow_nan=False) if not isinstance(body, bytes) else body
    return client.post(url, data=data, content_type="application/json", headers=headers)


def test_odd_submission_bodies_are_never_a_500(client, demo_hub, now):
    headers = bearer("frontline", now)

    @FUZZ
    @given(body=submission_bodies())
    def check(body):
        assert_json_answer(post_json(client, "/api/v1/submissions", body, headers))

    check()


@pytest.fixture
def referral_id(db, demo_hub, now):
    referral = submit(user("frontline"), now, yes=("smoke_alarms",)).referrals[0]
    db.session.commit()
    return referral.id


ACTIONS = (
    "forward",
    "accept",
    "contact",
    "close",
    "decline",
    "cancel",
    "attempts",
    "reroute",
    "reopen",
)
TRANSITION_FIELDS = (
    "notes",
    "note",
    "reason",
    "outcome",
    "partner",
    "contacted_at",
    "attempted_at",
    "method",
    "reached",
)


def test_odd_transition_bodies_are_never_a_500(client, referral_id, now):
    headers = {role: bearer(role, now) for role in ("hub", "partner")}

    @FUZZ
    @given(
        action=st.sampled_from(ACTIONS),
        role=st.sampled_from(["hub", "partner"]),
        body=st.one_of(st.dictionaries(st.sampled_from(TRANSITION_FIELDS), JSON, max_size=4), JSON),
    )
    def check(action, role, body):
        url = f"/api/v1/referrals/{referral_id}/{action}"
        assert_json_answer(post_json(client, url, body, headers[role]))

    check()


LISTS = ("/api/v1/referrals", "/api/v1/messages", "/api/v1/follow-ups", "/api/v1/stats/turnaround")
PARAMETERS = (
    "limit",
    "after",
    "status",
    "partner",
    "overdue",
    "referral",
    "kind",
    "from",
    "to",
    "referrer",
    "borough",
    "question",
)


def test_odd_query_parameters_are_never_a_500(client, demo_hub, now):
    headers = bearer("hub", now)

    @FUZZ
    @given(
        url=st.sampled_from(LISTS),
        args=st.dictionaries(st.sampled_from(PARAMETERS), TEXT, max_size=4),
    )
    def check(url, args):
        # As a client would send them: UTF-8, even a lone surrogate's bytes (werkzeug replaces).
        encoded = {name: value.encode("utf-8", "surrogatepass") for name, value in args.items()}
        assert_json_answer(client.get(f"{url}?{urlencode(encoded)}", headers=headers))

    check()


PATHS = (
    "/api/v1/referrals/{}",
    "/api/v1/referrals/{}/events",
    "/api/v1/referrals/{}/attempts",
    "/api/v1/submissions/{}",
    "/api/v1/submissions/{}/withdraw-consent",
)


def test_odd_ids_in_paths_are_never_a_500(client, demo_hub, now):
    headers = bearer("hub", now)

    @FUZZ
    @given(
        path=st.sampled_from(PATHS),
        id_=st.one_of(
            st.integers(min_value=-(2**70), max_value=2**70).map(str),
            st.sampled_from(["0", "00", "2147483647", "2147483648", str(2**63), "1e3", "%00"]),
        ),
    )
    def check(path, id_):
        assert_json_answer(client.get(path.format(id_), headers=headers))

    check()


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 1000 + b"]" * 1000,
        b'{"a":' * 1000 + b"1" + b"}" * 1000,
        b"[" * 100_000,
        b'{"notes": "\xff\xfe"}',
        b"[1, 2]",
        b'"text"',
        b"NaN",
        b'{"notes": NaN}',
        b'{"notes": "\\u0000"}',
        b'{"notes": "\\ud800"}',
    ],
)
def test_json_the_parser_chokes_on_is_a_json_error(client, demo_hub, now, raw):
    response = post_json(client, "/api/v1/submissions", raw, bearer("frontline", now))
    assert response.status_code in (400, 422)
    assert response.json["error"]["code"] in ("malformed", "invalid")
