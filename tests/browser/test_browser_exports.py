"""In a real browser on a phone-sized screen, with CSRF on: a manager opens the exports page,
reads what the files hold, and downloads the referral rows with the keyboard; axe-core checks
the page, and the page with a bad filter, against WCAG 2.2 AA."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from hub.clock import utcnow
from hub.models import ExportAudit
from tests.factories import submit, user
from tests.support import axe_violations, sign_in_with_the_keyboard

pytestmark = pytest.mark.browser


WIDER_THAN_THE_SCREEN = """() => [...document.querySelectorAll('main *')]
    .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth)
    .slice(0, 5).map(e => e.tagName + ': ' + e.textContent.trim().slice(0, 40))"""


def assert_fits_the_screen(page) -> None:
    """Nothing (not even the table of columns) makes the page scroll sideways."""
    assert page.evaluate(WIDER_THAN_THE_SCREEN) == [], page.url


def choose_with_keyboard(page, label: str) -> None:
    radio = page.get_by_label(label)
    radio.focus()
    page.keyboard.press("Space")
    expect(radio).to_be_checked()


def test_a_manager_downloads_referral_rows(page, live_server, db, demo_hub):
    submit(user("frontline"), utcnow() - timedelta(days=3), yes=("smoke_alarms", "falls"))
    db.session.commit()
    sign_in_with_the_keyboard(page, live_server, demo_hub["manager"])

    page.goto(f"{live_server}/manage/exports")
    expect(page.get_by_role("heading", level=1)).to_have_text("Export data for evaluation")
    expect(page.locator("#chosen-filter")).to_contain_text("both days included")
    page.get_by_text("The columns").click()
    expect(page.get_by_text("Age on the day of the questionnaire")).to_be_visible()
    assert_fits_the_screen(page)
    assert axe_violations(page) == []

    choose_with_keyboard(page, "Referral rows: one for each referral, pseudonymised")
    choose_with_keyboard(page, "CSV (comma-separated values)")
    button = page.get_by_role("button", name="Download")
    button.focus()
    with page.expect_download() as event:
        page.keyboard.press("Enter")
    download = event.value
    assert download.suggested_filename.startswith("sail-referrals-")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert sorted(row["question"] for row in rows) == ["falls", "smoke_alarms"]

    db.session.expire_all()
    audit = db.session.scalar(select(ExportAudit))
    assert (audit.kind, audit.file_format, audit.rows) == ("referrals", "csv", 2)


def test_a_bad_filter_shows_what_to_correct(page, live_server, db, demo_hub):
    sign_in_with_the_keyboard(page, live_server, demo_hub["manager"])
    page.goto(f"{live_server}/manage/exports?from=2026-02-30")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter the start date as a real date")
    summary.get_by_role("link").first.click()
    expect(page.locator("#from-day")).to_be_focused()  # the date's first box
    assert_fits_the_screen(page)
    assert axe_violations(page) == []
    expect(page.get_by_role("button", name="Download")).to_have_count(0)
