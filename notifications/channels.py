"""How a message leaves the hub. Every channel has one method, ``send(message) -> provider_id``,
and fails with ``RetryableError`` (try again later: the server is down, busy or timed out) or
``PermanentError`` (this message will never go: the address is refused). ``ChannelDown``, a
``RetryableError``, says the channel itself failed (no connection, a timeout, our login refused,
Twilio's API failing as a whole): no other message would go either, so dispatch stops trying
that channel until its next retry.

Email goes over SMTP when ``SMTP_HOST`` is set; SMS through Twilio's own client when
``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN`` and ``TWILIO_FROM_NUMBER`` are set. Otherwise a
message goes to the log channel, which writes it to the log, so a development hub needs neither
a mail server nor a Twilio account.

A dispatcher sends a batch through one ``Channels``: one SMTP connection and one Twilio client
(with its pool of HTTP connections) for the whole batch, closed at the end.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

import requests
from flask import current_app
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client as TwilioClient

log = logging.getLogger(__name__)
TWILIO_API = "https://api.twilio.com"
# hub/config.py's default for SMTP_TIMEOUT_SECONDS and TWILIO_TIMEOUT_SECONDS.
TIMEOUT_SECONDS = 10.0


class Outgoing(Protocol):
    """What a channel reads of a message: an ``OutboxMessage``, or the row dispatch claimed."""

    id: int
    channel: str
    kind: str
    recipient: str  # an email address, or a phone number in E.164
    subject: str | None
    body: str
    html: str | None


class ChannelError(Exception):
    pass


class RetryableError(ChannelError):
    """Worth trying again later."""


class PermanentError(ChannelError):
    """Trying again will not help."""


class ChannelDown(RetryableError):
    """The channel failed, not this message: the rest of its batch waits for its next try."""


class Channel:
    name = "channel"

    def send(self, message: Outgoing) -> str:
        raise NotImplementedError

    def close(self) -> None:
        """Let go of any connection kept between messages."""


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
        # For the connection and then for each of the server's answers: a server that accepts
        # and never answers costs this long once, not once per message.
        self.timeout = config.get("SMTP_TIMEOUT_SECONDS", TIMEOUT_SECONDS)
        self.smtp: smtplib.SMTP | None = None

    def build(self, message: Outgoing) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject or ""
        email["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        email.set_content(message.body)
        if message.html:
            email.add_alternative(message.html, subtype="html")
        return email

    def _connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _send_on_connection(self, email: EmailMessage) -> None:
        """Send on the batch's connection, opening it if need be. A kept connection the server
        has closed since (idle timeout) is opened again once."""
        reused = self.smtp is not None
        if self.smtp is None:
            self.smtp = self._connect()
        try:
            self.smtp.send_message(email)
        except smtplib.SMTPServerDisconnected:
            self.close()
            if not reused:
                raise
            self.smtp = self._connect()
            self.smtp.send_message(email)

    def send(self, message: Outgoing) -> str:
        email = self.build(message)
        try:
            self._send_on_connection(email)
        except smtplib.SMTPRecipientsRefused as error:
            self._reset()
            codes = [code for code, _ in error.recipients.values()]
            text = f"Recipient refused: {error.recipients!r}"
            if all(400 <= code < 500 for code in codes):
                raise RetryableError(text) from error
            raise PermanentError(text) from error
        except smtplib.SMTPDataError as error:
            self._reset()
            # The server refused this message: 5xx will refuse it again, 4xx may not.
            text = f"SMTP {error.smtp_code}: {error.smtp_error!r}"
            if 500 <= error.smtp_code < 600:
                raise PermanentError(text) from error
            raise RetryableError(text) from error
        except (OSError, smtplib.SMTPException) as error:
            # Down, busy, timed out, or refusing our login or sender: the server, not this
            # message, so no other message would go now either.
            self.close()
            raise ChannelDown(f"{type(error).__name__}: {error}") from error
        return email["Message-ID"]

    def _reset(self) -> None:
        """After a refused message, make the kept connection ready for the next one."""
        try:
            self.smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None


class LogChannel(Channel):
    """For development without credentials: the message goes to the log, nowhere else."""

    name = "log"

    def send(self, message: Outgoing) -> str:
        log.info(
            "%s message %s to %s: %s\n%s",
            message.channel,
            message.kind,
            message.recipient,
            message.subject or "",
            message.body,
        )
        return f"log-{message.id}"


class _BaseUrlHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, sending every request to ``base_url`` instead of
    https://api.twilio.com (``TWILIO_API_BASE_URL``: the tests' fake Twilio API)."""

    def __init__(self, base_url: str | None, timeout: float):
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/") if base_url else None
        if self.base_url and self.session is not None:
            # Keep connections to a plain-HTTP base URL too (Twilio's client pools https only).
            self.session.mount("http://", requests.adapters.HTTPAdapter())

    def request(self, method, url, *args, **kwargs):
        if self.base_url and url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


