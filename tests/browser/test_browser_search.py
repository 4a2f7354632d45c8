"""In a real browser, at 320 px and 1280 px, by keyboard where it matters: hub staff search the
queue for a client's name and a postcode, open the person's record from the results, and confirm
that a questionnaire with the same name and date of birth is the same person. axe-core checks
each page against WCAG 2.2 AA, and no page scrolls sideways."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from hub.clock import utcnow
from hub.referrals import follow_ups
from tests.factories import submit, user
from tests.support import assert_accessible, sign_in_with_the_keyboard

pytestmark = pytest.mark.browser

SCORES = {"life_satisfaction": 4, "worthwhile": 5, "happy": 3, "anxious": 8}


def fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.parametrize("width", [320, 1280])
def test_hub_staff_search_open_a_record_and_confirm_the_same_person(
    browser, live_server, db, demo_hub, width
):
    received = utcnow() - timedelta(days=40)
    first = submit(user("frontline"), received)
    follow_ups.record_wellbeing(first, "questionnaire", SCORES, user("frontline"), received)
    again = submit(
        user("frontline"), received + timedelta(days=30), yes=("benefits",),
        address="3 Rye Lane, London", postcode="SE15 4ST", borough="southwark",
    )  # fmt: skip
    submit(
        user("frontline"),
        received,
        family_name="Jones",
        date_of_birth="1939-09-09",
        postcode="SW9 8AB",
    )
    db.session.commit()

    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in_with_the_keyboard(page, live_server, demo_hub["hub"])
        page.goto(f"{live_server}/hub/referrals")
        search = page.get_by_label("Search referrals")
        search.fill("CLARKE")
        search.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text("4 referrals matching “CLARKE”")
        expect(page.locator("main table")).not_to_contain_text("Jones")
        expect(search).to_have_value("CLARKE")
        assert_accessible(page)
        fits(page, width)

        # A postcode in any case and spacing.
        search = page.get_by_label("Search referrals")
        search.fill("sw25sg")
        search.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text("3 referrals matching “sw25sg”")
        row = page.locator("main tbody tr", has_text=first.referrals[0].reference)
        row.get_by_role("link", name="Record of Edna Clarke").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("Edna Clarke")
        main = page.locator("main")
        expect(main).to_contain_text("Possibly the same person")
        expect(main).to_contain_text("3 Rye Lane, London, SE15 4ST")
        expect(main).to_contain_text("Life satisfaction: 4")
        assert_accessible(page)
        fits(page, width)

        confirm = page.get_by_role(
            "button", name=f"This is the same person (questionnaire {again.reference})"
        )
        confirm.focus()
        page.keyboard.press("Enter")
        expect(page.locator(".govuk-notification-banner")).to_contain_text("are now on one record")
        expect(main).not_to_contain_text("Possibly the same person")
        expect(main.get_by_role("heading", name=re.compile(again.reference))).to_be_visible()
        expect(main.locator(f"a:text-is('{again.referrals[0].reference}')")).to_be_visible()
        assert_accessible(page)
        fits(page, width)

        # The referral page leads back to the record.
        main.get_by_role("link", name=again.referrals[0].reference).click()
        page.get_by_role("link", name="Edna Clarke’s record").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Edna Clarke")
    finally:
        context.close()
