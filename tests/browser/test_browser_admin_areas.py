"""In a real browser, at 320 px and 1280 px, by keyboard where it matters: an admin adds an area,
is told what is wrong with the postcodes without losing what was typed, then changes it and reads
its history. axe-core checks each page against WCAG 2.2 AA."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support import assert_accessible, sign_in_with_the_keyboard

pytestmark = pytest.mark.browser


def fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.parametrize("width", [320, 1280])
def test_an_admin_adds_and_changes_an_area(browser, live_server, db, demo_hub, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in_with_the_keyboard(page, live_server, demo_hub["admin"])
        page.goto(f"{live_server}/admin/areas")
        expect(page.get_by_role("heading", level=1)).to_have_text("Areas")
        expect(page.locator("main")).to_contain_text("SE1 7")
        assert_accessible(page)
        fits(page, width)

        page.get_by_role("button", name="Add an area").click()
        page.get_by_label("Name", exact=True).fill("Croydon")
        page.get_by_label("Short name", exact=True).fill("croydon")
        page.get_by_label("Postcodes", exact=True).fill("CR0\nSW9\nnowhere")
        page.get_by_role("button", name="Add area").click()

        summary = page.locator(".govuk-error-summary")
        expect(summary).to_contain_text("SW9 is already in Lambeth")
        expect(summary).to_contain_text("is not a postcode district or sector")
        expect(page).to_have_title(re.compile(r"^Error: "))
        expect(page.get_by_label("Postcodes", exact=True)).to_have_value("CR0\nSW9\nnowhere")
        expect(page.get_by_label("Short name", exact=True)).to_have_value("croydon")
        assert_accessible(page)
        fits(page, width)
        summary.get_by_role("link").first.click()
        expect(page.get_by_label("Postcodes", exact=True)).to_be_focused()

        page.get_by_label("Postcodes", exact=True).fill("CR0, CR2")
        page.get_by_role("button", name="Add area").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Croydon")
        expect(page.locator(".govuk-notification-banner")).to_contain_text("Area Croydon added.")
        page.get_by_label("Postcodes", exact=True).fill("CR0\nCR2\nSE25")
        page.get_by_role("button", name="Save changes").click()
        expect(page.locator("#history ~ ol")).to_contain_text("CR0, CR2 → CR0, CR2, SE25")
        assert_accessible(page)
        fits(page, width)
    finally:
        context.close()
