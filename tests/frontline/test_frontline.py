"""The frontline pages: completing a questionnaire with a client, from start to confirmation."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from hub.auth import accounts
from hub.extensions import db as _db
from hub.models import QuestionnaireDraft, Submission
from tests.api_support import count
from tests.factories import SAIL_KEYS
from tests.support import sign_in, the_draft

SECTIONS = {
    "security_fire": ("smoke_alarms", "fire_risk", "home_security", "scams", "personal_alarm"),
    "health_wellbeing": (
        "falls", "smoking", "alcohol_drugs", "memory", "caring", "lonely", "active", "eating",
        "low_mood",
    ),
    "living_conditions": ("cold_home", "repairs"),
    "income_finance": ("benefits", "money_worries"),
}  # fmt: skip
GOOD_PHONE = "07911 123456"


def client_form(**overrides) -> dict:
    form = {
        "given_name": "Edna",
        "family_name": "Clarke",
        "date_of_birth": ["17", "5", "1941"],
        "address": "12 Acre Lane\nBrixton",
        "postcode": "sw2 5sg",
        "borough": "southwark",
        "phone": GOOD_PHONE,
        "email": "",
        "preferred_contact": "phone",
        "contact_times": "Mornings before 11",
    }
    form.update(overrides)
    return form


def page(response) -> str:
    return unescape(response.get_data(as_text=True))


def error_summary(response) -> list[tuple[str, str]]:
    """(href, message) for each link in the GOV.UK error summary."""
    html = response.get_data(as_text=True)
    summary = html.split('govuk-error-summary__list"', 1)
    if len(summary) < 2:
        return []
    body = summary[1].split("</ul>", 1)[0]
    return [
        (href, unescape(text).strip())
        for href, text in re.findall(r'href="([^"]+)">([^<]+)<', body)
    ]


def start(client) -> str:
    """Start a draft of the published SAIL questionnaire; returns its client details URL."""
    html = client.get("/questionnaires/").get_data(as_text=True)
    version_id = re.search(r'name="questionnaire" value="(\d+)"', html).group(1)
    response = client.post("/questionnaires/", data={"questionnaire": version_id})
    assert response.status_code == 302
    assert re.fullmatch(r"/questionnaires/drafts/[0-9a-f]{32}/client", response.headers["Location"])
    return response.headers["Location"]


def draft_url(client_url: str, page_name: str = "") -> str:
    return client_url.rsplit("/", 1)[0] + (f"/{page_name}" if page_name else "")


def ticked(keys, yes=()) -> dict:
    """A section page's form: the "yes" questions ticked, or "None of these"."""
    return {"applies": [key for key in keys if key in yes] or ["none"]}


def answer_sections(client, client_url: str, yes=()) -> str:
    """Answer every section page in turn; returns where the last one leads."""
    location = None
    for section, keys in SECTIONS.items():
        url = draft_url(client_url, f"sections/{section}")
        response = client.post(url, data=ticked(keys, yes))
        assert response.status_code == 302, error_summary(response)
        location = response.headers["Location"]
    return location


def complete_to_check(client, yes=("smoke_alarms", "scams", "falls"), **details) -> str:
    """Fill in every page up to check your answers; returns the draft's base URL."""
    client_url = start(client)
    response = client.post(client_url, data=client_form(**details))
    assert response.status_code == 302, error_summary(response)
    assert answer_sections(client, client_url, yes) == draft_url(client_url, "wellbeing")
    response = client.post(draft_url(client_url, "consent"), data={"consent": "y"})
    assert response.headers["Location"] == draft_url(client_url, "check")
    return draft_url(client_url)


def submissions() -> list[Submission]:
    _db.session.expire_all()
    return list(_db.session.scalars(select(Submission)))


