"""``Idempotency-Key`` on ``POST /api/v1/submissions``: a retry gets the first answer; the same
key with a different body is refused (422 ``idempotency_key_reused``) and creates nothing, so no
one's questionnaire is silently dropped."""

import json

import pytest
from sqlalchemy import select, update

from hub.clock import utcnow
from hub.models import Client, Referral, Submission
from hub.referrals import submissions
from tests.api.test_api_submissions import body
from tests.api_support import bearer, count

URL = "/api/v1/submissions"


def post(client, payload, key: str, role: str = "frontline"):
    """The body as given, its keys in the order given (a retry may order them otherwise)."""
    return client.post(
        URL,
        data=json.dumps(payload),
        content_type="application/json",
        headers={**bearer(role, utcnow()), "Idempotency-Key": key},
    )


def rows() -> tuple[int, int, int]:
    return count(Submission), count(Client), count(Referral)


def test_the_same_key_with_another_person_is_422_and_creates_nothing(client, db, demo_hub):
    first = post(client, body(), "visit-0001")
    assert first.status_code == 201, first.json
    before = rows()
    other = body(given_name="Winifred", family_name="Ashcombe", address="3 Brixton Hill")
    refused = post(client, other, "visit-0001")
    assert refused.status_code == 422, refused.json
    assert refused.json["error"]["code"] == "idempotency_key_reused"
    assert "Idempotency-Key" in refused.json["error"]["message"]
    assert rows() == before
    assert set(db.session.scalars(select(Client.given_name))) == {"Edna"}
    # The key still answers with the first questionnaire for its own body.
    again = post(client, body(), "visit-0001")
    assert (again.status_code, again.json) == (201, first.json)
    assert rows() == before


def test_the_same_key_with_different_answers_is_refused_too(client, demo_hub):
    assert post(client, body(yes=("falls",)), "visit-0002").status_code == 201
    refused = post(client, body(yes=("falls", "lonely")), "visit-0002")
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "idempotency_key_reused"
    assert count(Referral) == 1


def test_the_same_body_in_another_order_is_the_same_submission(client, demo_hub):
    payload = body()
    first = post(client, payload, "visit-0003")
    reordered = {key: payload[key] for key in reversed(list(payload))}
    reordered["client"] = dict(reversed(list(payload["client"].items())))
    again = post(client, reordered, "visit-0003")
    assert (again.status_code, again.json) == (201, first.json)
    assert again.headers["Location"] == first.headers["Location"]
    assert count(Submission) == 1


def test_a_submission_made_before_bodies_were_kept_is_retried_as_before(client, db, demo_hub):
    """Submissions from before migration 0006 have no body hash: any retry of their key answers
    with them, as it always did."""
    first = post(client, body(), "visit-0004")
    db.session.execute(update(Submission).values(idempotency_body_hash=None))
    db.session.commit()
    again = post(client, body(given_name="Winifred"), "visit-0004")
    assert (again.status_code, again.json["id"]) == (201, first.json["id"])
    assert count(Submission) == 1


def test_a_refused_body_does_not_use_the_key_up(client, demo_hub):
    """A body the hub refuses (422 invalid) stores nothing, so its hash is not the key's."""
    assert post(client, {**body(), "consent": {}}, "visit-0005").status_code == 422
    assert post(client, body(given_name="Winifred"), "visit-0005").status_code == 201


@pytest.mark.both_databases  # the unique key refuses the second insert: IntegrityError
def test_two_requests_at_once_with_one_key_and_different_bodies(client, db, demo_hub, monkeypatch):
    """The second request looked before the first had committed, so it finds the key only when
    the database refuses its insert: it is refused all the same."""
    first = post(client, body(), "visit-0006")
    assert first.status_code == 201
    real = submissions.find_by_idempotency_key
    looks = []

    def too_early(user, key):
        looks.append(key)
        return None if len(looks) == 1 else real(user, key)

    monkeypatch.setattr(submissions, "find_by_idempotency_key", too_early)
    before = rows()
    refused = post(client, body(given_name="Winifred"), "visit-0006")
    assert refused.status_code == 422, refused.json
    assert refused.json["error"]["code"] == "idempotency_key_reused"
    assert len(looks) == 2
    assert rows() == before
    looks.clear()
    same = post(client, body(), "visit-0006")
    assert (same.status_code, same.json) == (201, first.json)
