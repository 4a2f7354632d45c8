"""The hub's "client has withdrawn consent" page: it cancels the client's own open referrals, and
those of another questionnaire only when hub staff tick it as the same person.

Pages read the real clock, so data is made "as of" moments shortly before it.
"""

import re

import pytest

from hub.auth import accounts
from hub.clock import utcnow
from hub.people import record as records
from hub.referrals import lifecycle
from tests.factories import submit, user
from tests.support import fresh, hours_ago, page_text

REASON = "Her daughter phoned: no more visits"


@pytest.fixture
def namesakes(db, demo_hub):
    """Two Edna Clarkes with the same date of birth at different addresses, referred by
    different referrers, and a Winifred who is no one's namesake."""
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


def url(namesakes) -> str:
    return f"/hub/referrals/{namesakes['acre_lane'].referrals[0].id}/withdraw-consent"


def statuses(submission) -> list[str]:
    return [fresh(referral).status for referral in submission.referrals]


def test_the_page_offers_the_namesake_s_questionnaire_unticked(client, sign_in_as, namesakes):
    sign_in_as("hub")
    response = client.get(url(namesakes))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = page_text(response)
    acre_lane, peckham = namesakes["acre_lane"], namesakes["peckham"]
    assert "2 referrals will be cancelled" in text
    for referral in acre_lane.referrals:
        assert referral.reference in text
    assert "Other questionnaires for the same name and date of birth" in text
    assert peckham.reference in text
    assert "40 Peckham Rye, London" in text and "SE15 4JR" in text
    assert "Southwark Community Nursing" in text
    for referral in peckham.referrals:
        assert referral.reference in text
    assert f'name="same_person" type="checkbox" value="{peckham.id}"' in html
    assert "checked" not in html
    assert namesakes["someone_else"].reference not in text
    assert "Record withdrawal of consent" in text


def test_withdrawing_without_ticking_leaves_the_namesake_alone(client, sign_in_as, namesakes):
    sign_in_as("hub")
    response = client.post(url(namesakes), data={"reason": REASON})
    assert response.status_code == 302
    assert statuses(namesakes["acre_lane"]) == ["cancelled", "cancelled"]
    assert statuses(namesakes["peckham"]) == ["forwarded", "received"]
    assert fresh(namesakes["peckham"].client).consent_withdrawn_at is None
    assert fresh(namesakes["acre_lane"].client).consent_withdrawn_at is not None
    text = page_text(client.get(response.headers["Location"]))
    assert "2 referrals cancelled. None had been forwarded to a partner yet." in text


def test_withdrawing_with_the_namesake_ticked_cancels_both(client, sign_in_as, namesakes):
    sign_in_as("hub")
    peckham = namesakes["peckham"]
    response = client.post(url(namesakes), data={"reason": REASON, "same_person": [peckham.id]})
    assert response.status_code == 302
    assert statuses(namesakes["acre_lane"]) == ["cancelled", "cancelled"]
    assert statuses(peckham) == ["cancelled", "cancelled"]
    assert fresh(peckham.client).consent_withdrawn_at is not None
    assert statuses(namesakes["someone_else"]) == ["received"]
    text = page_text(client.get(response.headers["Location"]))
    assert "4 referrals cancelled; the partners concerned have been told about the 1" in text


def test_a_questionnaire_not_offered_cannot_be_included(client, sign_in_as, namesakes):
    sign_in_as("hub")
    other = namesakes["someone_else"]
    response = client.post(url(namesakes), data={"reason": REASON, "same_person": [other.id]})
    assert response.status_code == 200
    text = page_text(response)
    assert "There is a problem" in text
    assert "Choose only from the questionnaires listed" in text
    assert statuses(namesakes["acre_lane"]) == ["received", "received"]
    assert statuses(other) == ["received"]


@pytest.mark.browser
def test_the_page_with_a_namesake_is_accessible(browser, live_server, demo_hub, namesakes, page):
    from playwright.sync_api import expect

    from tests.support import axe_violations

    hub = demo_hub["hub"]
    page.goto(f"{live_server}/login")
    page.get_by_label("Email address", exact=True).fill(hub.email)
    page.get_by_label("Password", exact=True).fill(hub.password)
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_server + url(namesakes))
    main = page.locator("main")
    expect(main).to_contain_text("Other questionnaires for the same name and date of birth")
    assert axe_violations(page) == [], page.url
    page.get_by_label(namesakes["peckham"].reference, exact=False).check()
    page.get_by_role("button", name="Record withdrawal of consent").click()  # no reason
    expect(main).to_contain_text("Enter how the client withdrew consent")
    expect(page.get_by_label(namesakes["peckham"].reference, exact=False)).to_be_checked()
    assert axe_violations(page) == [], page.url
    page.get_by_label("How did the client withdraw consent?").fill("Phoned the hub")
    page.get_by_role("button", name="Record withdrawal of consent").click()
    expect(main).to_contain_text("4 referrals cancelled")


def test_a_namesake_confirmed_on_the_record_comes_ticked(client, db, sign_in_as, namesakes):
    acre_lane, peckham = namesakes["acre_lane"], namesakes["peckham"]
    record = records.person_record(acre_lane.client_id)
    records.confirm_same_person(record, peckham.client_id, user("hub"), utcnow())
    db.session.commit()
    sign_in_as("hub")
    html = client.get(url(namesakes)).get_data(as_text=True)
    ticked = re.search(rf'<input[^>]*value="{peckham.id}"[^>]*>', html).group(0)
    assert "checked" in ticked
