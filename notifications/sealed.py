"""Secrets in messages: a one-time code or a signed link must not be readable in the outbox
table or on the admins' mailbox, yet must reach the person it is for.

A builder that puts a secret in a message hides it (``hide``): the rendered subject and texts
keep a placeholder (``[[hidden:code]]``) where the secret was, and the secrets themselves are
sealed with Fernet (``cryptography``) under ``HUB_OUTBOX_KEY`` into the row's ``secrets``
column. Dispatch opens them only to send (``revealed``), with no copy written back; the
mailbox shows "[one-time code hidden]" or "[link hidden]" in their place (``shown``).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, replace

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from markupsafe import escape

HIDDEN_WORDS = {"code": "[one-time code hidden]", "link": "[link hidden]"}


class SecretUnreadable(Exception):
    """A row's secrets cannot be opened (``HUB_OUTBOX_KEY`` changed since it was queued)."""


def placeholder(name: str) -> str:
    return f"[[hidden:{name}]]"


def _fernet() -> Fernet:
    """Any string will do as ``HUB_OUTBOX_KEY``: Fernet's key is its SHA-256."""
    material = current_app.config["HUB_OUTBOX_KEY"].encode()
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(material).digest()))


def seal(secrets: dict[str, str]) -> str:
    return _fernet().encrypt(json.dumps(secrets, sort_keys=True).encode()).decode()


def unseal(sealed: str) -> dict[str, str]:
    try:
        return json.loads(_fernet().decrypt(sealed.encode()))
    except (InvalidToken, ValueError) as error:
        raise SecretUnreadable("The message's secret could not be read") from error


def _swap(text: str | None, pairs, html: bool) -> str | None:
    if text is None:
        return None
    for old, new in pairs:
        text = text.replace(str(escape(old)) if html else old, str(escape(new)) if html else new)
    return text


def hide(rendered, **secrets: str | None):
    """``rendered`` (``rendering.Rendered``) with each given secret replaced by its placeholder
    and carried, sealed, in its ``secrets``. A secret given as None is left alone."""
    given = {name: value for name, value in secrets.items() if value}
    if not given:
        return rendered
    pairs = [(value, placeholder(name)) for name, value in given.items()]
    return replace(
        rendered,
        subject=_swap(rendered.subject, pairs, html=False),
        body=_swap(rendered.body, pairs, html=False),
        html=_swap(rendered.html, pairs, html=True),
        secrets=seal(given),
    )


def shown(text: str | None) -> str | None:
    """A stored text as a page shows it: each placeholder as words saying what is hidden."""
    if text is None:
        return None
    for name, words in HIDDEN_WORDS.items():
        text = text.replace(placeholder(name), words)
    return text


@dataclass(frozen=True)
class Revealed:
    """A claimed message with its secrets back in place, for a channel to send; never stored."""

    id: int
    channel: str
    kind: str
    recipient: str
    subject: str | None
    body: str
    html: str | None


def revealed(message):
    """The message as it is to be sent: ``message`` itself if it holds no secret."""
    if not getattr(message, "secrets", None):
        return message
    pairs = [(placeholder(name), value) for name, value in unseal(message.secrets).items()]
    # Placeholders hold no character HTML escapes, so the HTML swap escapes only the secret.
    return Revealed(
        id=message.id,
        channel=message.channel,
        kind=message.kind,
        recipient=message.recipient,
        subject=_swap(message.subject, pairs, html=False),
        body=_swap(message.body, pairs, html=False),
        html=_swap(message.html, pairs, html=True),
    )
