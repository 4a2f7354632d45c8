"""Hub staff's page of channel health and failed messages (``/hub/messages``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hub.clock import utcnow
from hub.models import OutboxMessage
from notifications import channel_health, outbox
from tests.support import page_text


@pytest.fixture
def failed(db, demo_hub):
    """A partner email refused by its server an hour ago, and the email channel paused."""
    now = utcnow()
    message = outbox.queue(
        key="test:failed",
        kind="partner_chase",
        channel="email",
        recipient="referrals@partner.example.org",
        subject="Reminder",
        body="Reminder",
        now=now - timedelta(hours=2),
    )
    error = "Recipient refused: {'referrals@partner.example.org': (550, b'No such mailbox')}"
    outbox.mark_failed(message, error, now - timedelta(hours=1))
    channel_health.record_sent("sms", now - timedelta(minutes=3))
    channel_health.record_failure("email", "TimeoutError: timed out", now, down=True)
    db.session.commit()
    return message


@pytest.mark.parametrize("role", ["hub", "admin"])
def test_hub_staff_and_admins_see_channel_health_and_failed_messages(
    client, sign_in_as, failed, role
):
    sign_in_as(role)
    response = client.get("/hub/messages")
    assert response.status_code == 200
    text = page_text(response)
    assert "Paused until" in text and "TimeoutError: timed out" in text
    assert "Reminder to contact the client (email)" in text
    assert "550" in text
    assert "referrals@partner.example.org" not in response.get_data(as_text=True)
    assert 'href="/hub/messages"' in response.get_data(as_text=True)  # in the navigation


@pytest.mark.parametrize("role", ["partner", "frontline", "manager"])
def test_other_roles_may_not(client, sign_in_as, failed, role):
    sign_in_as(role)
    assert client.get("/hub/messages").status_code == 403
    assert client.post(f"/hub/messages/{failed.id}/try-again").status_code == 403
    assert failed.status == "failed"


def test_anonymous_is_sent_to_sign_in(client, failed):
    response = client.get("/hub/messages")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post(f"/hub/messages/{failed.id}/try-again").status_code == 302


def test_try_again_puts_a_failed_message_back_to_pending(client, sign_in_as, db, failed):
    sign_in_as("hub")
    response = client.post(f"/hub/messages/{failed.id}/try-again", follow_redirects=True)
    assert response.status_code == 200
    assert "will be sent again" in page_text(response)
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.id == failed.id))
    db.session.refresh(message)
    assert (message.status, message.attempts, message.failed_at) == ("pending", 0, None)
    again = client.post(f"/hub/messages/{failed.id}/try-again", follow_redirects=True)
    assert "not failed any more" in page_text(again)


def test_an_unknown_page_is_not_found(client, sign_in_as, failed):
    sign_in_as("hub")
    assert client.get("/hub/messages?page=9").status_code == 404
