"""In a real browser, at 320 px and 1280 px: hub staff reach ``/hub/messages`` from the
navigation, read each channel's health and a failed message, and try it again with the
keyboard (a real form post, CSRF on); axe-core checks the page against WCAG 2.2 AA."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from hub.clock import utcnow
from hub.models import OutboxMessage
from notifications import channel_health, outbox
from tests.support import assert_accessible, sign_in_with_the_keyboard

pytestmark = pytest.mark.browser


@pytest.fixture
def failed_message(db, demo_hub):
    now = utcnow()
    message = outbox.queue(
        key="browser-failed",
        kind="partner_chase",
        channel="email",
        recipient="referrals@partner.example.org",
        subject="Reminder",
        body="Reminder",
        now=now - timedelta(hours=2),
    )
    outbox.mark_failed(message, "SMTP 554: b'Message refused as spam'", now - timedelta(hours=1))
    channel_health.record_failure("email", "TimeoutError: timed out", now, down=True)
    db.session.commit()
    return message


@pytest.mark.parametrize("width", [320, 1280])
def test_hub_staff_read_channel_health_and_try_a_failed_message_again(
    browser, live_server, db, demo_hub, failed_message, width
):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in_with_the_keyboard(page, live_server, demo_hub["hub"])
        if width < 641:
            page.get_by_role("button", name="Menu").click()
        page.get_by_role("link", name="Messages", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Messages")
        main = page.locator("main")
        expect(main).to_contain_text("Paused until")
        expect(main).to_contain_text("TimeoutError: timed out")
        expect(main).to_contain_text("Reminder to contact the client (email)")
        expect(main).not_to_contain_text("referrals@partner.example.org")
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        assert_accessible(page)

        button = main.get_by_role("button", name="Try again")
        button.focus()
        expect(button).to_be_focused()
        page.keyboard.press("Enter")
        expect(main).to_contain_text("will be sent again")
        expect(main).to_contain_text("No message has failed.")
    finally:
        context.close()
    db.session.expire_all()
    status = db.session.scalar(
        select(OutboxMessage.status).where(OutboxMessage.id == failed_message.id)
    )
    assert status == "pending"
