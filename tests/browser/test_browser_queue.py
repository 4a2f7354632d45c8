"""In a real browser, at 320 px and 1280 px: hub staff work through the queue. They forward all of
one questionnaire's referrals from the queue, add a note for the partner near the top of a
referral's page, send a referral to another partner by keyboard (after a refusal that keeps
what they typed), and forward it, after which the hub takes them on. At 320 px the queue's rows
that matter (reference, client, status, deadline) are on screen without sideways scrolling.
axe-core checks each page against WCAG 2.2 AA."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from hub.areas import find_area
from tests.factories import submit, user
from tests.support import assert_accessible, hours_ago, partner, sign_in_with_the_keyboard

pytestmark = pytest.mark.browser


def fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def on_screen(locator, width: int) -> None:
    """The element is shown and ends within the width of the screen."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box


@pytest.mark.parametrize("width", [320, 1280])
def test_hub_staff_work_through_the_queue(browser, live_server, db, demo_hub, width):
    southwark, lambeth = partner("southwark-trading-standards"), find_area("lambeth")
    if lambeth not in southwark.areas:
        southwark.areas.append(lambeth)
    ada = submit(user("frontline"), hours_ago(20.5), given_name="Ada")
    bea = submit(user("frontline"), hours_ago(10.5), yes=("scams",), given_name="Bea")
    db.session.commit()
    scams = bea.referrals[0].reference

    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in_with_the_keyboard(page, live_server, demo_hub["hub"])
        page.goto(f"{live_server}/hub/referrals")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "4 referrals waiting to be forwarded"
        )
        group = page.locator("tbody", has_text=f"Questionnaire {ada.reference}")
        expect(group.locator("tr")).to_have_count(4)  # its heading row and its 3 referrals
        row = page.locator("tbody tr", has_text=scams)
        for label in ("Reference", "Client", "Status", "Deadline"):
            on_screen(row.locator(f'td[data-label="{label}"]'), width)
        expect(row).to_contain_text("Bea Clarke")
        assert_accessible(page)
        fits(page, width)

        group.get_by_role("button", name=re.compile("Forward all 3")).click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text("3 referrals forwarded")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "1 referral waiting to be forwarded"
        )
        assert_accessible(page)
        fits(page, width)

        page.get_by_role("link", name=scams).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(scams)
        note = page.get_by_label("Add a note")
        referral_heading = page.get_by_role("heading", name="Referral", exact=True)
        assert note.bounding_box()["y"] < referral_heading.bounding_box()["y"]
        note.fill("Her daughter will be there on Tuesdays")
        page.get_by_label(re.compile("For the partner")).check()
        page.get_by_role("button", name="Add note").click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text(
            f"Note added to referral {scams} for the partner."
        )
        assert_accessible(page)
        fits(page, width)

        page.get_by_role("button", name="Change the partner").click()  # a link like a button
        expect(page.get_by_role("heading", level=1)).to_have_text("Change the partner")
        page.get_by_label("Note (optional)").fill("Pan-London scam")
        page.get_by_role("button", name="Change the partner").click()
        summary = page.locator(".govuk-error-summary")
        expect(summary).to_contain_text("Select the partner to send this referral to")
        expect(page).to_have_title(re.compile(r"^Error: "))
        expect(page.get_by_label("Note (optional)")).to_have_value("Pan-London scam")
        expect(
            page.get_by_role("group", name="Which partner should this referral go to?")
        ).to_be_visible()
        summary.get_by_role("link").click()
        expect(page.get_by_label("London Trading Standards")).to_be_focused()
        assert_accessible(page)
        fits(page, width)

        # By keyboard: the space bar chooses the radio, then on to the button.
        page.keyboard.press("Space")
        expect(page.get_by_label("London Trading Standards")).to_be_checked()
        page.keyboard.press("Tab")
        expect(page.get_by_label("Note (optional)")).to_be_focused()
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Change the partner")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator(".govuk-notification-banner")).to_contain_text(
            f"Referral {scams} now goes to London Trading Standards"
        )
        expect(page.locator("main")).to_contain_text("Partner changed to London Trading Standards")
        assert_accessible(page)
        fits(page, width)

        page.get_by_role("button", name=re.compile("Forward to London Trading Standards")).click()
        banner = page.locator(".govuk-notification-banner")
        expect(banner).to_contain_text(f"Referral {scams} forwarded to London Trading Standards")
        expect(banner).to_contain_text("No other referrals are waiting to be forwarded")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "0 referrals waiting to be forwarded"
        )
        assert_accessible(page)
        fits(page, width)
    finally:
        context.close()