def test_the_whole_visit_makes_one_submission_with_a_referral_per_yes(client, sign_in_as, db):
    worker = sign_in_as("frontline")
    start_page = page(client.get("/questionnaires/"))
    assert "Safe and Independent Living (SAIL)" in start_page and ">Start" in start_page

    client_url = start(client)
    response = client.post(client_url, data=client_form())
    assert response.headers["Location"] == draft_url(client_url, "sections/security_fire")

    section = page(client.get(response.headers["Location"]))
    assert "Which of these apply?" in section
    # Each question a checkbox, its advice revealed when ticked (and readable without JS).
    assert 'id="smoke_alarms" name="applies" type="checkbox" value="smoke_alarms"' in section
    assert 'data-aria-controls="conditional-smoke_alarms"' in section
    assert "Test your smoke alarms once a month" in section
    assert "Refers them to Southwark Trading Standards" in section  # the borough's own
    assert 'value="none" data-behaviour="exclusive"' in section

    yes = ("smoke_alarms", "scams", "falls", "lonely", "caring")
    assert answer_sections(client, client_url, yes) == draft_url(client_url, "wellbeing")

    consent = page(client.get(draft_url(client_url, "consent")))
    for name in (
        "London Fire Brigade – Home Fire Safety Visits",
        "Southwark Trading Standards",
        "Age UK Befriending",
    ):
        assert name in consent
    assert "Lambeth Trading Standards" not in consent
    assert "Consent recorded by Demo frontline user" in consent
    response = client.post(draft_url(client_url, "consent"), data={"consent": "y"})
    assert response.headers["Location"] == draft_url(client_url, "check")

    check = page(client.get(draft_url(client_url, "check")))
    assert "Edna Clarke" in check and "17 May 1941" in check and "SW2 5SG" in check
    assert "Submit questionnaire" in check
    assert not submissions()
    # The visit goes on after consent: the submission keeps when consent was recorded.
    draft = the_draft()
    consent_at = datetime.fromisoformat(draft.data["consent"]["recorded_at"]) - timedelta(hours=1)
    draft.data = {
        **draft.data,
        "consent": {**draft.data["consent"], "recorded_at": consent_at.isoformat()},
    }
    _db.session.commit()

    response = client.post(draft_url(client_url, "check"))
    assert response.headers["Location"] == draft_url(client_url, "confirmation")

    [submission] = submissions()
    assert submission.submitted_by.email == worker.email
    assert submission.consent_given and submission.consent_recorded_by.email == worker.email
    assert submission.consent_recorded_at == consent_at
    assert submission.answers == {key: key in yes for key in SAIL_KEYS}
    assert submission.client.phone == "+447911123456"
    assert submission.client.borough == "southwark"
    assert submission.client.contact_times == "Mornings before 11"
    draft_id = client_url.split("/")[3]
    assert submission.idempotency_key == f"draft:{draft_id}"
    assert _db.session.get(QuestionnaireDraft, draft_id).submission_id == submission.id
    assert [(r.question_key, r.partner.slug, r.status) for r in submission.referrals] == [
        ("smoke_alarms", "lfb-home-fire-safety", "received"),
        ("scams", "southwark-trading-standards", "received"),
        ("falls", "nhs-falls-prevention", "received"),
        ("caring", "southwark-carers", "received"),
        ("lonely", "age-uk-befriending", "received"),
    ]

    confirmation = page(client.get(draft_url(client_url, "confirmation")))
    assert submission.reference in confirmation
    assert "Southwark Trading Standards" in confirmation
    assert "Falls" in confirmation  # each agency with the short labels of its questions
    assert "Start another questionnaire" in confirmation

    # A submitted draft cannot be edited: every page leads to its confirmation.
    for name in ("client", "sections/security_fire", "consent", "check", ""):
        response = client.get(draft_url(client_url, name))
        assert response.headers["Location"] == draft_url(client_url, "confirmation"), name
    assert "Edna Clarke" not in page(client.get("/questionnaires/"))


def test_a_bad_phone_number_is_explained_and_every_answer_is_kept(client, sign_in_as, db):
    sign_in_as("frontline")
    client_url = start(client)
    response = client.post(
        client_url,
        data=client_form(phone="12345", email="edna@example.com", preferred_contact="letter"),
    )
    assert response.status_code == 200
    html = page(response)
    [(href, message)] = error_summary(response)
    assert href == "#phone" and message.startswith("Enter a UK phone number")
    assert "<title>Error: Client details" in html
    assert 'id="phone-error"' in html
    for kept in (
        'name="given_name" type="text" spellcheck="false" value="Edna"',
        'value="Clarke"',
        'name="date_of_birth" type="text" value="17"',
        'name="date_of_birth" type="text" value="5"',
        'value="1941"',
        "12 Acre Lane\nBrixton</textarea>",
        'value="sw2 5sg"',
        'value="12345"',
        'value="edna@example.com"',
        'value="Mornings before 11"',
        'value="southwark" checked',
        'value="letter" checked',
    ):
        assert kept in html, kept
    assert the_draft().data == {}


