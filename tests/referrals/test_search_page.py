"""The hub queue's search box (``/hub/referrals?q=``): a search alone looks through every
status; with the filters it narrows them; a search too long is shown again with its error."""

import re
from datetime import timedelta

import pytest

from hub.referrals import lifecycle, search
from tests.factories import submit, user
from tests.support import page_text


@pytest.fixture
def clarke(db, demo_hub, now):
    submission = submit(user("frontline"), now)
    submit(user("frontline"), now, family_name="Jones", date_of_birth="1939-09-09")
    lifecycle.forward_referral(submission.referrals[0], user("hub"), now + timedelta(hours=1))
    db.session.commit()
    return submission


def test_a_search_from_the_box_looks_through_every_status(client, sign_in_as, clarke):
    sign_in_as("hub")
    response = client.get("/hub/referrals?q=clarke")
    text = page_text(response)
    assert response.status_code == 200
    assert "3 referrals matching “clarke”" in text
    for referral in clarke.referrals:
        assert referral.reference in text
    html = response.get_data(as_text=True)
    assert re.search(r'<input class="govuk-input[^>]*name="q"[^>]*value="clarke"', html)
    # The filters below keep the search.
    assert '<input type="hidden" name="q" value="clarke">' in html


def test_the_filters_narrow_a_search(client, sign_in_as, clarke):
    sign_in_as("manager")
    text = page_text(client.get("/hub/referrals?q=Edna+Clarke&status=received"))
    assert "2 referrals waiting to be forwarded matching “Edna Clarke”" in text
    assert clarke.referrals[0].reference not in text
    assert "Next page" not in text


def test_a_search_too_long_is_shown_again_with_its_error(client, sign_in_as, clarke):
    sign_in_as("hub")
    typed = "x" * (search.MAX_LENGTH + 1)
    response = client.get(f"/hub/referrals?q={typed}")
    text = page_text(response)
    assert f"Search for at most {search.MAX_LENGTH} characters" in text
    html = response.get_data(as_text=True)
    assert re.search(rf'<input class="govuk-input[^>]*name="q"[^>]*value="{typed}"', html)
    assert "There is a problem" in text
