"""Messages per second through ``dispatch_due``: half SMS (Twilio's client against the fake
Twilio API on loopback), half email (aiosmtpd on loopback), beside the ceiling of the same
sends with no database: the hub's own channels (Twilio's client, one SMTP connection) sending
the very same messages in a loop, so the ratio is what the outbox and dispatch cost.

    .venv/bin/python bench/dispatch.py [--messages 10000] [--batch 100]

Without DATABASE_URL it uses a new SQLite file in a temporary folder. Target ratio: 0.80.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402

from hub import create_app  # noqa: E402
from hub.extensions import db  # noqa: E402
from hub.models import OutboxMessage  # noqa: E402
from notifications import channels, dispatch, outbox  # noqa: E402
from tests.fake_twilio import FakeTwilio  # noqa: E402
from tests.smtp_support import SmtpServer  # noqa: E402

BODY = "SAIL hub: referral R-000042 was forwarded to you. Open it at http://hub.test/r/42"


def message(number: int, sms: bool) -> OutboxMessage:
    """The bench's ``number``-th message, as queued (and, unsaved, as the ceiling sends it)."""
    return OutboxMessage(
        id=number,
        key=f"bench:{number}",
        kind="referral_forwarded",
        channel="sms" if sms else "email",
        recipient=f"+447911{number % 1000000:06d}" if sms else f"p{number}@example.org",
        subject=None if sms else "Referral forwarded",
        body=BODY,
    )


def channel_ceiling(make_channel, sms: bool, count: int) -> float:
    """Messages per second from one of the hub's channels sending in a loop, no database."""
    channel = make_channel()
    try:
        started = time.perf_counter()
        for number in range(count):
            channel.send(message(number, sms))
        return count / (time.perf_counter() - started)
    finally:
        channel.close()


class Ceiling:
    """Messages per second of ``rate(count)``: the first half of ``count`` now, the rest at
    ``finish()``; the rate of the whole."""

    def __init__(self, rate, count: int):
        self.rate, self.count, self.first = rate, count, count // 2
        self.seconds = self.first / rate(self.first) if self.first else 0.0

    def finish(self) -> float:
        rest = self.count - self.first
        self.seconds += rest / self.rate(rest) if rest else 0.0
        return self.count / self.seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    sms_count = args.messages // 2
    email_count = args.messages - sms_count
    folder = tempfile.mkdtemp()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/bench.db"
    fake = FakeTwilio().start()
    smtp = SmtpServer()
    smtp.start()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "HUB_BASE_URL": "http://hub.test",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": smtp.port,
            "SMTP_STARTTLS": False,
            "MAIL_FROM": "hub@hub.test",
            **fake.config(),
        },
        instance_path=folder,
    )
    # Each ceiling is measured half before the dispatch run and half after, so a machine that
    # gets busier or quieter meanwhile weighs on both sides of the ratio alike.
    config = app.config
    sms_ceiling = Ceiling(
        lambda count: channel_ceiling(lambda: channels.TwilioSms(config), True, count), sms_count
    )
    email_ceiling = Ceiling(
        lambda count: channel_ceiling(lambda: channels.SmtpEmail(config), False, count),
        email_count,
    )
    now = datetime(2026, 3, 2, 9, 0)
    run = f"{time.time_ns()}"
    with app.app_context():
        upgrade()
        for number in range(args.messages):
            sample = message(number, sms=number < sms_count)
            outbox.queue(
                key=f"bench:{run}:{number}",
                kind=sample.kind,
                channel=sample.channel,
                recipient=sample.recipient,
                subject=sample.subject,
                body=sample.body,
                now=now,
            )
        db.session.commit()
        started = time.perf_counter()
        totals = {"sent": 0, "to retry": 0, "failed": 0}
        while True:
            summary = dispatch.dispatch_due(now, limit=args.batch)
            if not any(summary.values()):
                break
            for key, value in summary.items():
                totals[key] += value
        elapsed = time.perf_counter() - started
    sms_rate, email_rate = sms_ceiling.finish(), email_ceiling.finish()
    fake.stop()
    smtp.stop()
    rate = args.messages / elapsed
    both = args.messages / (sms_count / sms_rate + email_count / email_rate)
    print(
        f"dispatch: {rate:.0f} messages/s ({totals['sent']} sent, {totals['to retry']} to retry,"
        f" {totals['failed']} failed; {sms_count} SMS, {email_count} email)"
    )
    print(f"ceiling: {sms_rate:.0f} SMS/s, {email_rate:.0f} email/s, {both:.0f} messages/s mixed")
    print(f"dispatch / ceiling ratio: {rate / both:.2f} (target 0.80)")


if __name__ == "__main__":
    main()
