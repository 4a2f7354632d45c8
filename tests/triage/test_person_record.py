"""A person's record (``/hub/people/<client id>``): every questionnaire, referral, follow-up and
wellbeing score of one person; look-alikes (same name and date of birth) apart until hub staff
confirm them; each look recorded in the audit trail."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from hub.audit import AuditEvent
from hub.people import record as records
from hub.referrals import follow_ups, lifecycle
from tests.factories import submit, user
from tests.support import page_text

SCORES = {"life_satisfaction": 4, "worthwhile": 5, "happy": 3, "anxious": 8}
LATER = {"life_satisfaction": 7, "worthwhile": 7, "happy": 6, "anxious": 2}


@pytest.fixture
def edna(db, demo_hub, now):
    """Edna Clarke's first questionnaire (wellbeing asked, followed up four weeks on with
    wellbeing again), and a second one from the same address two months later."""
    hub = user("hub")
    first = submit(user("frontline"), now)
    follow_ups.record_wellbeing(first, "questionnaire", SCORES, user("frontline"), now)
    lifecycle.forward_referral(first.referrals[0], hub, now + timedelta(hours=2))
    follow_ups.record_follow_up(
        first, hub, now + timedelta(days=28), "partly", [], "Still no smoke alarm", LATER
    )
    second = submit(user("frontline"), now + timedelta(days=60), yes=("benefits",))
    db.session.commit()
    return first, second


@pytest.fixture
def namesake(db, edna, now):
    """Another Edna Clarke born the same day, at another address: perhaps the same person."""
    other = submit(
        user("frontline"), now + timedelta(days=61), yes=("lonely",), address="3 Rye Lane, London",
        postcode="SE15 4ST", borough="southwark",
    )  # fmt: skip
    db.session.commit()
    return other


def viewed(client_ids) -> list[AuditEvent]:
    from hub.extensions import db

    return list(
        db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "viewed_person", AuditEvent.person_id.in_(client_ids)
            )
        )
    )


def test_the_record_shows_every_questionnaire_referral_follow_up_and_score(
    client, sign_in_as, edna, namesake
):
    first, second = edna
    sign_in_as("hub")
    response = client.get(f"/hub/people/{first.client_id}")
    assert response.status_code == 200
    text = page_text(response)
    assert "Person’s record Edna Clarke" in text
    # Each questionnaire is its own client row; the one about Edna again is not confirmed yet,
    # so neither it nor the namesake's is on the record: both are offered.
    assert f"Questionnaire {first.reference}" in text
    for referral in first.referrals:
        assert referral.reference in text
    assert "Needs met: Partly" in text and "Still no smoke alarm" in text
    assert "Life satisfaction: 4" in text and "Life satisfaction: 7" in text
    assert "Possibly the same person" in text
    assert "2 other questionnaires are about someone with the same name and date of birth" in text
    assert "3 Rye Lane, London, SE15 4ST" in text
    assert response.headers["Cache-Control"] == "no-store"


def test_each_look_is_in_the_audit_trail_for_every_person_shown(client, sign_in_as, edna, namesake):
    first, second = edna
    sign_in_as("manager")
    assert client.get(f"/hub/people/{first.client_id}").status_code == 200
    events = viewed([first.client_id, second.client_id, namesake.client_id])
    assert {event.person_id for event in events} == {
        first.client_id,
        second.client_id,
        namesake.client_id,
    }
    assert {event.details["where"] for event in events} == {"hub person's record"}
    assert {event.actor for event in events} == {"manager@demo.sail.example"}


def test_hub_staff_confirm_a_look_alike_and_it_joins_the_record_both_ways(
    client, sign_in_as, edna, namesake
):
    first, second = edna
    sign_in_as("hub")
    response = client.post(
        f"/hub/people/{first.client_id}/same-person", data={"other": second.client_id}
    )
    assert response.status_code == 302
    text = page_text(client.get(response.headers["Location"]))
    assert "are now on one record" in text
    assert f"Questionnaire {second.reference}" in text
    assert "1 other questionnaire is about someone" in text  # the namesake, still apart
    # From the second questionnaire's client, the same person.
    other_side = page_text(client.get(f"/hub/people/{second.client_id}"))
    assert f"Questionnaire {first.reference}" in other_side
    assert f"Questionnaire {second.reference}" in other_side


def test_confirmations_chain_into_one_person(db, edna, namesake, now):
    first, second = edna
    hub = user("hub")
    records.confirm_same_person(records.person_record(first.client_id), second.client_id, hub, now)
    records.confirm_same_person(
        records.person_record(namesake.client_id), second.client_id, hub, now
    )
    found = records.person_record(first.client_id)
    assert [q.reference for q in found.questionnaires] == [
        namesake.reference,
        second.reference,
        first.reference,
    ]
    assert found.possible == []
    assert [row.stage for row in found.wellbeing] == ["questionnaire", "follow_up"]


def test_only_a_listed_look_alike_can_be_confirmed(client, sign_in_as, edna, namesake):
    first, second = edna
    stranger = submit(user("frontline"), first.received_at, family_name="Jones")
    sign_in_as("hub")
    for other in (stranger.client_id, first.client_id):
        response = client.post(f"/hub/people/{first.client_id}/same-person", data={"other": other})
        assert response.status_code == 409
        assert "is not one listed as possibly the same person" in page_text(response)
    assert client.post(f"/hub/people/{first.client_id}/same-person", data={}).status_code == 400


def test_managers_look_but_do_not_confirm(client, sign_in_as, edna, namesake):
    first, second = edna
    sign_in_as("manager")
    text = page_text(client.get(f"/hub/people/{first.client_id}"))
    assert "This is the same person" not in text
    assert "Hub staff can confirm whether it is the same person" in text
    response = client.post(
        f"/hub/people/{first.client_id}/same-person", data={"other": second.client_id}
    )
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["frontline", "partner"])
def test_others_may_not_see_a_record(client, sign_in_as, edna, role):
    sign_in_as(role)
    assert client.get(f"/hub/people/{edna[0].client_id}").status_code == 403


def test_an_unknown_person_is_not_found(client, sign_in_as, edna):
    sign_in_as("hub")
    assert client.get("/hub/people/999999").status_code == 404


def test_the_referral_and_follow_up_pages_link_to_the_record(client, sign_in_as, edna):
    first, _ = edna
    sign_in_as("hub")
    link = f'href="/hub/people/{first.client_id}"'
    for page in (f"/hub/referrals/{first.referrals[0].id}", f"/hub/follow-ups/{first.id}"):
        response = client.get(page, follow_redirects=True)
        assert link in response.get_data(as_text=True), page
    assert link in client.get("/hub/referrals?q=clarke").get_data(as_text=True)
