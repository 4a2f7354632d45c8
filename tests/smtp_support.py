"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for email tests.

The ``smtp_server`` fixture (``tests/conftest.py`` makes it every test's) starts it and points
the app's SMTP settings at it; ``stop()`` and ``start()`` take it down and bring it back on the
same port, to test retries.
"""

from __future__ import annotations

import email
import socket
from email.message import EmailMessage
from email.policy import default

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """Collects every message the server accepts. ``refuse`` makes it refuse recipients."""

    def __init__(self):
        self.envelopes = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    # No properties here: aiosmtpd reads every attribute of its handler (inspect.getmembers)
    # on each connection, so a property parsing every message would slow each connect.


class SmtpServer:
    def __init__(self):
        self.port = free_port()
        self.mailbox = Mailbox()
        self.controller = None

    def start(self):
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        return [email.message_from_bytes(e.content, policy=default) for e in self.mailbox.envelopes]


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


@pytest.fixture(name="smtp_server")
def smtp_server_fixture(app):
    server = SmtpServer()
    server.start()
    app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=server.port,
        SMTP_STARTTLS=False,
        SMTP_USERNAME=None,
        SMTP_PASSWORD=None,
        MAIL_FROM="sail-hub@hub.test",
    )
    yield server
    server.stop()
