"""In a real browser: a frontline worker completes the SAIL questionnaire on a phone-sized screen
and hub staff see the referrals, with axe-core checking every page against WCAG 2.2 AA."""

import re

import pytest
from playwright.sync_api import expect

from tests.support import assert_accessible, fill_client_details, sign_in_on_the_page

pytestmark = pytest.mark.browser

YES = {"smoke_alarms", "falls", "lonely"}


def answer_sections(page) -> None:
    """Answer every section page until the wellbeing page: tick the questions in YES, or
    "None of these"."""
    while "/sections/" in page.url:
        assert_accessible(page)
        ticked = False
        for checkbox in page.locator("input[name='applies']").all():
            if checkbox.get_attribute("value") in YES:
                checkbox.check()
                ticked = True
        if not ticked:
            page.get_by_label("None of these", exact=True).check()
        page.get_by_role("button", name="Save and continue").click()


def test_a_worker_completes_the_questionnaire_and_the_hub_sees_three_referrals(
    browser, live_server, demo_hub
):
    worker_context = browser.new_context(viewport={"width": 390, "height": 844})
    page = worker_context.new_page()
    page.set_default_timeout(15_000)
    sign_in_on_the_page(page, live_server, demo_hub["frontline"])

    expect(page.get_by_role("heading", level=1)).to_contain_text("Safe and Independent Living")
    assert_accessible(page)
    page.get_by_role("button", name="Start").click()

    # Client details, first with a phone number that is not a UK number.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Client details")
    fill_client_details(page)
    page.get_by_label("Lambeth", exact=True).check()
    page.get_by_label("Phone number", exact=True).fill("12345")
    page.get_by_label("Phone call", exact=True).check()
    page.get_by_role("button", name="Save and continue").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Enter a UK phone number")
    expect(page).to_have_title(re.compile(r"^Error: "))
    assert_accessible(page)
    # Nothing typed is lost.
    expect(page.get_by_label("First name", exact=True)).to_have_value("Edna")
    expect(page.get_by_label("Last name", exact=True)).to_have_value("Clarke")
    expect(page.get_by_label("Year", exact=True)).to_have_value("1941")
    expect(page.get_by_label("Address", exact=True)).to_have_value("12 Acre Lane\nLondon")
    expect(page.get_by_label("Postcode", exact=True)).to_have_value("SW2 5SG")
    expect(page.get_by_label("Lambeth", exact=True)).to_be_checked()
    expect(page.get_by_label("Phone call", exact=True)).to_be_checked()
    expect(page.get_by_label("Phone number", exact=True)).to_have_value("12345")
    # The error summary link takes the keyboard to the field.
    summary.get_by_role("link", name=re.compile("UK phone number")).click()
    expect(page.get_by_label("Phone number", exact=True)).to_be_focused()

    page.get_by_label("Phone number", exact=True).fill("020 7946 0123")
    page.get_by_role("button", name="Save and continue").click()

    answer_sections(page)

    # The optional wellbeing page: the client would rather not answer.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Wellbeing")
    assert_accessible(page)
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("onsent")
    assert_accessible(page)
    for agency in (
        "London Fire Brigade",
        "NHS Falls Prevention Service",
        "Age UK Befriending",
    ):
        expect(page.locator("main")).to_contain_text(agency)
    page.get_by_role("button", name=re.compile("The client agrees")).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Check")
    assert_accessible(page)
    page.get_by_role("button", name="Submit questionnaire").click()

    panel = page.locator(".govuk-panel")
    expect(panel).to_contain_text("SL-")
    reference = re.search(r"SL-[0-9A-Z]{4}-[0-9A-Z]{4}", panel.inner_text()).group(0)
    expect(page.locator("main")).to_contain_text("Age UK Befriending")
    assert_accessible(page)
    worker_context.close()

    hub_context = browser.new_context(viewport={"width": 1280, "height": 900})
    hub_page = hub_context.new_page()
    hub_page.set_default_timeout(15_000)
    sign_in_on_the_page(hub_page, live_server, demo_hub["hub"])
    expect(hub_page).to_have_url(re.compile(r"/hub/referrals"))
    group = hub_page.locator("main tbody", has_text=f"Questionnaire {reference}")
    expect(group.locator("td", has_text=f"{reference}-")).to_have_count(3)  # one per referral
    for agency in ("London Fire Brigade", "NHS Falls Prevention Service", "Age UK Befriending"):
        expect(hub_page.locator("main")).to_contain_text(agency)
    assert_accessible(hub_page)

    hub_page.get_by_role("link", name=f"{reference}-01").click()
    expect(hub_page.locator("main")).to_contain_text("Edna Clarke")
    assert_accessible(hub_page)
    hub_context.close()
