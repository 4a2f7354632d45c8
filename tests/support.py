"""Helpers the tests share (the fixtures are in ``tests/conftest.py``): signing in, reading a page
as a reader sees it, reading rows afresh, the referrals several tests start from, and in a
browser, signing in and the axe-core accessibility check."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from hub.auth import accounts
from hub.clock import utcnow
from hub.extensions import db
from hub.models import Organisation, QuestionnaireDraft, Referral
from hub.referrals import lifecycle
from tests.factories import submit, user

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(reason: str):
    """Skip a test whose outside part is missing, except in CI, where it must run."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this test must run)")
    pytest.skip(reason)


def sign_in(client, email: str, password: str):
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


# --- Pages and rows ---------------------------------------------------------------------------


def page_text(response) -> str:
    """The page's text as a reader sees it: tags removed, characters unescaped, spaces collapsed."""
    text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", unescape(text))


def fresh(row):
    """The row as the database has it now (a request commits in its own session)."""
    db.session.expire_all()
    return db.session.get(type(row), row.id)


def the_draft() -> QuestionnaireDraft:
    """The one questionnaire draft, as the database has it now."""
    db.session.expire_all()
    return db.session.scalars(select(QuestionnaireDraft)).one()


def partner(slug: str) -> Organisation:
    return accounts.find_organisation(slug)


def referral_for(submission, question: str) -> Referral:
    """The questionnaire's referral for that question."""
    (found,) = [row for row in submission.referrals if row.question_key == question]
    return found


def hours_ago(hours: float):
    return utcnow() - timedelta(hours=hours)


def forwarded_smoke_alarm(hours: float = 50, **details) -> Referral:
    """A smoke alarm referral (to the fire brigade), forwarded ``hours`` ago by the real clock."""
    submission = submit(user("frontline"), hours_ago(hours + 1), yes=("smoke_alarms",), **details)
    referral = submission.referrals[0]
    lifecycle.forward_referral(referral, user("hub"), hours_ago(hours))
    return referral


# --- In a browser -----------------------------------------------------------------------------

AXE_SCRIPT = os.path.join(os.path.dirname(__file__), "..", "node_modules", "axe-core", "axe.min.js")


def axe_violations(page) -> list[dict]:
    """WCAG 2.2 A and AA violations on the page as axe-core finds them."""
    if not os.path.exists(AXE_SCRIPT):
        missing("axe-core is not installed (npm ci)")
    # Evaluated by the browser's DevTools protocol, which the page's Content Security Policy does
    # not govern: a <script> tag (add_script_tag) would be an inline script, and refused.
    with open(AXE_SCRIPT, encoding="utf-8") as script:
        page.evaluate(script.read())
    result = page.evaluate(
        """() => axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"""
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def assert_accessible(page) -> None:
    assert axe_violations(page) == [], page.url


def sign_in_on_the_page(page, base_url: str, user) -> None:
    """Sign in from the sign-in page, checking it with axe-core first."""
    page.goto(f"{base_url}/login")
    assert_accessible(page)
    page.get_by_label("Email address", exact=True).fill(user.email)
    page.get_by_label("Password", exact=True).fill(user.password)
    page.get_by_role("button", name="Sign in").click()


def sign_in_with_the_keyboard(page, base_url: str, user) -> None:
    """Sign in pressing Enter in the password field, and wait until signed in."""
    from playwright.sync_api import expect

    page.goto(f"{base_url}/login")
    page.get_by_label("Email address", exact=True).fill(user.email)
    page.get_by_label("Password", exact=True).fill(user.password)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Signed in as")).to_be_visible()
    page.wait_for_load_state("load")  # the page's scripts have run (and set their timers)


def fill_client_details(page, postcode: str = "SW2 5SG") -> None:
    """Type Edna Clarke's details on the questionnaire's client page, as a worker would; the
    borough and the contact preference are left for the test to choose (or not)."""
    page.get_by_label("First name", exact=True).fill("Edna")
    page.get_by_label("Last name", exact=True).fill("Clarke")
    page.get_by_label("Day", exact=True).fill("17")
    page.get_by_label("Month", exact=True).fill("5")
    page.get_by_label("Year", exact=True).fill("1941")
    page.get_by_label("Address", exact=True).fill("12 Acre Lane\nLondon")
    page.get_by_label("Postcode", exact=True).fill(postcode)
    page.get_by_label("Phone number", exact=True).fill("020 7946 0123")
