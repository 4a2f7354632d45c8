"""In a real browser: a hub user who must have a second factor sets it up from the QR code page
(hub/auth/two_factor_views.py), sees the recovery codes once, and signs in again with a code.
The server's clock is moved on by patching ``hub.clock.utcnow`` (the live server runs in this
process), so the second code is of a later time step: no test waits for time to pass."""

from __future__ import annotations

import re
from datetime import UTC, timedelta

import pyotp
import pytest
from playwright.sync_api import expect

from hub import clock
from tests.support import assert_accessible

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_setting_up_the_second_factor_and_signing_in_with_a_code(
    phone, app, live_server, demo_hub, monkeypatch
):
    app.config["HUB_REQUIRE_2FA"] = True
    page, hub_user = phone, demo_hub["hub"]
    page.goto(f"{live_server}/login")
    page.get_by_label("Email address", exact=True).fill(hub_user.email)
    page.get_by_label("Password", exact=True).fill(hub_user.password)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your second factor")
    qr = page.get_by_role("img", name="QR code for your app")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 320
    assert_accessible(page)
    secret = page.locator("#two-factor-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code from your app").fill(totp.now())
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/hub/referrals$"))
    expect(page.get_by_text("Signed in as")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out")).to_be_visible()

    # 30 seconds on: the app shows the next code.
    real = clock.utcnow
    moved = real() + timedelta(seconds=30)
    monkeypatch.setattr(clock, "utcnow", lambda: moved)
    monkeypatch.setattr("hub.auth.views.utcnow", lambda: moved)
    page.get_by_label("Email address", exact=True).fill(hub_user.email)
    page.get_by_label("Password", exact=True).fill(hub_user.password)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code from your app")
    assert_accessible(page)
    page.get_by_label("Code", exact=True).fill(totp.at(moved.replace(tzinfo=UTC)))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/hub/referrals$"))
    expect(page.get_by_text("Signed in as")).to_be_visible()
