"""Turning a kind's templates into a message, and a message into an outbox row: what every
audience's module (``to_partners``, ``to_referrers_and_clients``, ``to_hub_staff``) and the
samples (``previews``) share.

- ``render`` and ``render_sms``: an email's text and HTML bodies, or one SMS, from the kind's
  templates, given only what the caller passes in.
- ``queue_email`` and ``queue_sms``: the outbox row, refused for a kind or channel not in
  ``notifications.kinds``.
- ``hub_url``: a page of the hub as a message links to it; ``uk_time`` and ``uk_day``: a
  moment as a message writes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import render_template

from hub.clock import in_london
from hub.models import OutboxMessage
from hub.urls import external_url
from notifications import outbox
from notifications.kinds import EMAIL, KINDS, SMS


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    body: str
    html: str | None
    # A one-time code or signed link, sealed, whose places in the texts hold placeholders
    # (``notifications.sealed.hide``).
    secrets: str | None = None


def render(kind: str, subject: str, **context) -> Rendered:
    """The text and HTML bodies of one kind of email. Only what the caller passes in can
    appear, so callers pass references and links, never a client's details."""
    context = {"subject": subject, **context}
    return Rendered(
        subject=subject,
        body=render_template(f"notifications/{kind}.txt", **context),
        html=render_template(f"notifications/{kind}.html", **context),
    )


# Typography outside the GSM alphabet makes a whole SMS go as UCS-2 (70 characters a segment
# instead of 160), so an SMS uses the plain forms.
GSM_PLAIN = str.maketrans({"–": "-", "—": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "…": "..."})


def render_sms(template: str, **context) -> Rendered:
    """One SMS from its plain-text template, with the same care as ``render``: lines trimmed,
    blank lines dropped, typography in the GSM alphabet."""
    text = render_template(f"notifications/{template}.txt", **context)
    lines = [line.strip() for line in text.splitlines()]
    body = "\n".join(line for line in lines if line).translate(GSM_PLAIN)
    return Rendered(subject=None, body=body, html=None)


def _registered(kind: str, channel: str) -> None:
    """A kind the registry does not know would reach the admin pages and the failure alert as
    its bare code: refuse it where it is queued, so its own tests fail first."""
    entry = KINDS.get(kind)
    if entry is None or channel not in entry.channels:
        raise ValueError(f"{kind!r} by {channel} is not registered in notifications.kinds")


def queue_email(
    kind: str, key: str, recipient: str, rendered: Rendered, referral_id: int | None,
    now: datetime,
) -> OutboxMessage:  # fmt: skip
    """Queue one rendered email under ``key`` (``notifications.outbox.queue``)."""
    _registered(kind, EMAIL)
    return outbox.queue(
        key=key,
        kind=kind,
        channel=EMAIL,
        recipient=recipient,
        subject=rendered.subject,
        body=rendered.body,
        html=rendered.html,
        referral_id=referral_id,
        now=now,
        secrets=rendered.secrets,
    )


def queue_sms(
    kind: str, key: str, recipient: str, rendered: Rendered, referral_id: int | None,
    now: datetime,
) -> OutboxMessage:  # fmt: skip
    """Queue one rendered SMS under ``key`` (``notifications.outbox.queue``)."""
    _registered(kind, SMS)
    return outbox.queue(
        key=key,
        kind=kind,
        channel=SMS,
        recipient=recipient,
        subject=None,
        body=rendered.body,
        referral_id=referral_id,
        now=now,
        secrets=rendered.secrets,
    )


def hub_url(endpoint: str, **values) -> str:
    """A page of the hub as a message links to it: ``HUB_BASE_URL`` and the page's path
    (``hub.urls.external_url``, which the API's links use too)."""
    return external_url(endpoint, **values)


def uk_time(moment: datetime) -> str:
    """A moment as an email gives a deadline: "16 March 2026 at 10:15", UK time."""
    return in_london(moment).strftime("%-d %B %Y at %H:%M")


def uk_day(moment: datetime) -> str:
    """A day as a message names it: "Monday 16 March 2026", UK time."""
    return in_london(moment).strftime("%A %-d %B %Y")
