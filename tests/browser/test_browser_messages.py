"""In a real browser on a phone-sized screen: an admin reaches the message texts and the
development mailbox from the navigation and the admin index with the keyboard, and hub staff
read a referral's messages on its page; axe-core checks each page against WCAG 2.2 AA."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from hub.clock import utcnow
from hub.models import OutboxMessage
from hub.referrals import lifecycle
from notifications import dispatch, outbox
from tests.factories import submit, user
from tests.support import assert_accessible, sign_in_with_the_keyboard

pytestmark = pytest.mark.browser


def assert_fits_the_screen(page) -> None:
    """Nothing, not even a long line of a message, makes the page scroll sideways."""
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, page.url


def open_from_navigation(page, name: str) -> None:
    """Open the phone's navigation menu, follow it to the admin index and from there to a page,
    with the keyboard only."""
    menu = page.get_by_role("button", name="Menu")
    menu.focus()
    page.keyboard.press("Enter")
    admin = page.get_by_role("navigation", name="Menu").get_by_role("link", name="Admin")
    admin.focus()
    expect(admin).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Administration")
    link = page.locator("main").get_by_role("link", name=name, exact=True)
    link.focus()
    expect(link).to_be_focused()
    page.keyboard.press("Enter")


@pytest.fixture
def sent_to_the_log(app, db, demo_hub):
    """A forwarded referral whose partner email went to the log channel (no credentials)."""
    app.config.update(
        SMTP_HOST=None, TWILIO_ACCOUNT_SID=None, TWILIO_AUTH_TOKEN=None, TWILIO_FROM_NUMBER=None
    )
    past = utcnow() - timedelta(hours=2)
    referral = submit(user("frontline"), past, yes=("smoke_alarms",)).referrals[0]
    lifecycle.forward_referral(referral, user("hub"), past)
    db.session.commit()
    assert dispatch.dispatch_due(past)["sent"] >= 1
    return referral


def test_an_admin_reads_the_message_texts_and_the_mailbox(
    page, live_server, demo_hub, sent_to_the_log
):
    sign_in_with_the_keyboard(page, live_server, demo_hub["admin"])

    open_from_navigation(page, "Message texts")
    expect(page.get_by_role("heading", level=1)).to_have_text("Message texts")
    main = page.locator("main")
    expect(main).to_contain_text("samples with made-up references")
    expect(main.locator("pre").first).to_be_visible()
    frame = main.locator("iframe").first
    expect(frame).to_have_attribute("sandbox", "")
    expect(page.frame_locator("main iframe").first.locator("body")).to_contain_text(
        "SAIL referral hub"
    )
    assert_fits_the_screen(page)
    assert_accessible(page)

    open_from_navigation(page, "Mailbox")
    expect(page.get_by_role("heading", level=1)).to_have_text("Development mailbox")
    expect(main).to_contain_text(f"New SAIL referral {sent_to_the_log.reference}")
    expect(main).to_contain_text("referrals@lfb-home-fire-safety.example.org")
    expect(main).to_contain_text("New referral for the partner")
    assert_fits_the_screen(page)
    assert_accessible(page)


def test_hub_staff_see_a_referrals_messages(page, live_server, db, demo_hub, sent_to_the_log):
    referral = sent_to_the_log
    sms = outbox.queue(
        key="browser-sms",
        kind="referral_forwarded",
        channel="sms",
        recipient="+447700900999",
        subject=None,
        body="SAIL hub: a new referral",
        referral_id=referral.id,
        now=utcnow() - timedelta(minutes=30),
    )
    db.session.flush()
    failed = db.session.get(OutboxMessage, sms.id)
    failed.status, failed.attempts = "failed", 1
    failed.last_error = "Twilio error 30003: undelivered"
    db.session.commit()

    sign_in_with_the_keyboard(page, live_server, demo_hub["hub"])
    page.goto(f"{live_server}/hub/referrals/{referral.id}")
    expect(page.get_by_role("heading", name="Messages", exact=True)).to_be_visible()
    messages = page.get_by_role("region", name="Messages, oldest first")
    email = messages.locator("tbody tr", has_text="referrals@lfb-home-fire-safety.example.org")
    expect(email).to_contain_text("Partner agency by email")
    expect(email.locator(".govuk-tag")).to_have_text("Sent")
    expect(messages.locator("tbody tr").last).to_contain_text("Twilio error 30003: undelivered")
    expect(messages.locator("tbody tr").last.locator(".govuk-tag")).to_have_text("Failed")
    messages.focus()
    expect(messages).to_be_focused()
    # Three columns fit a phone: the table needs no sideways scrolling of its own.
    assert messages.evaluate("region => region.scrollWidth - region.clientWidth") <= 0
    assert_accessible(page)
