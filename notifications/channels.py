"""How a message leaves the hub. Every channel has one method, ``send(message) -> provider_id``,
and fails with ``RetryableError`` (try again later: the server is down, busy or timed out) or
``PermanentError`` (this message will never go: the address is refused).

Email goes over SMTP when ``SMTP_HOST`` is set; otherwise to the log channel, which writes the
message to the log, so a development hub needs no mail server.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app

from hub.models import OutboxMessage

log = logging.getLogger(__name__)
SMTP_TIMEOUT_SECONDS = 30


class ChannelError(Exception):
    pass


class RetryableError(ChannelError):
    """Worth trying again later."""


class PermanentError(ChannelError):
    """Trying again will not help."""


class Channel:
    name = "channel"

    def send(self, message: OutboxMessage) -> str:
        raise NotImplementedError


class SmtpEmail(Channel):
    """Email over SMTP: text and HTML in one message, STARTTLS and login when configured. The
    Message-ID we give the message is the provider id."""

    name = "smtp"

    def __init__(self, config):
        self.host = config["SMTP_HOST"]
        self.port = config["SMTP_PORT"]
        self.username = config.get("SMTP_USERNAME")
        self.password = config.get("SMTP_PASSWORD")
        self.starttls = config["SMTP_STARTTLS"]
        self.sender = config["MAIL_FROM"]

    def build(self, message: OutboxMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject or ""
        email["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        email.set_content(message.body)
        if message.html:
            email.add_alternative(message.html, subtype="html")
        return email

    def send(self, message: OutboxMessage) -> str:
        email = self.build(message)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            text = f"Recipient refused: {error.recipients!r}"
            if all(400 <= code < 500 for code in codes):
                raise RetryableError(text) from error
            raise PermanentError(text) from error
        except smtplib.SMTPDataError as error:
            # The server refused this message: 5xx will refuse it again, 4xx may not.
            text = f"SMTP {error.smtp_code}: {error.smtp_error!r}"
            if 500 <= error.smtp_code < 600:
                raise PermanentError(text) from error
            raise RetryableError(text) from error
        except (OSError, smtplib.SMTPException) as error:
            # Down, busy, timed out, or refusing our login or sender: fixable, so try later.
            raise RetryableError(f"{type(error).__name__}: {error}") from error
        return email["Message-ID"]


class LogChannel(Channel):
    """For development without credentials: the message goes to the log, nowhere else."""

    name = "log"

    def send(self, message: OutboxMessage) -> str:
        log.info(
            "%s message %s to %s: %s\n%s",
            message.channel,
            message.kind,
            message.recipient,
            message.subject or "",
            message.body,
        )
        return f"log-{message.id}"


def for_message(message: OutboxMessage) -> Channel:
    """The channel that sends this message with the hub's settings."""
    config = current_app.config
    if message.channel == "email" and config.get("SMTP_HOST"):
        return SmtpEmail(config)
    if message.channel == "email":
        return LogChannel()
    raise PermanentError(f"No channel sends {message.channel!r} messages")
