"""SMS through Twilio's own client, against a fake Twilio Messages API on loopback: sent once
with the message SID recorded, retried with backoff through an outage, failed at once for a
number Twilio refuses, and written to the log without credentials."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from hub.models import OutboxMessage
from notifications import channels, dispatch, outbox
from tests.fake_twilio import FROM_NUMBER
from tests.smtp_support import free_port

BODY = "SAIL hub: referral R-000042 was forwarded to you. Open it at http://hub.test/r/42"


def queue_sms(db, now, number="+447700900123", key="sms:1") -> OutboxMessage:
    message = outbox.queue(
        key=key,
        kind="referral_forwarded",
        channel="sms",
        recipient=number,
        subject=None,
        body=BODY,
        now=now,
    )
    db.session.commit()
    return message


def reloaded(db, message) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message.id)


def test_an_sms_reaches_twilio_once_and_its_sid_is_recorded(db, now, fake_twilio):
    message = queue_sms(db, now)
    assert dispatch.dispatch_due(now) == {"sent": 1, "to retry": 0, "failed": 0}
    (sms,) = fake_twilio.messages
    assert sms.to == "+447700900123"
    assert sms.from_ == FROM_NUMBER
    assert sms.body == BODY
    assert sms.status_callback == "http://hub.test/webhooks/twilio/status"
    sent = reloaded(db, message)
    assert sent.status == "sent" and sent.sent_at == now and sent.attempts == 1
    assert sent.provider_id == sms.sid and sent.provider_id.startswith("SM")
    assert dispatch.dispatch_due(now + timedelta(hours=1))["sent"] == 0
    assert len(fake_twilio.messages) == 1


def test_an_outage_is_retried_with_backoff_until_it_passes_once(db, now, fake_twilio):
    message = queue_sms(db, now)
    fake_twilio.outage(2)
    assert dispatch.dispatch_due(now) == {"sent": 0, "to retry": 1, "failed": 0}
    waiting = reloaded(db, message)
    assert waiting.status == "pending" and waiting.next_attempt_at == now + timedelta(minutes=1)
    assert "503" in waiting.last_error

    assert dispatch.dispatch_due(now + timedelta(seconds=30))["to retry"] == 0  # not due yet
    assert dispatch.dispatch_due(now + timedelta(minutes=1))["to retry"] == 1
    waiting = reloaded(db, message)
    assert waiting.next_attempt_at == now + timedelta(minutes=6)

    assert dispatch.dispatch_due(now + timedelta(minutes=6))["sent"] == 1
    sent = reloaded(db, message)
    assert sent.status == "sent" and sent.attempts == 3 and sent.last_error is None
    assert [sms.sid for sms in fake_twilio.messages] == [sent.provider_id]
    assert fake_twilio.requests == 3


def test_a_number_twilio_refuses_fails_at_once(db, now, fake_twilio):
    message = queue_sms(db, now, number="+447700900999")
    fake_twilio.invalid.add("+447700900999")
    assert dispatch.dispatch_due(now) == {"sent": 0, "to retry": 0, "failed": 1}
    failed = reloaded(db, message)
    assert failed.status == "failed" and failed.attempts == 1
    assert "21211" in failed.last_error
    assert fake_twilio.messages == []


def test_twilio_out_of_reach_is_retried(app, db, now):
    app.config.update(
        TWILIO_ACCOUNT_SID="AC" + "1" * 32,
        TWILIO_AUTH_TOKEN="token",
        TWILIO_FROM_NUMBER=FROM_NUMBER,
        TWILIO_API_BASE_URL=f"http://127.0.0.1:{free_port()}",  # nothing listens there
    )
    message = queue_sms(db, now)
    assert dispatch.dispatch_due(now) == {"sent": 0, "to retry": 1, "failed": 0}
    assert "ConnectionError" in reloaded(db, message).last_error


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, 21211, channels.PermanentError),
        (400, 21610, channels.PermanentError),  # the number sent STOP
        (400, 21614, channels.PermanentError),  # not a mobile number
        (404, 20404, channels.PermanentError),
        # Twilio refusing or failing us as a whole: the channel is down (a RetryableError).
        (401, 20003, channels.ChannelDown),  # our credentials: someone can fix them
        (429, 20429, channels.ChannelDown),
        (500, 20500, channels.ChannelDown),
        (503, 20503, channels.ChannelDown),
        (409, 20409, channels.RetryableError),  # this message, maybe not next time
    ],
)
def test_twilio_errors_are_sorted_into_permanent_and_retryable(status, code, kind):
    from twilio.base.exceptions import TwilioRestException

    sms = channels.TwilioSms(
        {
            "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
            "TWILIO_AUTH_TOKEN": "token",
            "TWILIO_FROM_NUMBER": FROM_NUMBER,
            "HUB_BASE_URL": "http://hub.test",
        }
    )

    def refuse(**kwargs):
        raise TwilioRestException(status, "https://api.twilio.com/...", "Refused", code)

    sms.client.messages.create = refuse
    with pytest.raises(kind, match=str(code)):
        sms.send(OutboxMessage(id=1, recipient="+447700900123", body=BODY))


def test_without_credentials_sms_goes_to_the_log(app, db, now, caplog, monkeypatch):
    app.config.update(TWILIO_ACCOUNT_SID=None, TWILIO_AUTH_TOKEN=None, TWILIO_FROM_NUMBER=None)
    monkeypatch.setattr(logging.getLogger("notifications.channels"), "disabled", False)
    message = queue_sms(db, now)
    with caplog.at_level(logging.INFO, logger="notifications.channels"):
        assert dispatch.dispatch_due(now)["sent"] == 1
    sent = reloaded(db, message)
    assert sent.provider_id == f"log-{message.id}"
    assert "R-000042" in caplog.text


def test_one_batch_sends_email_and_sms_each_by_its_channel(db, now, fake_twilio, smtp_server):
    for number in range(3):
        queue_sms(db, now, number=f"+44770090012{number}", key=f"sms:{number}")
        outbox.queue(
            key=f"email:{number}",
            kind="referral_forwarded",
            channel="email",
            recipient=f"partner{number}@example.org",
            subject="Referral forwarded",
            body=BODY,
            now=now,
        )
    db.session.commit()
    assert dispatch.dispatch_due(now) == {"sent": 6, "to retry": 0, "failed": 0}
    assert sorted(sms.to for sms in fake_twilio.messages) == [
        "+447700900120",
        "+447700900121",
        "+447700900122",
    ]
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "partner0@example.org",
        "partner1@example.org",
        "partner2@example.org",
    ]


def test_a_refused_email_does_not_spoil_the_batch_connection(db, now, smtp_server):
    smtp_server.mailbox.refuse.add("gone@example.org")
    for number, address in enumerate(["a@example.org", "gone@example.org", "b@example.org"]):
        outbox.queue(
            key=f"email:{number}",
            kind="referral_forwarded",
            channel="email",
            recipient=address,
            subject="Referral forwarded",
            body=BODY,
            now=now,
        )
    db.session.commit()
    assert dispatch.dispatch_due(now) == {"sent": 2, "to retry": 0, "failed": 1}
    assert sorted(m["To"] for m in smtp_server.messages) == ["a@example.org", "b@example.org"]
