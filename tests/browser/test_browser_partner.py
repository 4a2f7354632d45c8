"""In a real browser, on a laptop (1280 px) and a small phone (320 px): a partner finds a new
referral in its inbox by the client's name and area, accepts it, records attempts without typing
a date ("Today", "Yesterday", another day), records the contact and closes it; another referral
is declined with a reason from the list; an accepted referral past its deadline is marked
overdue. axe-core checks each page against WCAG 2.2 AA; at 320 px nothing scrolls sideways."""

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

WIDTHS = pytest.mark.parametrize("width", [1280, 320], ids=["laptop", "phone"])


def banner(page):
    return page.locator(".govuk-notification-banner--success")


def sign_in(page, live_server, partner, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server}/login")
    page.get_by_label("Email address", exact=True).fill(partner.email)
    page.get_by_label("Password", exact=True).fill(partner.password)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your referrals")


def assert_no_sideways_scrolling(page) -> None:
    """Neither the page nor the inbox's table region is wider than the screen."""
    widths = page.evaluate(
        """() => ({
            page: document.documentElement.scrollWidth,
            screen: window.innerWidth,
            regions: [...document.querySelectorAll('.hub-table-wrapper')]
                .map(r => r.scrollWidth - r.clientWidth),
        })"""
    )
    assert widths["page"] <= widths["screen"], widths
    assert all(extra <= 0 for extra in widths["regions"]), widths


def assert_in_view(locator, width: int) -> None:
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, box


@pytest.fixture
def forwarded(db, demo_hub):
    past = utcnow() - timedelta(days=3)
    smoke, falls = submit(user("frontline"), past, yes=("smoke_alarms", "falls")).referrals
    for referral in (smoke, falls):
        lifecycle.forward_referral(referral, user("hub"), past)
    db.session.commit()
    return smoke


@WIDTHS
def test_a_partner_works_a_referral_from_new_to_closed(
    page, live_server, demo_hub, forwarded, width
):
    reference = forwarded.reference
    sign_in(page, live_server, demo_hub["partner"], width)

    # The inbox opens on the New tab: the client's name and area, the question's short label.
    tabs = page.get_by_role("navigation", name="Referrals by stage")
    expect(tabs.get_by_role("link", name="New (1)")).to_have_attribute("aria-current", "page")
    row = page.locator("main tbody tr", has_text=reference)
    expect(row).to_contain_text("Edna Clarke")
    expect(row).to_contain_text("Lambeth")
    expect(row).to_contain_text("Fire safety visit")  # the short label
    expect(row).to_contain_text("days left")
    assert_no_sideways_scrolling(page)
    for link in ("New (1)", "In progress (0)", "Closed (0)"):
        assert_in_view(tabs.get_by_role("link", name=link), width)
    for cell in ("Reference", "Status", "Contact deadline"):
        assert_in_view(row.locator(f'td[data-label="{cell}"]'), width)
    assert_accessible(page)
    row.get_by_role("link", name=reference).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(reference)
    main = page.locator("main")
    expect(main).to_contain_text("Edna Clarke")
    expect(main).not_to_contain_text("Have you had a fall")
    assert_accessible(page)
    page.get_by_role("button", name="Accept referral").click()
    expect(banner(page)).to_contain_text(f"Referral {reference} accepted")

    # The form opens on today at the time now: sent without a method, it keeps the day.
    page.get_by_role("link", name="Record an attempt to contact the client").click()
    expect(page.get_by_label("Today", exact=True)).to_be_checked()
    expect(page.get_by_label("Time", exact=True)).to_have_value(re.compile(r"^\d\d:\d\d$"))
    assert_accessible(page)
    page.get_by_role("button", name="Record attempt").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select how you tried to contact the client")
    expect(summary).not_to_contain_text("Enter the date")
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.get_by_label("Today", exact=True)).to_be_checked()
    assert_accessible(page)

    # Yesterday: a click, and a time.
    page.get_by_label("Yesterday", exact=True).check()
    page.get_by_label("Time", exact=True).fill("10:00")
    page.get_by_label("Phone call", exact=True).check()
    page.get_by_label("No", exact=True).check()
    page.get_by_label("Notes (optional)", exact=True).fill("Rang twice, no answer")
    page.get_by_role("button", name="Record attempt").click()
    expect(banner(page)).to_contain_text("Attempt recorded. 1 recorded so far, on 1 day.")

    # Another day: its date boxes appear once chosen.
    page.get_by_role("link", name="Record an attempt to contact the client").click()
    expect(page.get_by_label("Day", exact=True)).to_be_hidden()
    page.get_by_label("Another day", exact=True).check()
    expect(page.get_by_label("Day", exact=True)).to_be_visible()
    two_days_ago = in_london(utcnow() - timedelta(days=2))
    page.get_by_label("Day", exact=True).fill(str(two_days_ago.day))
    page.get_by_label("Month", exact=True).fill(str(two_days_ago.month))
    page.get_by_label("Year", exact=True).fill(str(two_days_ago.year))
    page.get_by_label("Time", exact=True).fill("16:30")
    page.get_by_label("Letter", exact=True).check()
    page.get_by_label("No", exact=True).check()
    assert_accessible(page)
    page.get_by_role("button", name="Record attempt").click()
    expect(banner(page)).to_contain_text("2 recorded so far, on 2 days")

    # Today, as the form opens: no date or time typed at all.
    page.get_by_role("link", name="Record an attempt to contact the client").click()
    page.get_by_label("Text message", exact=True).check()
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Record attempt").click()
    expect(banner(page)).to_contain_text("you can now close the referral as unable to contact")
    attempts = page.get_by_role("region", name="Attempts to contact the client")
    expect(attempts.locator("tbody tr")).to_have_count(3)

    # Contact made just now: one click.
    page.get_by_role("link", name="Record contact made with the client").click()
    expect(page.get_by_label("Today", exact=True)).to_be_checked()
    page.get_by_role("button", name="Record contact").click()
    expect(banner(page)).to_contain_text(f"Contact with the client recorded for {reference}"[:30])

    # After contact, "unable to contact" is no longer offered.
    page.get_by_role("link", name="Close the referral with an outcome").click()
    expect(page.get_by_label("Unable to contact", exact=True)).to_have_count(0)
    expect(page.locator("main")).to_contain_text("“unable to contact” no longer applies")
    assert_accessible(page)
    page.get_by_label("Service provided", exact=True).check()
    page.get_by_role("button", name="Close referral").click()
    expect(banner(page)).to_contain_text(f"Referral {reference} closed: service provided")

    page.get_by_role("link", name="Back to your referrals").click()
    page.get_by_role("link", name="Closed (1)").click()
    expect(page.locator("main tbody tr", has_text=reference)).to_contain_text("Service provided")
    assert_no_sideways_scrolling(page)
    assert_accessible(page)


