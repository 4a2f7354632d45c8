"""In a real browser, at 320 px and 1280 px: an admin filters the audit trail by keyboard, and
an invited user sets a password by the emailed link (a real form post, CSRF on); axe-core
checks both pages against WCAG 2.2 AA, and neither scrolls sideways on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from hub import audit
from hub.auth import account_life, accounts
from hub.clock import utcnow
from hub.models import OutboxMessage
from notifications import sealed
from tests.factories import user
from tests.support import assert_accessible, sign_in_with_the_keyboard

pytestmark = pytest.mark.browser


def no_sideways_scroll(page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0


@pytest.mark.parametrize("width", [320, 1280])
def test_an_admin_filters_the_audit_trail(browser, live_server, db, demo_hub, width):
    now = utcnow()
    audit.record(None, "user_deactivated", now, subject="someone.with.a.long.email@example.org")
    audit.record(user("hub"), "viewed_person", now, person_id=7, subject="SAIL-7K3Q-PX-01")
    db.session.commit()
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in_with_the_keyboard(page, live_server, demo_hub["admin"])
        if width < 641:
            page.get_by_role("button", name="Menu").click()
        page.get_by_role("link", name="Admin", exact=True).click()
        page.locator("main").get_by_role("link", name="Audit trail", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")
        main = page.locator("main")
        expect(main).to_contain_text("Showing 1 to 2 of 2 events")
        no_sideways_scroll(page)
        assert_accessible(page)
        page.get_by_label("Action").select_option("viewed_person")
        page.get_by_label("Person").fill("sail-7k3q-px-01")
        page.keyboard.press("Enter")
        expect(main).to_contain_text("Showing 1 to 1 of 1 events")
        expect(main).to_contain_text("hub@demo.sail.example")
    finally:
        context.close()


@pytest.mark.parametrize("width", [320, 1280])
def test_an_invited_user_sets_a_password_by_the_link(browser, live_server, db, demo_hub, width):
    organisation = accounts.find_organisation("camberwell-nurses") or accounts.ensure_organisation(
        "Camberwell Nurses", "referrer", utcnow()
    )
    account_life.invite("nia@example.org", "frontline", organisation, None, utcnow())
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "account_invite"))
    link = re.search(r"http://\S+/account/set-password/\S+", sealed.revealed(message).body)
    path = link.group(0).split("/account/", 1)[1]
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server}/account/{path}")
        expect(page.get_by_role("heading", level=1)).to_have_text("Set your password to start")
        no_sideways_scroll(page)
        assert_accessible(page)
        page.get_by_label("New password", exact=True).fill("a long new password")
        page.get_by_label("Confirm the new password").fill("a long new password")
        page.keyboard.press("Enter")
        expect(page.locator("main")).to_contain_text("Your password is set")
        page.goto(f"{live_server}/account/{path}")
        expect(page.locator("main")).to_contain_text("already been used")
        assert_accessible(page)
    finally:
        context.close()
