"""The four ONS wellbeing questions: the shared rules, the optional page in the questionnaire, and
the optional ``wellbeing`` of ``POST /api/v1/submissions``."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.extensions import db as _db
from hub.models import Submission, WellbeingScore
from hub.referrals.wellbeing import clean_wellbeing
from tests.api_support import bearer, count
from tests.factories import client_details, sail_answers, user
from tests.frontline.test_frontline import (
    answer_sections,
    client_form,
    draft_url,
    error_summary,
    page,
    start,
)
from tests.support import the_draft

SCORES = {"life_satisfaction": 6, "worthwhile": 7, "happy": 5, "anxious": 3}


# --- The rules --------------------------------------------------------------------------------


def test_four_whole_numbers_from_0_to_10_are_clean():
    assert clean_wellbeing(SCORES) == (SCORES, {})
    assert clean_wellbeing({key: str(value) for key, value in SCORES.items()}) == (SCORES, {})
    edges = {"life_satisfaction": 0, "worthwhile": 10, "happy": "0", "anxious": " 10 "}
    assert clean_wellbeing(edges)[0] == {
        "life_satisfaction": 0,
        "worthwhile": 10,
        "happy": 0,
        "anxious": 10,
    }


def test_no_answers_at_all_is_no_scores_and_no_errors():
    assert clean_wellbeing({}) == (None, {})
    assert clean_wellbeing(None) == (None, {})
    assert clean_wellbeing(dict.fromkeys(SCORES, "")) == (None, {})


def test_some_answers_but_not_all_are_refused_naming_the_missing_ones():
    scores, errors = clean_wellbeing({"life_satisfaction": 6, "worthwhile": 7})
    assert scores is None
    assert list(errors) == ["happy", "anxious"]
    assert errors["happy"].startswith("Answer all four wellbeing questions, or none")
    assert "how happy did you feel yesterday" in errors["happy"]


@pytest.mark.parametrize("bad", [11, -1, 7.5, "7.5", "seven", True, [7], {"a": 1}])
def test_anything_but_a_whole_number_from_0_to_10_is_refused(bad):
    scores, errors = clean_wellbeing({**SCORES, "anxious": bad})
    assert scores is None
    assert list(errors) == ["anxious"]
    assert errors["anxious"].startswith("Give a whole number from 0 to 10 for “Overall, how anx")


# --- The optional page in the questionnaire ---------------------------------------------------


def to_wellbeing(client, yes=("smoke_alarms", "falls")) -> str:
    client_url = start(client)
    client.post(client_url, data=client_form())
    assert answer_sections(client, client_url, yes) == draft_url(client_url, "wellbeing")
    return draft_url(client_url)


def form_scores(**overrides) -> dict:
    return {**{key: str(value) for key, value in SCORES.items()}, **overrides}


def test_the_wellbeing_page_asks_the_four_ons_questions(client, sign_in_as):
    sign_in_as("frontline")
    base = to_wellbeing(client)
    html = page(client.get(f"{base}/wellbeing"))
    assert "Wellbeing (optional)" in html
    assert "Does the client agree to answer four questions about their wellbeing?" in html
    for text in (
        "Overall, how satisfied are you with your life nowadays?",
        "Overall, to what extent do you feel that the things you do in your life are worthwhile?",
        "Overall, how happy did you feel yesterday?",
        "Overall, how anxious did you feel yesterday?",
    ):
        assert text in html
    assert "0 is “not at all” and 10 is “completely”" in html
    assert html.count('type="radio"') == 2 + 4 * 11
    assert "aria-expanded" not in html and "data-aria-controls" not in html  # no reveal
    # Back goes to the last section; consent's back link comes here.
    assert f'href="{base}/sections/income_finance" class="govuk-back-link"' in html
    consent = page(client.get(f"{base}/consent"))
    assert f'href="{base}/wellbeing" class="govuk-back-link"' in consent


def test_answers_are_saved_shown_on_check_your_answers_and_stored_with_the_submission(
    client, sign_in_as, db
):
    sign_in_as("frontline")
    base = to_wellbeing(client)
    response = client.post(f"{base}/wellbeing", data={"wellbeing_agreed": "yes", **form_scores()})
    assert response.headers["Location"] == f"{base}/consent"
    assert the_draft().data["wellbeing"] == {"agreed": True, "scores": SCORES}

    again = page(client.get(f"{base}/wellbeing"))  # saved answers come back to change
    assert 'value="yes" checked' in again
    assert 'id="happy-6" name="happy" type="radio" value="5" checked' in again

    client.post(f"{base}/consent", data={"consent": "y"})
    check = page(client.get(f"{base}/check"))
    assert "Wellbeing (optional)" in check
    assert "Overall, how anxious did you feel yesterday?" in check and "3 out of 10" in check
    assert f'href="{base}/wellbeing?change=1#anxious"' in check

    client.post(f"{base}/check")
    [submission] = _db.session.scalars(select(Submission)).all()
    [row] = submission.wellbeing
    assert row.stage == "questionnaire"
    assert (row.life_satisfaction, row.worthwhile, row.happy, row.anxious) == (6, 7, 5, 3)
    assert row.recorded_by_id == user("frontline").id


def test_a_client_who_does_not_agree_has_no_scores_stored(client, sign_in_as, db):
    sign_in_as("frontline")
    base = to_wellbeing(client)
    # Scores chosen before the client said no cannot be cleared from radios: they are left out.
    response = client.post(f"{base}/wellbeing", data={"wellbeing_agreed": "no", "happy": "4"})
    assert response.headers["Location"] == f"{base}/consent"
    assert the_draft().data["wellbeing"] == {"agreed": False, "scores": None}
    client.post(f"{base}/consent", data={"consent": "y"})
    assert "The client did not agree to answer them" in page(client.get(f"{base}/check"))
    client.post(f"{base}/check")
    assert count(Submission) == 1 and count(WellbeingScore) == 0


def test_passing_the_page_by_is_allowed_and_check_your_answers_offers_it(client, sign_in_as, db):
    sign_in_as("frontline")
    base = to_wellbeing(client)
    response = client.post(f"{base}/consent", data={"consent": "y"})
    assert response.headers["Location"] == f"{base}/check"
    check = page(client.get(f"{base}/check"))
    assert "Not asked" in check and f'href="{base}/wellbeing?change=1"' in check
    response = client.post(
        f"{base}/wellbeing?change=1", data={"wellbeing_agreed": "yes", **form_scores()}
    )
    assert response.headers["Location"] == f"{base}/check"


def test_agreeing_needs_all_four_answers_and_every_answer_is_kept(client, sign_in_as, db):
    sign_in_as("frontline")
    base = to_wellbeing(client)
    response = client.post(
        f"{base}/wellbeing", data={"wellbeing_agreed": "yes", "life_satisfaction": "8"}
    )
    assert response.status_code == 200
    assert [href for href, _ in error_summary(response)] == ["#worthwhile", "#happy", "#anxious"]
    assert error_summary(response)[1][1] == (
        "Select a score from 0 to 10 for “Overall, how happy did you feel yesterday?”"
    )
    html = page(response)
    assert "<title>Error: Wellbeing (optional)" in html
    assert 'name="life_satisfaction" type="radio" value="8" checked' in html
    assert 'value="yes" checked' in html
    assert "wellbeing" not in the_draft().data

    # A score without the client's agreement (nothing at all passes the optional page by).
    response = client.post(f"{base}/wellbeing", data={"happy": "4"})
    assert error_summary(response) == [
        (
            "#wellbeing_agreed",
            "Select yes if the client agreed to answer the wellbeing questions, or no",
        )
    ]
    response = client.post(
        f"{base}/wellbeing", data={"wellbeing_agreed": "yes", **form_scores(happy="11")}
    )
    assert [href for href, _ in error_summary(response)] == ["#happy"]


# --- The API ----------------------------------------------------------------------------------


def api_body(**extra) -> dict:
    return {
        "questionnaire": "sail",
        "client": client_details(),
        "consent": {"given": True},
        "answers": sail_answers("falls"),
        **extra,
    }


def test_the_api_stores_wellbeing_given_with_a_submission(client, demo_hub, now):
    response = client.post("/api/v1/submissions", json=api_body(wellbeing=SCORES),
                           headers=bearer("frontline", now))  # fmt: skip
    assert response.status_code == 201, response.get_json()
    row = _db.session.scalars(select(WellbeingScore)).one()
    assert row.submission_id == response.get_json()["id"] and row.stage == "questionnaire"
    assert (row.life_satisfaction, row.worthwhile, row.happy, row.anxious) == (6, 7, 5, 3)


def test_the_api_submission_without_wellbeing_stores_none(client, demo_hub, now):
    response = client.post("/api/v1/submissions", json=api_body(), headers=bearer("hub", now))
    assert response.status_code == 201
    assert count(WellbeingScore) == 0


@pytest.mark.parametrize(
    ("wellbeing", "fields"),
    [
        ({**SCORES, "happy": 11}, ["wellbeing.happy"]),
        (
            {"life_satisfaction": 5},
            ["wellbeing.worthwhile", "wellbeing.happy", "wellbeing.anxious"],
        ),
        ({**SCORES, "anxious": "a lot"}, ["wellbeing.anxious"]),
        ({}, ["wellbeing"]),
        ([6, 7, 5, 3], ["wellbeing"]),
    ],
)
def test_the_api_refuses_bad_wellbeing_and_creates_nothing(
    client, demo_hub, now, wellbeing, fields
):
    response = client.post(
        "/api/v1/submissions", json=api_body(wellbeing=wellbeing), headers=bearer("hub", now)
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert sorted(error["fields"]) == sorted(fields)
    assert count(Submission) == 0 and count(WellbeingScore) == 0


def test_bad_wellbeing_is_reported_with_every_other_problem(client, demo_hub, now):
    body = api_body(wellbeing={**SCORES, "happy": -1})
    body["client"] = client_details(phone="12345")
    response = client.post("/api/v1/submissions", json=body, headers=bearer("hub", now))
    assert {"client.phone", "wellbeing.happy"} <= set(response.get_json()["error"]["fields"])
