"""POST /api/v1/submissions: a questionnaire from another system, all or nothing."""

from datetime import datetime, timedelta

import pytest

from hub.auth import accounts
from hub.clock import utcnow
from hub.models import Client, Referral, Submission
from tests.api_support import bearer, count
from tests.factories import client_details, sail_answers, user

URL = "/api/v1/submissions"


def body(yes=("smoke_alarms", "falls"), **client_overrides) -> dict:
    details = client_details(**client_overrides)
    details.pop("contact_times")
    return {
        "questionnaire": "sail",
        "client": details,
        "consent": {"given": True},
        "answers": sail_answers(*yes),
        "notes": "Met at the lunch club",
    }


def nothing_was_created() -> bool:
    return count(Submission) == count(Referral) == count(Client) == 0


def parse_z(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text[:-1])


def test_a_good_submission_is_201_with_its_referrals(client, db, demo_hub, now):
    before = utcnow()
    payload = body(phone="020 7946 0000")
    response = client.post(URL, json=payload, headers=bearer("frontline", now))
    assert response.status_code == 201, response.json
    answer = response.json
    submission = db.session.get(Submission, answer["id"])
    assert answer["reference"] == submission.reference
    assert answer["reference"].startswith("SL-")
    assert response.headers["Location"] == f"http://hub.test/api/v1/submissions/{submission.id}"
    assert [r["question"] for r in answer["referrals"]] == ["smoke_alarms", "falls"]
    first = answer["referrals"][0]
    referral = submission.referrals[0]
    assert first["id"] == referral.id
    assert first["reference"] == f"{submission.reference}-01"
    assert first["status"] == "received"
    assert first["partner"] == "lfb-home-fire-safety"
    assert answer["referrals"][1]["partner"] == "nhs-falls-prevention"
    received = parse_z(first["received_at"])
    assert received >= before
    assert parse_z(first["forward_due_at"]) == received + timedelta(hours=24)
    for field in ("forwarded_at", "accepted_at", "contact_due_at", "contacted_at", "closed_at"):
        assert first[field] is None, field
    assert first["outcome"] is None
    assert first["overdue"] is False
    assert first["submission"] == submission.reference
    assert first["possible_duplicate_of"] is None

    assert submission.submitted_by == user("frontline")
    assert submission.notes == "Met at the lunch club"
    assert submission.consent_given is True
    assert submission.client.phone == "+442079460000"
    assert submission.client.borough == "lambeth"
    assert submission.answers == sail_answers("smoke_alarms", "falls")


def test_the_location_shows_the_submission_to_whoever_sent_it(client, demo_hub, now):
    headers = bearer("frontline", now)
    created = client.post(URL, json=body(), headers=headers)
    shown = client.get(created.headers["Location"], headers=headers)
    assert shown.status_code == 200
    assert shown.json == created.json
    assert client.get(created.headers["Location"], headers=bearer("hub", now)).status_code == 200


def test_another_frontline_worker_cannot_see_the_submission(client, db, demo_hub, now):
    created = client.post(URL, json=body(), headers=bearer("frontline", now))
    colleague = accounts.create_user(
        "colleague@demo.sail.example",
        "frontline",
        user("frontline").organisation,
        "a-long-enough-password",
        now,
    )
    db.session.commit()
    token = accounts.issue_token(colleague, now)
    db.session.commit()
    response = client.get(created.headers["Location"], headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404


def test_hub_staff_may_submit_too(client, demo_hub, now):
    response = client.post(URL, json=body(yes=("lonely",)), headers=bearer("hub", now))
    assert response.status_code == 201
    assert [r["partner"] for r in response.json["referrals"]] == ["age-uk-befriending"]


def test_all_no_is_recorded_with_no_referrals(client, demo_hub, now):
    response = client.post(URL, json=body(yes=()), headers=bearer("frontline", now))
    assert response.status_code == 201
    assert response.json["referrals"] == []
    assert count(Submission) == 1


@pytest.mark.parametrize(
    "borough, partner",
    [
        ("lambeth", "lambeth-talking-therapies"),
        ("southwark", "southwark-talking-therapies"),
        ("other", "talking-therapies"),
        (None, "talking-therapies"),  # a postcode outside the hub's areas
    ],
)
def test_a_flag_goes_to_the_borough_partner_or_else_the_default(
    client, demo_hub, now, borough, partner
):
    payload = body(yes=("low_mood",), borough=borough, postcode="N1 9GU")
    if borough is None:
        del payload["client"]["borough"]
    response = client.post(URL, json=payload, headers=bearer("frontline", now))
    assert response.status_code == 201, response.json
    assert [r["partner"] for r in response.json["referrals"]] == [partner]


def test_every_problem_is_reported_at_once_and_nothing_is_created(client, db, demo_hub, now):
    payload = body(phone="12345", postcode="NOT A POSTCODE", given_name="  ")
    payload["consent"] = {"given": False}
    del payload["answers"]["memory"]
    payload["answers"]["pets"] = True
    response = client.post(URL, json=payload, headers=bearer("frontline", now))
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "invalid"
    fields = error["fields"]
    assert set(fields) == {
        "client.given_name",
        "client.phone",
        "client.postcode",
        "consent.given",
        "answers.memory",
        "answers.pets",
    }
    assert fields["client.given_name"] == "Enter the client’s first name"
    assert fields["client.phone"].startswith("Enter a UK phone number")
    assert fields["client.postcode"] == "Enter a real postcode, like SE1 7PB"
    assert "consent" in fields["consent.given"].lower() or "agreed" in fields["consent.given"]
    assert all(message for message in fields.values())
    assert nothing_was_created()


@pytest.mark.parametrize("consent", [None, {}, {"given": "yes"}, {"given": 1}, True])
def test_consent_must_be_given_as_true(client, demo_hub, now, consent):
    payload = body()
    if consent is None:
        del payload["consent"]
    else:
        payload["consent"] = consent
    response = client.post(URL, json=payload, headers=bearer("frontline", now))
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["consent.given"]
    assert nothing_was_created()


def test_an_unknown_questionnaire_is_named_alongside_the_other_problems(client, demo_hub, now):
    payload = body(email="not-an-email")
    payload["questionnaire"] = "no-such-thing"
    response = client.post(URL, json=payload, headers=bearer("frontline", now))
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"questionnaire", "client.email"}
    assert nothing_was_created()


