"""The wellbeing page is labelled "(optional)" and is: continuing with nothing chosen moves on
without saving anything, and check your answers says the questions were not asked."""

from __future__ import annotations

from tests.frontline.test_frontline import page
from tests.referrals.test_wellbeing import to_wellbeing
from tests.support import the_draft


def test_continuing_with_nothing_chosen_passes_the_page_by(client, sign_in_as, db):
    sign_in_as("frontline")
    base = to_wellbeing(client)
    html = page(client.get(f"{base}/wellbeing"))
    assert "Wellbeing (optional)" in html
    assert "leave everything blank and continue" in html

    response = client.post(f"{base}/wellbeing", data={})
    assert response.status_code == 302
    assert response.headers["Location"] == f"{base}/consent"
    assert "wellbeing" not in the_draft().data

    client.post(f"{base}/consent", data={"consent": "y"})
    check = page(client.get(f"{base}/check"))
    assert "Not asked" in check and f'href="{base}/wellbeing?change=1"' in check


def test_a_score_without_the_clients_agreement_is_still_an_error(client, sign_in_as, db):
    sign_in_as("frontline")
    base = to_wellbeing(client)
    response = client.post(f"{base}/wellbeing", data={"anxious": "3"})
    assert response.status_code == 200
    html = page(response)
    assert "Select yes if the client agreed to answer the wellbeing questions, or no" in html
    assert 'name="anxious" type="radio" value="3" checked' in html  # what was chosen is kept
    assert "wellbeing" not in the_draft().data
