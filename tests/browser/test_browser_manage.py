"""In a real browser on a phone-sized screen: a manager signs in and lands on the dashboard, the
charts are drawn by Chart.js with each chart's table beside it, axe-core finds nothing wrong (in
the error state too), the page never scrolls sideways, and the per-partner table sorts from the
keyboard. Without JavaScript every table is still there."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from hub.referrals import lifecycle
from tests.factories import submit, user
from tests.support import assert_accessible, sign_in_on_the_page

pytestmark = pytest.mark.browser

PERIOD = "from=2026-01-01&to=2026-02-28"
CHART_TABLES = {"volumes": "table-volumes", "sla": "table-sla", "outcomes": "table-outcomes"}


@pytest.fixture
def history(db, demo_hub):
    """January and February 2026: one referral forwarded and contacted late, one on time and
    closed, one never forwarded."""
    frontline, hub = user("frontline"), user("hub")
    january = submit(frontline, datetime(2026, 1, 5, 9, 0), yes=("smoke_alarms", "falls"))
    fire, falls = january.referrals
    lifecycle.forward_referral(fire, hub, fire.received_at + timedelta(hours=2))
    lifecycle.record_contact(fire, None, fire.forwarded_at + timedelta(days=3))
    lifecycle.close_referral(fire, None, fire.contacted_at, "service_provided")
    lifecycle.forward_referral(falls, hub, falls.received_at + timedelta(hours=30))
    lifecycle.record_contact(falls, None, falls.forwarded_at + timedelta(days=20))
    submit(frontline, datetime(2026, 2, 10, 10, 0), yes=("lonely",))
    db.session.commit()


def assert_no_sideways_scroll(page) -> None:
    width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= viewport, f"the page is {width}px wide on a {viewport}px screen"


def test_a_manager_sees_the_charts_and_their_tables_on_a_phone(
    page, live_server, demo_hub, history
):
    sign_in_on_the_page(page, live_server, demo_hub["manager"])
    expect(page).to_have_url(re.compile(r"/manage$"))  # where a manager lands
    expect(page.get_by_role("heading", level=1)).to_have_text("Turnaround and outcomes")

    page.goto(f"{live_server}/manage?{PERIOD}")
    assert page.evaluate("typeof window.Chart") == "function"
    for chart, table in CHART_TABLES.items():
        canvas = page.locator(f"#chart-{chart}")
        expect(canvas).to_be_visible()
        assert page.evaluate("id => !!Chart.getChart(id)", f"chart-{chart}"), chart
        expect(canvas).to_have_attribute("aria-hidden", "true")
        expect(page.locator(f"#{table}")).to_be_visible()
    expect(page.locator("#table-volumes tbody tr")).to_have_count(2)
    expect(page.locator("#table-volumes tbody tr").first).to_contain_text("January 2026")
    assert_no_sideways_scroll(page)
    assert_accessible(page)


def test_the_partner_table_sorts_from_the_keyboard(page, live_server, demo_hub, history):
    sign_in_on_the_page(page, live_server, demo_hub["manager"])
    page.goto(f"{live_server}/manage?{PERIOD}")
    table = page.locator("#table-partners")
    header = table.locator("th", has=page.get_by_role("link", name=re.compile("^Referrals")))
    expect(header).not_to_have_attribute("aria-sort", re.compile("."))

    header.get_by_role("link").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"sort=referrals#partners$"))
    expect(page).to_have_url(re.compile(r"from=2026-01-01&to=2026-02-28"))
    expect(header).to_have_attribute("aria-sort", "ascending")

    header.get_by_role("link").focus()
    page.keyboard.press("Enter")
    expect(header).to_have_attribute("aria-sort", "descending")
    counts = [int(text) for text in table.locator("tbody tr td:nth-child(2)").all_inner_texts()]
    assert counts == sorted(counts, reverse=True) and counts[0] > 0
    assert_no_sideways_scroll(page)
    assert_accessible(page)


def test_bad_filters_show_errors_that_lead_to_the_field(page, live_server, demo_hub, history):
    sign_in_on_the_page(page, live_server, demo_hub["manager"])
    start = page.get_by_role("group", name="Received from")
    start.get_by_label("Day").fill("31")
    start.get_by_label("Month").fill("2")
    start.get_by_label("Year").fill("2026")
    page.get_by_role("button", name="Show figures").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("The start date must be a real date")
    expect(page).to_have_title(re.compile(r"^Error: "))
    start = page.get_by_role("group", name="Received from")
    expect(start.get_by_label("Day")).to_have_value("31")
    expect(start.get_by_label("Month")).to_have_value("2")
    assert_accessible(page)
    summary.get_by_role("link").click()
    expect(start.get_by_label("Day")).to_be_focused()
    assert_no_sideways_scroll(page)


def wide_rows(page) -> list[str]:
    """The tables on the page wider than their box: a row that scrolls sideways."""
    return page.evaluate(
        """() => [...document.querySelectorAll('main table')]
            .filter(t => t.scrollWidth > t.parentElement.clientWidth + 1)
            .map(t => t.id)"""
    )


@pytest.mark.parametrize("width", [320, 1280])
def test_a_manager_chooses_a_period_by_keyboard_and_jumps_to_a_section(
    browser, live_server, demo_hub, history, width
):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in_on_the_page(page, live_server, demo_hub["manager"])
        # The default period is said in words that agree with the dates filled in.
        start = page.get_by_role("group", name="Received from")
        expect(start.get_by_label("Day")).to_have_value("1")
        expect(page.locator("#filters")).to_contain_text("this month so far and the 11 months")
        for field, values in (
            ("Received from", ("1", "1", "2026")),
            ("Received to", ("28", "2", "2026")),
        ):
            group = page.get_by_role("group", name=field)
            for label, value in zip(("Day", "Month", "Year"), values, strict=True):
                group.get_by_label(label).fill(value)
        page.get_by_role("group", name="Received to").get_by_label("Year").press("Enter")
        expect(page.locator(".govuk-body-l")).to_contain_text(
            "Referrals received from 1 January 2026 to 28 February 2026"
        )
        expect(page.locator("#table-volumes tbody tr")).to_have_count(2)

        contents = page.get_by_role("navigation", name="Contents")
        contents.get_by_role("link", name="By partner").focus()
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"#partners$"))
        expect(page.locator("#table-partners")).to_be_in_viewport()

        # The deadline chart's axis starts below the lowest share, and the page says where.
        assert page.evaluate("Chart.getChart('chart-sla').options.scales.y.min") == 0
        expect(page.locator("[data-chart=sla]")).to_be_visible()
        assert wide_rows(page) == []
        assert_no_sideways_scroll(page)
        assert_accessible(page)
    finally:
        context.close()


@pytest.mark.parametrize("width", [320, 1280])
def test_the_deadline_axis_shows_the_difference(browser, live_server, demo_hub, history, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in_on_the_page(page, live_server, demo_hub["manager"])
        page.goto(f"{live_server}/manage?from=2026-01-01&to=2026-01-31")  # both shares 50%
        assert page.evaluate("Chart.getChart('chart-sla').options.scales.y.min") == 45
        expect(page.locator("[data-chart=sla]")).to_contain_text("The axis starts at 45%, not 0")
        assert wide_rows(page) == []
        assert_no_sideways_scroll(page)
        assert_accessible(page)
    finally:
        context.close()


def test_without_javascript_every_table_is_there(browser, live_server, demo_hub, history):
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    try:
        manager = demo_hub["manager"]
        page.goto(f"{live_server}/login")
        page.get_by_label("Email address", exact=True).fill(manager.email)
        page.get_by_label("Password", exact=True).fill(manager.password)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{live_server}/manage?{PERIOD}")
        for chart, table in CHART_TABLES.items():
            expect(page.locator(f"#{table}")).to_be_visible()
            expect(page.locator(f"#chart-{chart}")).to_be_hidden()  # an empty box would mislead
        expect(page.locator("#table-partners")).to_be_visible()
        expect(page.locator("#table-overdue")).to_be_visible()
        assert_no_sideways_scroll(page)
    finally:
        context.close()
