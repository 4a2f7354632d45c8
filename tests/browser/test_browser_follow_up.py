"""In a real browser on a phone-sized screen: hub staff follow up with a client four weeks on,
record a "partly" with the wellbeing answers, and refer the client again; axe-core checks every
page against WCAG 2.2 AA, the record page in its error state too."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from hub.clock import utcnow
from hub.referrals import follow_ups
from tests.factories import submit, user
from tests.support import assert_accessible, sign_in_on_the_page

pytestmark = pytest.mark.browser

SCORES = {"life_satisfaction": 5, "worthwhile": 6, "happy": 4, "anxious": 7}


def test_hub_staff_record_a_partly_follow_up_with_wellbeing_and_refer_again(
    page, live_server, demo_hub, db
):
    received = utcnow() - timedelta(days=30)
    submission = submit(user("frontline"), received, yes=("smoke_alarms", "falls", "lonely"))
    follow_ups.record_wellbeing(submission, "questionnaire", SCORES, user("frontline"), received)
    db.session.commit()
    reference = submission.reference

    sign_in_on_the_page(page, live_server, demo_hub["hub"])
    page.get_by_role("button", name="Menu").click()  # the navigation folds away on a phone
    page.get_by_role("link", name="Follow-ups").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("1 questionnaire due a follow-up")
    expect(page.locator("main tbody tr", has_text=reference)).to_contain_text("Edna Clarke")
    assert_accessible(page)

    page.get_by_role("link", name=re.compile(reference)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Follow up with Edna Clarke")
    assert_accessible(page)

    # First without saying whether needs were met, and with one wellbeing answer missing.
    page.get_by_label("London Fire Brigade", exact=False).check()
    page.get_by_label("Notes (optional)").fill("Alarms fitted; still worried about falling")
    page.locator("input[name='wellbeing_agreed'][value='yes']").check()
    for key, score in (("life_satisfaction", 7), ("worthwhile", 6), ("happy", 6)):
        page.locator(f"input[name='{key}'][value='{score}']").check()
    page.get_by_role("button", name="Save follow-up").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Select whether the client’s needs were met")
    expect(summary).to_contain_text("how anxious did you feel yesterday")
    expect(page).to_have_title(re.compile(r"^Error: "))
    assert_accessible(page)
    # Nothing chosen or typed is lost.
    expect(page.get_by_label("Notes (optional)")).to_have_value(
        "Alarms fitted; still worried about falling"
    )
    expect(page.locator("input[name='happy'][value='6']")).to_be_checked()
    summary.get_by_role("link", name=re.compile("needs were met")).click()
    expect(page.locator("#needs_met")).to_be_focused()

    page.get_by_label("Partly", exact=True).check()
    page.locator("input[name='anxious'][value='5']").check()
    page.get_by_role("button", name="Save follow-up").click()

    expect(page.locator(".govuk-notification-banner")).to_contain_text("Follow-up recorded")
    expect(page.get_by_role("heading", level=1)).to_have_text("Follow-up with Edna Clarke")
    expect(page.locator("main")).to_contain_text("Up 2")  # life satisfaction 5 -> 7
    expect(page.locator("main")).to_contain_text("Down 2")  # anxiety 7 -> 5
    assert_accessible(page)

    page.get_by_label(re.compile("Do you smoke")).check()
    page.get_by_role("button", name="Refer the client again").click()
    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text(f"1 new referral for the hub to forward: {reference}-04")
    expect(banner).to_contain_text("Stop Smoking Service")
    assert_accessible(page)

    page.get_by_role("link", name="Back to follow-ups").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("0 questionnaires due a follow-up")
    expect(page.locator("main")).to_contain_text("Recently recorded")
    assert_accessible(page)
