"""A channel that fails as a whole (a mail server that accepts and never answers, Twilio
failing) costs one timeout per try, not one per message, and holds up no other channel."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from hub.models import ChannelHealth, OutboxMessage
from notifications import channel_health, dispatch, outbox

pytestmark = pytest.mark.both_databases  # the claims and put-backs differ


class SilentServer:
    """Accepts connections on loopback and never says a word (an SMTP server that hangs)."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(50)
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.accepted.append(connection)  # kept open, never read or answered

    def close(self):
        self.listener.close()
        for connection in self.accepted:
            connection.close()


@pytest.fixture
def silent_smtp(app):
    server = SilentServer()
    app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=server.port,
        SMTP_STARTTLS=False,
        SMTP_USERNAME=None,
        MAIL_FROM="sail-hub@hub.test",
        SMTP_TIMEOUT_SECONDS=1,
    )
    yield server
    server.close()


def queue(db, now, channel: str, count: int) -> None:
    for number in range(count):
        outbox.queue(
            key=f"{channel}:{number}",
            kind="referral_forwarded",
            channel=channel,
            recipient=f"p{number}@example.org" if channel == "email" else f"+44791112340{number}",
            subject="New referral" if channel == "email" else None,
            body=f"Referral {number}",
            now=now,
        )
    db.session.commit()


def rows(db, **filters) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).filter_by(**filters)))


def test_a_silent_mail_server_costs_one_timeout_and_holds_up_no_sms(
    db, now, silent_smtp, fake_twilio
):
    queue(db, now, "email", 10)
    queue(db, now, "sms", 2)
    summary = dispatch.dispatch_due(now)
    assert summary == {"sent": 2, "to retry": 1, "failed": 0, "not tried": 9}
    assert len(silent_smtp.accepted) == 1  # one connection, one timeout
    assert len(fake_twilio.messages) == 2
    emails = sorted(rows(db, channel="email"), key=lambda m: m.id)
    assert [m.attempts for m in emails] == [1] + [0] * 9
    assert {m.status for m in emails} == {"pending"}
    assert "timed out" in emails[0].last_error
    assert {m.next_attempt_at for m in emails} == {now + timedelta(minutes=1)}

    # Until its pause ends the email channel is not tried at all; SMS goes on.
    assert dispatch.dispatch_email(now + timedelta(seconds=30)) == {
        "sent": 0, "to retry": 0, "failed": 0, "channels paused": 1
    }  # fmt: skip
    assert len(silent_smtp.accepted) == 1
    health = db.session.get(ChannelHealth, "email")
    assert health.paused_until == now + timedelta(minutes=1) and health.down_count == 1
    assert db.session.get(ChannelHealth, "sms").last_sent_at == now


def test_the_scheduler_dispatches_email_and_sms_as_separate_jobs(db, now, silent_smtp, fake_twilio):
    queue(db, now, "email", 3)
    queue(db, now, "sms", 2)
    assert dispatch.dispatch_sms(now) == {"sent": 2, "to retry": 0, "failed": 0}
    assert {m.status for m in rows(db, channel="email")} == {"pending"}
    assert len(silent_smtp.accepted) == 0
    assert dispatch.dispatch_email(now)["not tried"] == 2


def test_twilio_failing_as_a_whole_pauses_sms_only(db, now, smtp_server, fake_twilio):
    queue(db, now, "sms", 4)
    queue(db, now, "email", 2)
    fake_twilio.outage(1)
    summary = dispatch.dispatch_due(now)
    assert summary == {"sent": 2, "to retry": 1, "failed": 0, "not tried": 3}
    assert fake_twilio.requests == 1
    assert channel_health.paused_until("sms", now) == now + timedelta(minutes=1)
    assert channel_health.working("email") and not channel_health.working("sms")
    later = now + timedelta(minutes=1)
    assert dispatch.dispatch_due(later)["sent"] == 4
    assert channel_health.working("sms")
    assert sorted(m.attempts for m in rows(db, channel="sms")) == [1, 1, 1, 2]


def test_a_refused_recipient_counts_against_that_message_only(db, now, smtp_server):
    queue(db, now, "email", 3)
    smtp_server.mailbox.refuse.add("p0@example.org")
    assert dispatch.dispatch_due(now) == {"sent": 2, "to retry": 0, "failed": 1}
    assert channel_health.working("email")
    assert channel_health.paused_until("email", now) is None
