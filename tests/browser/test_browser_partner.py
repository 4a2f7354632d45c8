"""In a real browser on a phone-sized screen: a partner opens a new referral from its inbox,
accepts it, records two attempts that did not reach the client, records the contact and closes
it as "Service provided"; axe-core checks each page against WCAG 2.2 AA."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from hub.clock import in_london, utcnow
from hub.referrals import lifecycle
from tests.factories import submit, user
from tests.support import assert_accessible

pytestmark = pytest.mark.browser

SMOKE_QUESTION = "Would you like a free home fire safety visit"


def banner(page):
    return page.locator(".govuk-notification-banner--success")


def type_moment(page, moment) -> None:
    """Type a moment (naive UTC) into the date and time fields as a partner would: UK time."""
    local = in_london(moment)
    page.get_by_label("Day", exact=True).fill(str(local.day))
    page.get_by_label("Month", exact=True).fill(str(local.month))
    page.get_by_label("Year", exact=True).fill(str(local.year))
    page.get_by_label("Time", exact=True).fill(local.strftime("%H:%M"))


@pytest.fixture
def forwarded(db, demo_hub):
    past = utcnow() - timedelta(days=3)
    smoke, falls = submit(user("frontline"), past, yes=("smoke_alarms", "falls")).referrals
    for referral in (smoke, falls):
        lifecycle.forward_referral(referral, user("hub"), past)
    db.session.commit()
    return smoke


def test_a_partner_works_a_referral_from_new_to_closed(page, live_server, demo_hub, forwarded):
    reference = forwarded.reference
    partner = demo_hub["partner"]
    page.goto(f"{live_server}/login")
    page.get_by_label("Email address", exact=True).fill(partner.email)
    page.get_by_label("Password", exact=True).fill(partner.password)
    page.keyboard.press("Enter")

    # The inbox opens on the New tab.
    expect(page.get_by_role("heading", level=1)).to_have_text("Your referrals")
    expect(page.get_by_role("link", name="New (1)")).to_have_attribute("aria-current", "page")
    row = page.locator("main tbody tr", has_text=reference)
    expect(row).to_contain_text("Fire safety visit")  # the short label
    expect(row).to_contain_text("days left")
    assert_accessible(page)
    row.get_by_role("link", name=reference).click()

    # The referral page: the client, this referral's answer only.
    expect(page.get_by_role("heading", level=1)).to_have_text(reference)
    main = page.locator("main")
    expect(main).to_contain_text("Edna Clarke")
    expect(main).to_contain_text(SMOKE_QUESTION)
    expect(main).not_to_contain_text("Have you had a fall")
    assert_accessible(page)
    page.get_by_role("button", name="Accept referral").click()
    expect(banner(page)).to_contain_text(f"Referral {reference} accepted")
    expect(main.locator(".govuk-tag").first).to_have_text("Accepted")

    # A first attempt: sent empty, it says what is missing and keeps what was chosen.
    page.get_by_role("link", name="Record an attempt to contact the client").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Record an attempt to contact the client"
    )
    assert_accessible(page)
    page.get_by_label("Phone call", exact=True).check()
    page.get_by_role("button", name="Record attempt").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter the date of the attempt")
    expect(summary).to_contain_text("Enter the time of the attempt")
    expect(summary).to_contain_text("Select yes if the attempt reached the client")
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.get_by_label("Phone call", exact=True)).to_be_checked()
    assert_accessible(page)
    summary.get_by_role("link", name="Enter the date of the attempt").click()
    expect(page.get_by_label("Day", exact=True)).to_be_focused()

    type_moment(page, utcnow() - timedelta(days=1, hours=2))
    page.get_by_label("No", exact=True).check()
    page.get_by_label("Notes (optional)", exact=True).fill("Rang twice, no answer")
    page.get_by_label("Time", exact=True).press("Enter")
    expect(banner(page)).to_contain_text(
        "1 attempt recorded; 3 are needed before you can close as unable to contact"
    )

    # A second attempt, by text message.
    page.get_by_role("link", name="Record an attempt to contact the client").click()
    type_moment(page, utcnow() - timedelta(days=1))
    page.get_by_label("Text message", exact=True).check()
    page.get_by_label("No", exact=True).check()
    page.get_by_label("Time", exact=True).press("Enter")
    expect(banner(page)).to_contain_text("2 attempts recorded")
    attempts = page.get_by_role("region", name="Attempts to contact the client")
    expect(attempts.locator("tbody tr")).to_have_count(2)
    expect(attempts).to_contain_text("Rang twice, no answer")

    # Contact made.
    page.get_by_role("link", name="Record contact made with the client").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record contact made with the client")
    assert_accessible(page)
    type_moment(page, utcnow() - timedelta(hours=3))
    page.get_by_label("Notes (optional)", exact=True).fill("Visit booked for Friday")
    page.get_by_label("Time", exact=True).press("Enter")
    expect(banner(page)).to_contain_text(
        f"Contact with the client recorded for referral {reference}"
    )

    # Closed with its outcome.
    page.get_by_role("link", name="Close the referral with an outcome").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Close the referral")
    expect(page.locator("main")).to_contain_text("needs at least 3 recorded attempts")
    assert_accessible(page)
    page.get_by_label("Service provided", exact=True).check()
    page.get_by_label("Notes (optional)", exact=True).fill("Fitted two smoke alarms")
    page.get_by_role("button", name="Close referral").click()
    expect(banner(page)).to_contain_text(f"Referral {reference} closed: service provided")
    expect(page.locator("main")).to_contain_text("Nothing: this referral is closed")

    # The inbox's Closed tab lists it.
    page.get_by_role("link", name="Back to your referrals").click()
    expect(page.get_by_role("link", name="New (0)")).to_be_visible()
    page.get_by_role("link", name="Closed (1)").click()
    expect(page.get_by_role("link", name="Closed (1)")).to_have_attribute("aria-current", "page")
    closed_row = page.locator("main tbody tr", has_text=reference)
    expect(closed_row).to_contain_text("Service provided")
    assert_accessible(page)
