"""``GET /api/v1/referrals?q=``: hub staff and managers search every referral, a partner only
its own forwarded ones, and ``q`` narrows the other filters rather than replacing them."""

from datetime import timedelta

import pytest

from hub.referrals import lifecycle, search
from tests.api_support import get, ids
from tests.factories import submit, user


@pytest.fixture
def clarke(db, demo_hub, now):
    """Edna Clarke's questionnaire (smoke alarms, falls, lonely), the smoke alarm referral
    forwarded to the fire brigade (the demo partner); and Bert Jones's, not forwarded."""
    submission = submit(user("frontline"), now)
    submit(
        user("frontline"),
        now,
        given_name="Bert",
        family_name="Jones",
        postcode="SW9 8AB",
        date_of_birth="1939-09-09",
    )
    lifecycle.forward_referral(submission.referrals[0], user("hub"), now + timedelta(hours=1))
    db.session.commit()
    return submission


def test_hub_staff_and_managers_find_a_clients_referrals(client, clarke, now):
    every = sorted(referral.id for referral in clarke.referrals)
    for role in ("hub", "manager"):
        for q in ("clarke", "EDNA CLARKE", "sw2 5sg", "1941-05-17", clarke.reference.lower()):
            response = get(client, f"/api/v1/referrals?q={q}", role, now)
            assert ids(response) == every, (role, q)


def test_a_referral_reference_finds_that_referral_alone(client, clarke, now):
    wanted = clarke.referrals[2]
    response = get(client, f"/api/v1/referrals?q={wanted.reference}", "hub", now)
    assert ids(response) == [wanted.id]
    assert response.json["items"][0]["reference"] == wanted.reference


def test_search_combines_with_the_other_filters(client, clarke, now):
    response = get(client, "/api/v1/referrals?q=clarke&status=received", "hub", now)
    assert ids(response) == [referral.id for referral in clarke.referrals[1:]]
    response = get(
        client, "/api/v1/referrals?q=clarke&partner=lfb-home-fire-safety", "manager", now
    )
    assert ids(response) == [clarke.referrals[0].id]
    assert ids(get(client, "/api/v1/referrals?q=clar", "hub", now)) == []


def test_a_partner_finds_only_its_own_forwarded_referrals(client, clarke, now):
    assert ids(get(client, "/api/v1/referrals?q=clarke", "partner", now)) == [
        clarke.referrals[0].id
    ]
    other = clarke.referrals[1].reference  # the falls clinic's, not the fire brigade's
    assert ids(get(client, f"/api/v1/referrals?q={other}", "partner", now)) == []
    assert ids(get(client, "/api/v1/referrals?q=jones", "partner", now)) == []


def test_pages_of_a_search_keep_the_search(client, clarke, now):
    response = get(client, "/api/v1/referrals?q=clarke&limit=2", "hub", now)
    assert len(ids(response)) == 2
    assert "q=clarke" in response.json["next"]


def test_an_empty_q_is_no_filter_and_a_long_one_is_refused(client, clarke, now):
    assert len(ids(get(client, "/api/v1/referrals?q=", "hub", now))) == 6
    response = get(client, "/api/v1/referrals?q=" + "x" * (search.MAX_LENGTH + 1), "hub", now)
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"q"}


def test_frontline_staff_may_not_search(client, clarke, now):
    assert get(client, "/api/v1/referrals?q=clarke", "frontline", now).status_code == 403
