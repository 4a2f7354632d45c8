"""In a real browser, at 320 px and 1280 px, CSRF on: an admin goes from the navigation to the
admin index and the users, invites a hub officer with the keyboard; the invitation goes out
through the test SMTP server on loopback; the officer opens its link, sets a password and signs
in. axe-core checks every page against WCAG 2.2 AA, and none scrolls sideways."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from hub.clock import utcnow
from notifications import dispatch
from tests.smtp_support import text_of
from tests.support import assert_accessible, sign_in_with_the_keyboard

pytestmark = pytest.mark.browser

PASSWORD = "a long new password for kim"


def no_sideways_scroll(page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, page.url


def checked(page) -> None:
    no_sideways_scroll(page)
    assert_accessible(page)


@pytest.mark.parametrize("width", [320, 1280])
def test_an_admin_invites_a_hub_officer_who_sets_a_password_and_signs_in(
    browser, live_server, db, demo_hub, smtp_server, width
):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in_with_the_keyboard(page, live_server, demo_hub["admin"])
        if width < 641:
            page.get_by_role("button", name="Menu").click()
        page.get_by_role("link", name="Admin", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Administration")
        checked(page)
        page.locator("main").get_by_role("link", name="Users", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Users")
        checked(page)
        page.get_by_role("button", name="Invite a user").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Invite a user")

        # A mistake first: the GOV.UK error summary, and what was typed is still there.
        page.get_by_label("Email address").fill("kim.officer@example")
        page.get_by_label("Full name").fill("Kim Officer")
        page.get_by_label("Hub officer").check()
        page.get_by_label("Organisation").select_option("age-uk-lambeth-southwark")
        page.get_by_label("Full name").press("Enter")
        summary = page.locator(".govuk-error-summary")
        expect(summary).to_contain_text("Enter an email address in the correct format")
        expect(summary).to_be_focused()
        expect(page.get_by_label("Full name")).to_have_value("Kim Officer")
        expect(page.get_by_label("Hub officer")).to_be_checked()
        checked(page)

        email = page.get_by_label("Email address")
        email.fill("kim.officer@example.org")
        email.press("Enter")
        main = page.locator("main")
        expect(main).to_contain_text("kim.officer@example.org is invited")
        expect(main).to_contain_text("Invited a user")
        checked(page)

        assert dispatch.dispatch_due(utcnow())["sent"] == 1
        (invitation,) = smtp_server.messages
        assert invitation["To"] == "kim.officer@example.org"
        link = re.search(r"http://\S+(/account/set-password/\S+)", text_of(invitation)).group(1)

        officer = browser.new_context(viewport={"width": width, "height": 900})
        their_page = officer.new_page()
        their_page.set_default_timeout(15_000)
        try:
            their_page.goto(f"{live_server}{link}")
            expect(their_page.get_by_role("heading", level=1)).to_have_text(
                "Set your password to start"
            )
            checked(their_page)
            their_page.get_by_label("New password", exact=True).fill(PASSWORD)
            their_page.get_by_label("Confirm the new password").fill(PASSWORD)
            their_page.keyboard.press("Enter")
            expect(their_page.locator("main")).to_contain_text("Your password is set")
            their_page.get_by_label("Email address", exact=True).fill("kim.officer@example.org")
            their_page.get_by_label("Password", exact=True).fill(PASSWORD)
            their_page.keyboard.press("Enter")
            expect(their_page.get_by_text("Signed in as Kim Officer")).to_be_visible()
            checked(their_page)
        finally:
            officer.close()
    finally:
        context.close()


@pytest.mark.parametrize("width", [320, 1280])
def test_an_admin_changes_a_role_deactivates_and_renames_on_every_page(
    browser, live_server, db, demo_hub, width
):
    """Each page of the admin's work on accounts and organisations, by keyboard where it is
    natural: a user's page and its history, the role form, a confirmation, the organisations."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in_with_the_keyboard(page, live_server, demo_hub["admin"])
        page.goto(f"{live_server}/admin/users?q=frontline")
        page.get_by_role("link", name="Demo frontline user").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Demo frontline user")
        checked(page)
        page.get_by_role("link", name="Change role or organisation").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Change role or organisation")
        checked(page)
        page.get_by_label("Organisation").select_option("peckham-good-neighbours")
        page.get_by_role("button", name="Save changes").press("Enter")
        main = page.locator("main")
        expect(main).to_contain_text("is now a frontline worker of Peckham Good Neighbours")
        expect(main).to_contain_text(
            "Organisation: lambeth-adult-social-care to peckham-good-neighbours"
        )
        checked(page)

        page.get_by_role("link", name="Deactivate user").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Deactivate this user?")
        checked(page)
        page.get_by_role("button", name="Deactivate user").press("Enter")
        expect(main).to_contain_text("is deactivated")
        expect(main).to_contain_text("Deactivated: cannot sign in or use the API")

        page.goto(f"{live_server}/admin/organisations")
        expect(page.get_by_role("heading", level=1)).to_have_text("Organisations that refer")
        checked(page)
        page.get_by_role("link", name="Brixton Hill GP Practice").click()
        checked(page)
        name = page.get_by_label("New name")
        name.fill("")
        name.press("Enter")
        expect(page.locator(".govuk-error-summary")).to_contain_text(
            "Enter the organisation’s name"
        )
        checked(page)
        page.get_by_label("New name").fill("Brixton Hill Group Practice")
        page.get_by_label("New name").press("Enter")
        expect(main).to_contain_text("The organisation is renamed Brixton Hill Group Practice")
        expect(main).to_contain_text(
            "Name: Brixton Hill GP Practice to Brixton Hill Group Practice"
        )
        checked(page)
    finally:
        context.close()