def test_an_impossible_date_of_birth_must_be_a_real_date(client, sign_in_as, db):
    sign_in_as("frontline")
    client_url = start(client)
    response = client.post(client_url, data=client_form(date_of_birth=["31", "02", "1950"]))
    assert error_summary(response) == [("#date_of_birth-day", "Date of birth must be a real date")]
    html = page(response)
    assert 'value="31"' in html and 'value="02"' in html and 'value="1950"' in html
    assert "govuk-input--error" in html


def test_every_problem_with_the_client_details_is_shown_at_once(client, sign_in_as, db):
    sign_in_as("frontline")
    client_url = start(client)
    response = client.post(client_url, data={"date_of_birth": ["", "", ""]})
    hrefs = [href for href, _ in error_summary(response)]
    assert hrefs == [
        "#given_name",
        "#family_name",
        "#date_of_birth-day",
        "#address",
        "#postcode",  # the borough is optional: found from the postcode when left blank
        "#phone",
        "#preferred_contact",
    ]


def test_a_section_with_nothing_ticked_has_one_error_naming_the_section(client, sign_in_as, db):
    sign_in_as("frontline")
    client_url = start(client)
    client.post(client_url, data=client_form())
    url = draft_url(client_url, "sections/security_fire")
    response = client.post(url, data={})
    assert response.status_code == 200
    assert error_summary(response) == [
        ("#smoke_alarms", "Select which of these apply, or None of these")
    ]
    html = page(response)
    assert "<title>Error: Security and fire safety" in html
    assert html.count('id="smoke_alarms-error"') == 1  # once, not beside every question
    assert "answers" not in the_draft().data


def test_none_of_these_with_a_question_ticked_is_refused_and_the_ticks_are_kept(
    client, sign_in_as, db
):
    sign_in_as("frontline")
    client_url = start(client)
    client.post(client_url, data=client_form())
    url = draft_url(client_url, "sections/security_fire")
    response = client.post(url, data={"applies": ["scams", "none"]})
    assert error_summary(response) == [
        ("#smoke_alarms", "Select which of these apply, or None of these, not both")
    ]
    html = page(response)
    assert 'name="applies" type="checkbox" value="scams" checked' in html
    assert 'name="applies" type="checkbox" value="none" checked' in html
    assert "answers" not in the_draft().data


def test_ticked_questions_are_yes_and_the_rest_no(client, sign_in_as, db):
    sign_in_as("frontline")
    client_url = start(client)
    client.post(client_url, data=client_form())
    url = draft_url(client_url, "sections/security_fire")
    response = client.post(url, data={"applies": ["smoke_alarms", "scams"]})
    assert response.status_code == 302
    assert the_draft().data["answers"] == {
        "smoke_alarms": True,
        "fire_risk": False,
        "home_security": False,
        "scams": True,
        "personal_alarm": False,
    }
    again = page(client.get(url))  # the saved answers come back ticked
    assert 'value="smoke_alarms" checked' in again and 'value="scams" checked' in again
    assert 'value="none" checked' not in again
    client.post(url, data={"applies": ["none"]})
    assert not any(the_draft().data["answers"].values())
    assert 'value="none" checked' in page(client.get(url))


def test_consent_must_be_given_when_there_are_agencies(client, sign_in_as, db):
    sign_in_as("frontline")
    base = complete_to_check(client)
    client.post(f"{base}/consent", data={"consent": "y"})
    # Change an answer: a new agency means asking the client again.
    response = client.post(
        f"{base}/sections/living_conditions?change=1", data={"applies": ["cold_home"]}
    )
    assert response.headers["Location"] == f"{base}/consent?change=1"
    assert client.get(f"{base}/check").headers["Location"] == f"{base}/consent"
    assert client.post(f"{base}/check").headers["Location"] == f"{base}/consent"

    response = client.post(f"{base}/consent?change=1", data={})
    assert error_summary(response) == [
        ("#consent", "Confirm that the client agrees to share their details with these agencies")
    ]
    assert "Affordable Warmth Service" in page(response)
    assert not submissions()
    response = client.post(f"{base}/consent?change=1", data={"consent": "y"})
    assert response.headers["Location"] == f"{base}/check"


