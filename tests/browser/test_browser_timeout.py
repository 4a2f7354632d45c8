"""In a real browser: the GOV.UK timeout warning before the idle timeout (hub/auth/sessions.py,
hub/static/timeout-warning.js). The page's clock is Playwright's fake one and the server's is
moved on by patching ``hub.clock.utcnow`` (the live server runs in this process): no test waits
for time to pass."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from hub import clock
from tests.support import assert_accessible, fill_client_details, sign_in_with_the_keyboard

pytestmark = pytest.mark.browser

IDLE = 30 * 60_000  # ms, HUB_IDLE_MINUTES' default
WARNING = 2 * 60_000


@pytest.fixture
def phone(browser):
    """The narrowest screen the hub supports, with the page's clock under the test's control."""
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.clock.install()
    yield page
    context.close()


def test_the_warning_comes_two_minutes_before_and_stay_signed_in_keeps_the_session(
    phone, live_server, demo_hub
):
    page = phone
    sign_in_with_the_keyboard(page, live_server, demo_hub["hub"])
    dialog = page.get_by_role("dialog", name="You will be signed out soon")
    expect(dialog).to_be_hidden()

    page.clock.fast_forward(IDLE - WARNING - 5_000)
    expect(dialog).to_be_hidden()
    page.clock.fast_forward(10_000)

    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("We will sign you out in 2 minutes")
    # Focus is moved into the dialog, whose countdown is read out.
    expect(page.locator("#hub-timeout-heading")).to_be_focused()
    expect(dialog.locator("[aria-live]")).to_have_text("We will sign you out in 2 minutes.")
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 320
    assert_accessible(page)

    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Stay signed in")).to_be_focused()
    with page.expect_response(re.compile(r"/account/keep-alive$")) as kept:
        page.keyboard.press("Enter")
    assert kept.value.status == 204
    expect(dialog).to_be_hidden()

    # The warning starts again from a full 30 minutes, and the session is still live.
    page.clock.fast_forward(IDLE - WARNING - 5_000)
    expect(dialog).to_be_hidden()
    page.reload()
    expect(page.get_by_text("Signed in as")).to_be_visible()


def test_sign_out_in_the_warning_signs_out(phone, live_server, demo_hub):
    page = phone
    sign_in_with_the_keyboard(page, live_server, demo_hub["hub"])
    page.clock.fast_forward(IDLE - WARNING + 1_000)
    dialog = page.get_by_role("dialog", name="You will be signed out soon")
    expect(dialog).to_be_visible()
    dialog.get_by_role("link", name="Sign out").click()
    expect(page.get_by_text("You have signed out")).to_be_visible()


def test_after_the_timeout_signing_in_returns_to_the_questionnaire_draft(
    phone, live_server, demo_hub, monkeypatch
):
    page = phone
    sign_in_with_the_keyboard(page, live_server, demo_hub["frontline"])
    page.get_by_role("button", name="Start").click()
    fill_client_details(page)
    page.get_by_label("Lambeth", exact=True).check()
    page.get_by_label("Phone number", exact=True).fill("07911 123456")
    page.get_by_label("Phone call", exact=True).check()
    page.get_by_role("button", name="Save and continue").click()
    expect(page).to_have_url(re.compile(r"/sections/"))
    # The URL changes before the new page's script has set its timers: moving the clock on
    # before then would leave them set from the later time, never to fire.
    page.wait_for_load_state("load")
    draft_page = page.url

    # 30 minutes with nothing done, on the server and in the page.
    real = clock.utcnow
    monkeypatch.setattr(clock, "utcnow", lambda: real() + timedelta(minutes=30, seconds=5))
    page.clock.fast_forward(IDLE - WARNING + 1_000)
    page.clock.fast_forward(WARNING)

    expect(
        page.get_by_text("You were signed out because you did not do anything for 30 minutes")
    ).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sign in")
    page.get_by_label("Email address", exact=True).fill(demo_hub["frontline"].email)
    page.get_by_label("Password", exact=True).fill(demo_hub["frontline"].password)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(draft_page)
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_label("First name", exact=True)).to_have_value("Edna")
