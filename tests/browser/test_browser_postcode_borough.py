"""In a real browser, on a desktop and a 320 px screen: a frontline worker types a postcode
without choosing a borough and sees the borough the hub found, or is told the default services
are used; an admin pauses a partner on its page, and a new flag for it waits at the hub marked
for re-routing, where hub staff re-route it. axe-core checks every page against WCAG 2.2 AA."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from hub.clock import utcnow
from hub.extensions import db as _db
from tests.factories import submit, user
from tests.support import (
    assert_accessible,
    fill_client_details,
    sign_in_on_the_page,
    sign_in_with_the_keyboard,
)

pytestmark = pytest.mark.browser

WIDTHS = [1280, 320]


def fits(page, width: int) -> None:
    """Nothing is wider than the screen: no scrolling sideways."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.parametrize("width", WIDTHS)
def test_the_borough_is_found_from_the_postcode_or_the_worker_is_told(
    browser, live_server, demo_hub, width
):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in_on_the_page(page, live_server, demo_hub["frontline"])
    page.get_by_role("button", name="Start").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Client details")
    assert_accessible(page)
    fits(page, width)
    fill_client_details(page, "sw9 8aa")  # no borough chosen
    page.get_by_label("Phone call", exact=True).check()
    page.get_by_role("button", name="Save and continue").click()

    found = page.locator("#borough-found")
    expect(found).to_contain_text("Borough: Lambeth (found from the postcode SW9 8AA)")
    expect(page.locator("main")).to_contain_text("Lambeth Trading Standards")
    assert_accessible(page)
    fits(page, width)

    # Back to the details by the keyboard, and a postcode outside the hub's areas.
    found.get_by_role("link", name=re.compile("Change the borough")).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Client details")
    expect(page.get_by_label("Postcode", exact=True)).to_have_value("SW9 8AA")
    expect(page.get_by_label("Lambeth", exact=True)).not_to_be_checked()
    page.get_by_label("Postcode", exact=True).fill("N1 9GU")
    page.get_by_role("button", name="Save and continue").click()

    expect(found).to_contain_text("We could not find a borough for the postcode N1 9GU")
    expect(found).to_contain_text("the referrals go to the hub’s default services")
    expect(page.locator("main")).to_contain_text("London Trading Standards")
    assert_accessible(page)
    fits(page, width)
    context.close()


def pause_on_the_admin_page(browser, live_server, admin, width: int) -> None:
    """The admin pauses London Fire Brigade's referrals on its partner page."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in_with_the_keyboard(page, live_server, admin)
    page.goto(f"{live_server}/admin/partners/lfb-home-fire-safety")
    page.get_by_role("button", name="Pause referrals").click()
    expect(page.locator("#referrals-status")).to_contain_text("Paused")
    assert_accessible(page)
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_paused_partners_new_flag_waits_at_the_hub_for_re_routing(
    browser, live_server, db, demo_hub, width
):
    pause_on_the_admin_page(browser, live_server, demo_hub["admin"], width)
    _db.session.expire_all()  # the pause was made by the server's own session
    submission = submit(user("frontline"), utcnow() - timedelta(hours=1), yes=("smoke_alarms",))
    _db.session.commit()
    held = submission.referrals[0]

    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in_on_the_page(page, live_server, demo_hub["hub"])
    expect(page).to_have_url(re.compile(r"/hub/referrals"))
    row = page.locator("main tbody tr", has_text=held.reference)
    expect(row).to_contain_text("Waiting: partner paused, re-route it")
    assert_accessible(page)

    row.get_by_role("link", name=held.reference).click()
    expect(page.locator("main")).to_contain_text("is not taking referrals")
    expect(page.get_by_role("button", name=re.compile("^Forward to"))).to_have_count(0)
    assert_accessible(page)
    fits(page, width)

    page.get_by_role("button", name="Re-route to another partner").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Re-route referral")
    assert_accessible(page)
    page.get_by_label("Which partner should this referral go to instead?").select_option(
        "age-uk-befriending"
    )
    page.get_by_role("button", name="Re-route referral").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("re-routed to Age UK")
    expect(page.get_by_role("button", name="Forward to Age UK Befriending")).to_be_visible()
    context.close()
