"""The API's client borough: from the postcode when not given, shown on the submission and its
referrals; a bad postcode is 422 naming the field."""

from __future__ import annotations

import pytest

from tests.api.test_api_submissions import URL, body, nothing_was_created
from tests.api_support import bearer

pytestmark = pytest.mark.both_databases


@pytest.mark.parametrize(
    "postcode, borough, partner",
    [
        ("SW9 8AA", "lambeth", "lambeth-talking-therapies"),
        ("se17 1aa", "southwark", "southwark-talking-therapies"),
        ("SE1 7PB", "lambeth", "lambeth-talking-therapies"),  # the sector beats SE1
        ("SE1 9GF", "southwark", "southwark-talking-therapies"),
        ("N1 9GU", None, "talking-therapies"),
    ],
)
def test_a_client_without_a_borough_gets_their_postcodes(
    client, demo_hub, now, postcode, borough, partner
):
    payload = body(yes=("low_mood",), postcode=postcode)
    del payload["client"]["borough"]
    response = client.post(URL, json=payload, headers=bearer("frontline", now))
    assert response.status_code == 201, response.json
    assert response.json["borough"] == borough
    [referral] = response.json["referrals"]
    assert referral["partner"] == partner and referral["borough"] == borough

    shown = client.get(response.headers["Location"], headers=bearer("frontline", now)).json
    assert shown["borough"] == borough
    one = client.get(f"/api/v1/referrals/{referral['id']}", headers=bearer("hub", now)).json
    assert one["borough"] == borough
    listed = client.get("/api/v1/referrals", headers=bearer("hub", now)).json["items"]
    assert [item["borough"] for item in listed] == [borough]


def test_a_given_borough_wins_over_the_postcode(client, demo_hub, now):
    payload = body(yes=("low_mood",), postcode="SW9 8AA", borough="southwark")
    response = client.post(URL, json=payload, headers=bearer("frontline", now))
    assert response.json["borough"] == "southwark"
    assert response.json["referrals"][0]["partner"] == "southwark-talking-therapies"


@pytest.mark.parametrize("postcode", ["SW99 ZZZ", "12345", "SE1"])
def test_a_postcode_that_is_not_a_uk_postcode_is_422_naming_it(client, demo_hub, now, postcode):
    payload = body(postcode=postcode)
    del payload["client"]["borough"]
    response = client.post(URL, json=payload, headers=bearer("frontline", now))
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {
        "client.postcode": "Enter a real postcode, like SE1 7PB"
    }
    assert nothing_was_created()
