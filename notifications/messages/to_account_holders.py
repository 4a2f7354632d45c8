"""What a hub user hears about their own account: the link to set a password, for an
invitation (``account_invite``) or a reset (``password_reset``). The link is sealed in the
outbox (``notifications.sealed``): the stored texts hold a placeholder. No personal details:
the email names no one, only the link and how long it lasts.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from hub.models import OutboxMessage, User
from notifications import sealed
from notifications.messages.rendering import Rendered, hub_url, queue_email, render, uk_time

SUBJECTS = {
    "account_invite": "You have been invited to the SAIL referral hub",
    "password_reset": "Set a new password for the SAIL referral hub",
}


def set_password_url(token: str) -> str:
    """The page that sets a password by a link (``account_links.set_password``)."""
    return hub_url("account_links.set_password", token=token)


def account_link_email(kind: str, link: str, hours: int, expires_at: datetime) -> Rendered:
    return render(kind, SUBJECTS[kind], link=link, hours=hours, expires_at=uk_time(expires_at))


def _link_and_key(kind: str, user: User, token: str, hours: int, now: datetime):
    link = set_password_url(token)
    rendered = account_link_email(kind, link, hours, now + timedelta(hours=hours))
    # One message per link: the key names the link by a prefix of its token's hash, never the
    # token itself.
    key = f"{kind}:{user.id}:{hashlib.sha256(token.encode()).hexdigest()[:16]}"
    return sealed.hide(rendered, link=link), key  # the link readable only by the channel


def account_invite(user: User, token: str, hours: int, now: datetime) -> OutboxMessage:
    """The invitation, with the link to set a first password, to the new user's address."""
    rendered, key = _link_and_key("account_invite", user, token, hours, now)
    return queue_email("account_invite", key, user.email, rendered, None, now)


def password_reset(user: User, token: str, hours: int, now: datetime) -> OutboxMessage:
    """The link to set a new password, to the user's address."""
    rendered, key = _link_and_key("password_reset", user, token, hours, now)
    return queue_email("password_reset", key, user.email, rendered, None, now)