@WIDTHS
def test_a_partner_declines_with_a_reason_from_the_list(
    page, live_server, demo_hub, forwarded, width
):
    sign_in(page, live_server, demo_hub["partner"], width)
    page.goto(f"{live_server}/partner/referrals/{forwarded.id}/decline")
    expect(page.get_by_label("Give the reason, if other", exact=True)).to_be_hidden()
    assert_accessible(page)
    page.get_by_label("Other", exact=True).check()
    expect(page.get_by_label("Give the reason, if other", exact=True)).to_be_visible()
    page.get_by_role("button", name="Decline referral").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter why you are declining this referral")
    expect(page.get_by_label("Other", exact=True)).to_be_checked()
    assert_accessible(page)
    page.get_by_label("Outside our area", exact=True).check()
    page.get_by_role("button", name="Decline referral").click()
    expect(banner(page)).to_contain_text("declined. It goes back to the hub")
    expect(page.locator("main")).to_contain_text("Reason: Outside our area")
    page.get_by_role("link", name="Back to your referrals").click()
    page.get_by_role("link", name="Closed (1)").click()
    row = page.locator("main tbody tr", has_text=forwarded.reference)
    expect(row).to_contain_text("Reason: Outside our area")
    assert_no_sideways_scrolling(page)
    assert_accessible(page)


@WIDTHS
def test_an_accepted_referral_past_its_deadline_is_overdue(page, live_server, db, demo_hub, width):
    long_ago = utcnow() - timedelta(days=16)
    referral = submit(user("frontline"), long_ago, yes=("smoke_alarms",)).referrals[0]
    lifecycle.forward_referral(referral, user("hub"), long_ago + timedelta(hours=12))
    lifecycle.accept_referral(referral, user("partner"), long_ago + timedelta(days=1))
    db.session.commit()
    sign_in(page, live_server, demo_hub["partner"], width)
    page.get_by_role("link", name="In progress (1)").click()
    row = page.locator("main tbody tr", has_text=referral.reference)
    expect(row).to_contain_text("Overdue")
    expect(row).to_contain_text("Overdue by 36 hours")
    assert_in_view(row.get_by_text("Overdue by 36 hours"), width)
    assert_no_sideways_scrolling(page)
    assert_accessible(page)
    row.get_by_role("link", name=referral.reference).click()
    expect(page.locator("main .govuk-tag", has_text="Overdue").first).to_be_visible()
    page.get_by_role("link", name="Record contact made with the client").click()
    expect(page.locator("main")).to_contain_text("The deadline to contact the client was")
    assert_accessible(page)