# Twilio answers these with 4xx for a number that will never take this message: not a valid
# number, unsubscribed (STOP), not a mobile, a country we may not send to, and so on.
# Other 4xx (401 bad credentials, 403 not allowed yet) are settings a person can fix; 429 and
# 5xx pass by themselves: all of those are tried again later.
TWILIO_PERMANENT_STATUSES = {400, 404, 410, 422}
# Twilio's API refusing us as a whole (credentials, account, rate) or failing: the channel is down.
TWILIO_DOWN_STATUSES = {401, 403, 429}


class TwilioSms(Channel):
    """SMS through Twilio's Messages API with its own ``twilio`` client. The message SID is the
    provider id; Twilio reports delivery to ``HUB_BASE_URL/webhooks/twilio/status``."""

    name = "twilio"

    def __init__(self, config):
        self.sender = config["TWILIO_FROM_NUMBER"]
        self.status_callback = config["HUB_BASE_URL"] + "/webhooks/twilio/status"
        self.http_client = _BaseUrlHttpClient(
            config.get("TWILIO_API_BASE_URL"), config.get("TWILIO_TIMEOUT_SECONDS", TIMEOUT_SECONDS)
        )
        self.client = TwilioClient(
            config["TWILIO_ACCOUNT_SID"],
            config["TWILIO_AUTH_TOKEN"],
            http_client=self.http_client,
        )

    def send(self, message: Outgoing) -> str:
        try:
            sent = self.client.messages.create(
                to=message.recipient,  # stored in E.164 where it was entered
                from_=self.sender,
                body=message.body,
                status_callback=self.status_callback,
            )
        except TwilioRestException as error:
            text = f"Twilio {error.status} code {error.code}: {error.msg}"
            if error.status in TWILIO_PERMANENT_STATUSES:
                raise PermanentError(text) from error
            if error.status in TWILIO_DOWN_STATUSES or error.status >= 500:
                raise ChannelDown(text) from error
            raise RetryableError(text) from error
        except (requests.RequestException, OSError, TwilioException) as error:
            # Refused, reset or timed out connections, or an answer we could not read.
            raise ChannelDown(f"{type(error).__name__}: {error}") from error
        log.debug("SMS %s to Twilio as %s: %s", message.id, sent.sid, sent.status)
        return sent.sid

    def close(self) -> None:
        if self.http_client.session is not None:
            self.http_client.session.close()


def configured(config, channel: str) -> bool:
    """Whether the hub has credentials for the channel; without them its messages go to the log."""
    if channel == "email":
        return bool(config.get("SMTP_HOST"))
    keys = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER")
    return all(config.get(key) for key in keys)


class Channels:
    """The channels of one batch, made when first needed and kept until ``close()``: one SMTP
    connection and one Twilio client for every message of the batch."""

    def __init__(self, config=None):
        self.config = config if config is not None else current_app.config
        self.open: dict[str, Channel] = {}

    def for_message(self, message: Outgoing) -> Channel:
        """The channel that sends this message with the hub's settings."""
        if message.channel not in ("email", "sms"):
            raise PermanentError(f"No channel sends {message.channel!r} messages")
        if not configured(self.config, message.channel):
            return LogChannel()
        if message.channel not in self.open:
            make = SmtpEmail if message.channel == "email" else TwilioSms
            self.open[message.channel] = make(self.config)
        return self.open[message.channel]

    def close(self) -> None:
        for channel in self.open.values():
            channel.close()
        self.open.clear()

    def __enter__(self) -> Channels:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
