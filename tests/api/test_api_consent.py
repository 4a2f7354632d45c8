"""``/api/v1/submissions/{id}/withdraw-consent``: what withdrawing would reach (GET), and the
withdrawal (POST), which includes another questionnaire only when hub staff name it as the same
person (``same_person``), never because it shares the name and date of birth.

The API reads the real clock, so data is made "as of" moments shortly before it.
"""

import pytest

from hub.auth import accounts
from hub.clock import utcnow
from hub.referrals import lifecycle
from tests.api_support import bearer, fresh
from tests.factories import submit, user
from tests.support import hours_ago


@pytest.fixture
def namesakes(db, demo_hub):
    nurse = accounts.create_user(
        "nurse@southwark.example",
        "frontline",
        accounts.find_organisation("southwark-community-nursing"),
        "a-long-enough-password",
        utcnow(),
    )
    acre_lane = submit(user("frontline"), hours_ago(30), yes=("smoke_alarms", "falls"))
    peckham = submit(
        nurse,
        hours_ago(20),
        yes=("smoke_alarms", "lonely"),
        address="40 Peckham Rye, London",
        postcode="SE15 4JR",
        borough="southwark",
    )
    lifecycle.forward_referral(peckham.referrals[0], user("hub"), hours_ago(19))
    someone_else = submit(user("frontline"), hours_ago(5), yes=("falls",), given_name="Winifred")
    db.session.commit()
    return {"acre_lane": acre_lane, "peckham": peckham, "someone_else": someone_else}


def path(submission) -> str:
    return f"/api/v1/submissions/{submission.id}/withdraw-consent"


def withdraw(client, submission, **body):
    return client.post(path(submission), json=body, headers=bearer("hub", utcnow()))


def statuses(submission) -> list[str]:
    return [fresh(referral).status for referral in submission.referrals]


def test_hub_staff_see_what_withdrawing_would_reach(client, namesakes):
    acre_lane, peckham = namesakes["acre_lane"], namesakes["peckham"]
    response = client.get(path(acre_lane), headers=bearer("hub", utcnow()))
    assert response.status_code == 200, response.json
    answer = response.json
    assert answer["submission"] == acre_lane.reference
    assert answer["consent_withdrawn_at"] is None
    assert answer["open_referrals"] == [r.reference for r in acre_lane.referrals]
    assert answer["possible_same_person"] == [
        {
            "id": peckham.id,
            "reference": peckham.reference,
            "received_at": answer["possible_same_person"][0]["received_at"],
            "referrer": "southwark-community-nursing",
            "client": {"address": "40 Peckham Rye, London", "postcode": "SE15 4JR"},
            "consent_withdrawn_at": None,
            "open_referrals": [r.reference for r in peckham.referrals],
        }
    ]
    assert answer["possible_same_person"][0]["received_at"].endswith("Z")


@pytest.mark.both_databases  # locks the referrals: FOR UPDATE OF
def test_withdrawing_reaches_only_the_questionnaire_s_own_client(client, namesakes):
    acre_lane, peckham = namesakes["acre_lane"], namesakes["peckham"]
    response = withdraw(client, acre_lane, reason="Phoned to say no")
    assert response.status_code == 200, response.json
    assert response.json["cancelled"] == [r.reference for r in acre_lane.referrals]
    assert response.json["withdrawn"] == [acre_lane.reference]
    assert statuses(peckham) == ["forwarded", "received"]
    assert fresh(peckham.client).consent_withdrawn_at is None


@pytest.mark.both_databases  # locks the referrals: FOR UPDATE OF
def test_a_questionnaire_named_as_the_same_person_is_withdrawn_too(client, namesakes):
    acre_lane, peckham = namesakes["acre_lane"], namesakes["peckham"]
    response = withdraw(client, acre_lane, reason="Phoned to say no", same_person=[peckham.id])
    assert response.status_code == 200, response.json
    assert sorted(response.json["cancelled"]) == sorted(
        r.reference for r in (*acre_lane.referrals, *peckham.referrals)
    )
    assert response.json["withdrawn"] == [acre_lane.reference, peckham.reference]
    assert statuses(peckham) == ["cancelled", "cancelled"]
    assert statuses(namesakes["someone_else"]) == ["received"]


@pytest.mark.parametrize("same_person", ["all", [True], ["x"], "someone_else", "itself"])
def test_only_the_questionnaires_offered_may_be_named(client, namesakes, same_person):
    acre_lane = namesakes["acre_lane"]
    if same_person == "someone_else":
        same_person = [namesakes["someone_else"].id]
    elif same_person == "itself":
        same_person = [acre_lane.id]
    response = withdraw(client, acre_lane, reason="Phoned to say no", same_person=same_person)
    assert response.status_code == 422, response.json
    assert set(response.json["error"]["fields"]) == {"same_person"}
    assert statuses(acre_lane) == ["received", "received"]
    assert fresh(acre_lane.client).consent_withdrawn_at is None


def test_only_hub_staff_may_look(client, namesakes):
    for role in ("frontline", "partner", "manager"):
        response = client.get(path(namesakes["acre_lane"]), headers=bearer(role, utcnow()))
        assert response.status_code == 403, role
