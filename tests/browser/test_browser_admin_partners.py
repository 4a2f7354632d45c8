"""In a real browser, at 1280 px and 320 px: an admin finds a partner agency in the list, pauses
its referrals from its page (a real form post, CSRF on) and sees it shown as paused, then
changes its SMS duty number with a mistake first; axe-core checks each page against WCAG 2.2
AA, and none scrolls sideways on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support import assert_accessible, fresh, partner, sign_in_with_the_keyboard

pytestmark = pytest.mark.browser


def no_sideways_scroll(page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0


@pytest.mark.parametrize("width", [320, 1280])
def test_an_admin_pauses_a_partner(browser, live_server, db, demo_hub, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in_with_the_keyboard(page, live_server, demo_hub["admin"])
        page.goto(f"{live_server}/admin/partners")
        expect(page.get_by_role("heading", level=1)).to_have_text("Partner agencies")
        no_sideways_scroll(page)
        assert_accessible(page)

        page.get_by_role("link", name="NHS Memory Service").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("NHS Memory Service")
        expect(page.locator("#referrals-status")).to_contain_text("Taking referrals")
        no_sideways_scroll(page)
        assert_accessible(page)

        pause = page.get_by_role("button", name="Pause referrals")
        pause.focus()
        page.keyboard.press("Enter")
        expect(page.locator("#referrals-status")).to_contain_text("Paused")
        expect(page.locator("main")).to_contain_text("NHS Memory Service is paused")
        expect(page.locator("main")).to_contain_text("Taking referrals: Yes → No")
        no_sideways_scroll(page)
        assert_accessible(page)
        assert fresh(partner("nhs-memory-service")).taking_referrals is False

        page.get_by_role("link", name="Change the details").click()
        expect(page.get_by_role("group", name="Who may see the SMS duty number?")).to_be_visible()
        page.get_by_label("SMS duty number (optional)").fill("020 7946 0000")
        page.get_by_role("button", name="Save").click()
        expect(page.locator(".govuk-error-summary")).to_contain_text("cannot receive text messages")
        expect(page.get_by_label("SMS duty number (optional)")).to_have_value("020 7946 0000")
        no_sideways_scroll(page)
        assert_accessible(page)
        page.get_by_role("link", name="'020 7946 0000' cannot receive text messages").click()
        expect(page.get_by_label("SMS duty number (optional)")).to_be_focused()
        page.keyboard.press("Control+A")
        page.keyboard.type("07911 123456")
        page.keyboard.press("Enter")
        expect(page.locator("main")).to_contain_text("Your changes were saved")
        expect(page.locator("main")).to_contain_text("07911 123456 (private)")
    finally:
        context.close()
