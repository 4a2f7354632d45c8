"""In a real browser, at 320 px and 1280 px, by keyboard: an admin narrows the development
mailbox to the messages to one recipient, opens a message's folded text, and pages through;
axe-core finds nothing wrong and the page never scrolls sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from hub.clock import utcnow
from notifications import dispatch, outbox
from tests.support import assert_accessible, sign_in_with_the_keyboard

pytestmark = pytest.mark.browser


def no_sideways_scroll(page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, page.url


@pytest.fixture
def mailbox(app, db, demo_hub):
    """30 emails to one partner's long address and one SMS, all taken by the log channel."""
    app.config.update(
        SMTP_HOST=None, TWILIO_ACCOUNT_SID=None, TWILIO_AUTH_TOKEN=None, TWILIO_FROM_NUMBER=None
    )
    now = utcnow()
    for number in range(30):
        outbox.queue(
            key=f"browser-mailbox-{number}",
            kind="referral_forwarded",
            channel="email",
            recipient="a.very.long.duty.mailbox.address@partner-agency.example.org",
            subject=f"New SAIL referral SL-TEST-{number:04d}-01",
            body="A new referral is waiting for you.\nhttps://hub.example.org/partner/" + "x" * 80,
            now=now,
        )
    outbox.queue(
        key="browser-mailbox-sms",
        kind="referral_forwarded",
        channel="sms",
        recipient="+447700900123",
        subject=None,
        body="SAIL hub: a new referral for you",
        now=now,
    )
    db.session.commit()
    assert dispatch.dispatch_due(now)["sent"] == 31


@pytest.mark.parametrize("width", [320, 1280])
def test_an_admin_filters_the_mailbox_and_reads_a_message(
    browser, live_server, demo_hub, mailbox, width
):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in_with_the_keyboard(page, live_server, demo_hub["admin"])
        page.goto(f"{live_server}/admin/mailbox")
        main = page.locator("main")
        expect(main).to_contain_text("Showing 1 to 25 of 31 messages")
        # Each message's text is folded away until asked for.
        expect(main.locator("pre").first).to_be_hidden()
        no_sideways_scroll(page)
        assert_accessible(page)

        page.get_by_label("Channel").select_option("sms")
        page.get_by_label("Recipient").fill("7700 900")  # no match: the number has no spaces
        page.get_by_label("Recipient").press("Enter")
        expect(main).to_contain_text("No message in the mailbox matches these filters")
        expect(page.get_by_label("Recipient")).to_have_value("7700 900")

        page.get_by_label("Recipient").fill("+4477009")
        page.get_by_label("Recipient").press("Enter")
        expect(main).to_contain_text("Showing 1 to 1 of 1 messages")
        summary = main.locator("summary", has_text="Message text")
        summary.focus()
        expect(summary).to_be_focused()
        page.keyboard.press("Enter")
        expect(main.locator("pre")).to_have_text("SAIL hub: a new referral for you")
        expect(main.locator("pre")).to_be_visible()

        page.get_by_label("Channel").select_option("email")
        page.get_by_label("Recipient").fill("DUTY.mailbox")
        page.get_by_role("button", name="Apply filters").click()
        expect(main).to_contain_text("Showing 1 to 25 of 30 messages")
        page.get_by_role("navigation", name="Pages of messages").first.get_by_role(
            "link", name="Next"
        ).click()
        expect(main).to_contain_text("Showing 26 to 30 of 30 messages")
        expect(page.get_by_label("Recipient")).to_have_value("DUTY.mailbox")
        main.locator("summary", has_text="Message text").first.click()
        expect(main.locator("pre").first).to_be_visible()
        no_sideways_scroll(page)
        assert_accessible(page)
    finally:
        context.close()
