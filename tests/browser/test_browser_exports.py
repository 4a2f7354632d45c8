"""In a real browser on a phone-sized screen, with CSRF on: a manager opens the exports page,
reads what the files hold, and downloads the referral rows with the keyboard; axe-core checks
the page, and the page with a bad filter, against WCAG 2.2 AA."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from hub.clock import utcnow
from hub.models import ExportAudit, ExportJob, User
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


@pytest.mark.parametrize("width", [320, 1280])
def test_excel_rows_are_prepared_in_the_background_then_downloaded(
    browser, live_server, db, demo_hub, width
):
    """The page shows the file being prepared (a progress bar the script keeps up to date),
    then offers it; the download is recorded, as a direct one is."""
    for days in range(3, 9):
        submit(user("frontline"), utcnow() - timedelta(days=days), yes=("smoke_alarms", "falls"))
    db.session.commit()
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in_with_the_keyboard(page, live_server, demo_hub["manager"])
        page.goto(f"{live_server}/manage/exports")
        choose_with_keyboard(page, "Referral rows: one for each referral, pseudonymised")
        choose_with_keyboard(page, "Excel (XLSX)")
        page.get_by_role("button", name="Download").focus()
        page.keyboard.press("Enter")

        expect(page).to_have_url(re.compile(r"/manage/exports/jobs/\d+$"))
        expect(page.locator(".govuk-caption-l")).to_have_text("Referral rows as Excel, 12 rows")
        # The page updates itself (export-progress.js) until the file is ready.
        expect(page.get_by_role("heading", name="Your download is ready")).to_be_visible()
        assert_fits_the_screen(page)
        assert axe_violations(page) == []

        button = page.get_by_role("button", name="Download the file")
        button.focus()
        with page.expect_download() as event:
            page.keyboard.press("Enter")
        download = event.value
        assert download.suggested_filename.startswith("sail-referrals-")
        book = io.BytesIO(Path(download.path()).read_bytes())
        sheet = openpyxl.load_workbook(book, read_only=True)["Referrals"]
        assert len(list(sheet.iter_rows(values_only=True))) == 1 + 12

        db.session.expire_all()
        audit = db.session.scalar(select(ExportAudit))
        assert (audit.kind, audit.file_format, audit.rows) == ("referrals", "xlsx", 12)
    finally:
        context.close()


def test_the_progress_page_shows_how_far_the_file_has_got(page, live_server, db, demo_hub):
    """A job part-built (as a restart would leave it, before the scheduler takes it up): the
    bar and the status line say how far, and the page is accessible."""
    manager = db.session.scalar(select(User).where(User.email == demo_hub["manager"].email))
    job = ExportJob(
        user_id=manager.id,
        kind="referrals",
        file_format="xlsx",
        filters={"from": "2026-01-01", "to": "2026-01-31"},
        status="building",
        rows_total=18_776,
        rows_done=5_000,
        created_at=utcnow(),
        heartbeat_at=utcnow(),
        file_name="sail-referrals-2026-01-01-to-2026-01-31.xlsx",
    )
    db.session.add(job)
    db.session.commit()
    sign_in_with_the_keyboard(page, live_server, demo_hub["manager"])
    page.goto(f"{live_server}/manage/exports/jobs/{job.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Preparing your download")
    expect(page.get_by_role("status")).to_have_text("Written 5,000 of 18,776 rows (26%).")
    expect(page.get_by_label("How much is written")).to_have_attribute("value", "26")
    assert_fits_the_screen(page)
    assert axe_violations(page) == []