def test_all_no_answers_say_no_agency_will_be_contacted_and_still_submit(client, sign_in_as, db):
    sign_in_as("hub")  # hub staff take questionnaires by phone too
    client_url = start(client)
    client.post(client_url, data=client_form())
    answer_sections(client, client_url, yes=())
    consent = page(client.get(draft_url(client_url, "consent")))
    assert "no agencies will be contacted" in consent
    response = client.post(draft_url(client_url, "consent"), data={})
    assert response.headers["Location"] == draft_url(client_url, "check")
    client.post(draft_url(client_url, "check"))
    [submission] = submissions()
    assert submission.referrals == []
    confirmation = page(client.get(draft_url(client_url, "confirmation")))
    assert submission.reference in confirmation and "No agencies will contact" in confirmation


def test_submitting_twice_makes_one_submission(client, sign_in_as, db):
    sign_in_as("frontline")
    base = complete_to_check(client)
    first = client.post(f"{base}/check")
    second = client.post(f"{base}/check")  # a double click, or back and submit again
    assert first.headers["Location"] == second.headers["Location"] == f"{base}/confirmation"
    [submission] = submissions()
    assert len(submission.referrals) == 3


def test_change_links_come_back_to_check_your_answers(client, sign_in_as, db):
    sign_in_as("frontline")
    base = complete_to_check(client)
    check = client.get(f"{base}/check").get_data(as_text=True)
    assert f'href="{base}/client?change=1#phone"' in check
    assert f'href="{base}/sections/health_wellbeing?change=1#falls"' in check

    changing = page(client.get(f"{base}/client?change=1"))
    assert f'href="{base}/check" class="govuk-back-link"' in changing
    assert 'value="07911 123456"' in changing  # the saved answers, ready to change
    response = client.post(f"{base}/client?change=1", data=client_form(contact_times="Evenings"))
    assert response.headers["Location"] == f"{base}/check"
    assert "Evenings" in page(client.get(f"{base}/check"))


def test_pages_cannot_be_skipped(client, sign_in_as, db):
    sign_in_as("frontline")
    client_url = start(client)
    for name in ("sections/health_wellbeing", "consent", "check"):
        assert client.get(draft_url(client_url, name)).headers["Location"] == client_url
    assert client.get(draft_url(client_url, "sections/nonsense")).status_code == 404


def test_unfinished_questionnaires_can_be_continued(client, sign_in_as, db):
    sign_in_as("frontline")
    client_url = start(client)
    client.post(client_url, data=client_form(given_name="Winifred"))
    client.post(
        draft_url(client_url, "sections/security_fire"),
        data={"applies": ["none"]},
    )
    start_page = page(client.get("/questionnaires/"))
    assert "Questionnaires you have not finished" in start_page
    assert "Winifred Clarke" in start_page
    assert f'href="{draft_url(client_url)}"' in start_page
    response = client.get(draft_url(client_url))
    assert response.headers["Location"] == draft_url(client_url, "sections/health_wellbeing")


def test_another_users_draft_is_not_found(client, sign_in_as, db, now):
    sign_in_as("frontline")
    base = complete_to_check(client)
    client.post("/logout")
    colleague = accounts.create_user(
        "colleague@demo.sail.example",
        "frontline",
        accounts.find_organisation("lambeth-adult-social-care"),
        "colleague-password",
        now,
    )
    _db.session.commit()
    sign_in(client, colleague.email, "colleague-password")
    for name in ("", "/client", "/sections/security_fire", "/consent", "/check", "/confirmation"):
        assert client.get(base + name).status_code == 404, name
    assert client.post(f"{base}/check").status_code == 404
    assert client.post(f"{base}/client", data=client_form()).status_code == 404
    assert not submissions()
    assert "Edna Clarke" not in page(client.get("/questionnaires/"))


@pytest.mark.parametrize("role", ["partner", "manager"])
def test_other_roles_are_refused(client, sign_in_as, role):
    sign_in_as(role)
    assert client.get("/questionnaires/").status_code == 403
    assert client.post("/questionnaires/", data={}).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, demo_hub):
    for url in ("/questionnaires/", "/questionnaires/drafts/abc/client"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    assert client.post("/questionnaires/").headers["Location"].startswith("/login")
    assert count(QuestionnaireDraft) == 0
