"""Withdrawing consent reaches only the client who withdrew it, and the questionnaires hub staff
confirm are about the same person: never someone else who shares the name and date of birth.

``hub.referrals.consent`` lists the questionnaires that look like the same person (the same
match key) for hub staff to tick; ``hub.referrals.lifecycle.withdraw_consent`` cancels.
"""

from datetime import timedelta

import pytest

from hub.auth import accounts
from hub.referrals import consent, lifecycle
from tests.factories import submit, user

REASON = "Phoned the hub to say no more visits"


@pytest.fixture
def namesakes(db, demo_hub, now):
    """Two Edna Clarkes born on 17 May 1941: one at Acre Lane, referred by Lambeth's social
    care worker; another at Peckham Rye, referred by a Southwark community nurse."""
    nurse = accounts.create_user(
        "nurse@southwark.example",
        "frontline",
        accounts.find_organisation("southwark-community-nursing"),
        "a-long-enough-password",
        now,
    )
    acre_lane = submit(user("frontline"), now, yes=("smoke_alarms", "falls"))
    peckham = submit(
        nurse,
        now + timedelta(hours=1),
        yes=("smoke_alarms", "lonely"),
        address="40 Peckham Rye, London",
        postcode="SE15 4JR",
        borough="southwark",
    )
    lifecycle.forward_referral(peckham.referrals[0], user("hub"), now + timedelta(hours=2))
    someone_else = submit(user("frontline"), now, yes=("falls",), given_name="Winifred")
    db.session.commit()
    assert acre_lane.client.match_key == peckham.client.match_key
    return {"acre_lane": acre_lane, "peckham": peckham, "someone_else": someone_else}


def statuses(submission) -> list[str]:
    return [referral.status for referral in submission.referrals]


@pytest.mark.both_databases  # locks the referrals: FOR UPDATE OF
def test_only_the_client_who_withdrew_is_cancelled(db, namesakes, now):
    acre_lane, peckham = namesakes["acre_lane"], namesakes["peckham"]
    when = now + timedelta(days=1)
    cancelled = lifecycle.withdraw_consent(acre_lane.client, user("hub"), when, REASON)
    db.session.commit()
    assert {r.id for r in cancelled} == {r.id for r in acre_lane.referrals}
    db.session.expire_all()
    assert statuses(acre_lane) == ["cancelled", "cancelled"]
    assert statuses(peckham) == ["forwarded", "received"]
    assert acre_lane.client.consent_withdrawn_at == when
    assert peckham.client.consent_withdrawn_at is None
    assert namesakes["someone_else"].client.consent_withdrawn_at is None


@pytest.mark.both_databases  # locks the referrals: FOR UPDATE OF
def test_a_questionnaire_the_hub_confirms_is_the_same_person_is_withdrawn_too(db, namesakes, now):
    acre_lane, peckham = namesakes["acre_lane"], namesakes["peckham"]
    when = now + timedelta(days=1)
    cancelled = lifecycle.withdraw_consent(
        acre_lane.client, user("hub"), when, REASON, same_person=[peckham.client]
    )
    db.session.commit()
    assert {r.id for r in cancelled} == {r.id for r in (*acre_lane.referrals, *peckham.referrals)}
    db.session.expire_all()
    assert statuses(acre_lane) == statuses(peckham) == ["cancelled", "cancelled"]
    for referral in peckham.referrals:
        assert referral.status_reason == f"Consent withdrawn: {REASON}"
    assert acre_lane.client.consent_withdrawn_at == peckham.client.consent_withdrawn_at == when
    assert statuses(namesakes["someone_else"]) == ["received"]
    assert namesakes["someone_else"].client.consent_withdrawn_at is None


def test_the_questionnaires_that_look_like_the_same_person(db, namesakes):
    acre_lane, peckham = namesakes["acre_lane"], namesakes["peckham"]
    (other,) = consent.look_alikes(acre_lane)
    assert other.submission.id == peckham.id
    assert [r.reference for r in other.open_referrals] == [r.reference for r in peckham.referrals]
    assert [o.submission.id for o in consent.look_alikes(peckham)] == [acre_lane.id]
    assert consent.look_alikes(namesakes["someone_else"]) == []
    assert consent.open_referrals_of(acre_lane) == acre_lane.referrals


def test_a_look_alike_lists_only_its_open_referrals(db, namesakes, now):
    acre_lane, peckham = namesakes["acre_lane"], namesakes["peckham"]
    smoke, lonely = peckham.referrals
    lifecycle.close_referral(smoke, user("partner"), now + timedelta(days=1), "not_eligible")
    db.session.commit()
    (other,) = consent.look_alikes(acre_lane)
    assert other.open_referrals == [lonely]