def test_a_missing_borough_partner_or_odd_types_are_422_not_500(client, demo_hub, now):
    payload = body(date_of_birth=19410517, phone=7700900123)
    payload["client"]["borough"] = "narnia"
    payload["notes"] = ["not", "text"]
    response = client.post(URL, json=payload, headers=bearer("frontline", now))
    assert response.status_code == 422
    fields = response.json["error"]["fields"]
    assert set(fields) == {"client.date_of_birth", "client.phone", "client.borough", "notes"}
    assert nothing_was_created()


@pytest.mark.parametrize("answers", [None, ["smoke_alarms"], "yes"])
def test_answers_must_be_an_object(client, demo_hub, now, answers):
    payload = body()
    payload["answers"] = answers
    response = client.post(URL, json=payload, headers=bearer("frontline", now))
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["answers"]
    assert nothing_was_created()


def test_an_answer_that_is_not_true_or_false_is_named(client, demo_hub, now):
    payload = body()
    payload["answers"]["falls"] = "yes"
    response = client.post(URL, json=payload, headers=bearer("frontline", now))
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["answers.falls"]
    assert nothing_was_created()


def test_a_client_that_is_not_an_object_is_named(client, demo_hub, now):
    payload = body()
    payload["client"] = "Edna Clarke"
    response = client.post(URL, json=payload, headers=bearer("frontline", now))
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["client"]


@pytest.mark.parametrize(
    "data, content_type",
    [
        ("{not json", "application/json"),
        ('["a", "list"]', "application/json"),
        ("", "application/json"),
        ("questionnaire=sail", "application/x-www-form-urlencoded"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_400(client, demo_hub, now, data, content_type):
    response = client.post(
        URL, data=data, content_type=content_type, headers=bearer("frontline", now)
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "malformed"
    assert nothing_was_created()


def test_the_same_idempotency_key_returns_the_first_answer_and_creates_nothing(
    client, demo_hub, now
):
    headers = {**bearer("frontline", now), "Idempotency-Key": "visit-2026-0001"}
    first = client.post(URL, json=body(), headers=headers)
    again = client.post(URL, json=body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Location"] == first.headers["Location"]
    assert count(Submission) == 1
    assert count(Referral) == 2


def test_different_idempotency_keys_are_different_submissions(client, demo_hub, now):
    headers = bearer("frontline", now)
    first = client.post(URL, json=body(), headers={**headers, "Idempotency-Key": "one"})
    second = client.post(URL, json=body(), headers={**headers, "Idempotency-Key": "two"})
    assert first.json["id"] != second.json["id"]
    assert count(Submission) == 2
    # A possible duplicate is flagged, not merged.
    assert (
        second.json["referrals"][0]["possible_duplicate_of"]
        == (first.json["referrals"][0]["reference"])
    )


def test_the_same_key_from_different_users_is_two_submissions(client, demo_hub, now):
    key = {"Idempotency-Key": "shared-key"}
    first = client.post(URL, json=body(), headers={**bearer("frontline", now), **key})
    second = client.post(URL, json=body(), headers={**bearer("hub", now), **key})
    assert first.status_code == second.status_code == 201
    assert first.json["id"] != second.json["id"]
    assert count(Submission) == 2


def test_a_refused_request_does_not_use_up_its_idempotency_key(client, demo_hub, now):
    headers = {**bearer("frontline", now), "Idempotency-Key": "retry-me"}
    refused = client.post(URL, json={**body(), "consent": {}}, headers=headers)
    assert refused.status_code == 422
    accepted = client.post(URL, json=body(), headers=headers)
    assert accepted.status_code == 201
    assert count(Submission) == 1


@pytest.mark.parametrize("key", ["x" * 201, "   ", "a\x00b", "tab\there", "del\x7f"])
def test_an_idempotency_key_too_long_blank_or_with_controls_is_422(client, demo_hub, now, key):
    headers = {**bearer("frontline", now), "Idempotency-Key": key}
    response = client.post(URL, json=body(), headers=headers)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid"
    assert "Idempotency-Key" in response.json["error"]["fields"]
    assert nothing_was_created()


def test_a_key_of_200_characters_is_fine(client, demo_hub, now):
    headers = {**bearer("frontline", now), "Idempotency-Key": "k" * 200}
    assert client.post(URL, json=body(), headers=headers).status_code == 201
