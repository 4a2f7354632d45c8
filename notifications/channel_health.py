"""How each channel (email, SMS) is faring, one ``channel_health`` row each, kept by
``notifications.dispatch`` as it records results: the last message sent, the last failure and
its error (without addresses or numbers), and, when the channel itself failed (``ChannelDown``:
no connection, a timeout, a refused login), a pause until its next try.

While a channel is paused its dispatcher does not claim its messages, so a dead mail server
costs one timeout per pause, not one per message. The pause grows with the failures in a row
(``CHANNEL_PAUSES``) and ends at the first message sent. Hub staff read this on
``/hub/messages``; the failure digest goes by a channel that is working.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from hub.extensions import db, insert_or_skip
from hub.models import MESSAGE_CHANNELS, ChannelHealth

# Pause after the first, second and third channel failure in a row; then every last one. Short
# beside a message's own backoff: one-time codes and forwarding messages should not wait hours
# for a mail server that is back.
CHANNEL_PAUSES = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15))

# An email address, or a run of 8 or more digits (a phone number, perhaps with + and spaces).
_ADDRESS_OR_NUMBER = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+|\+?\d[\d ]{6,}\d")


def scrubbed_error(error: str | None) -> str:
    """A provider's error without any address or phone number in it (Twilio's 21211 names the
    number it refused, which may be a client's)."""
    if not error:
        return "No reason was given"
    return _ADDRESS_OR_NUMBER.sub("[recipient]", error)


def pause_after(down_count: int) -> timedelta:
    """How long a channel waits after its ``down_count``-th failure in a row."""
    return CHANNEL_PAUSES[min(down_count, len(CHANNEL_PAUSES)) - 1]


def health(channel: str) -> ChannelHealth:
    """The channel's row, added the first time it is needed (by either of two dispatchers)."""
    db.session.execute(
        insert_or_skip(ChannelHealth, "channel").values(channel=channel, down_count=0)
    )
    return db.session.get(ChannelHealth, channel, populate_existing=True)


def record_sent(channel: str, now: datetime) -> None:
    """A message went: the channel works, any pause is over."""
    row = health(channel)
    row.last_sent_at = now
    row.down_count = 0
    row.paused_until = None


def record_failure(channel: str, error: str, now: datetime, *, down: bool) -> None:
    """A message failed; if the channel itself failed (``down``), pause it until its next try."""
    row = health(channel)
    row.last_failed_at = now
    row.last_error = scrubbed_error(error)[:500]
    if down:
        row.down_count += 1
        row.paused_until = now + pause_after(row.down_count)


def paused_until(channel: str, now: datetime) -> datetime | None:
    """When the channel's pause ends, if it is paused at ``now``."""
    row = db.session.get(ChannelHealth, channel, populate_existing=True)
    if row is None or row.paused_until is None or row.paused_until <= now:
        return None
    return row.paused_until


def working(channel: str) -> bool:
    """Whether the channel worked at its last try (one never tried counts as working)."""
    row = db.session.get(ChannelHealth, channel, populate_existing=True)
    return row is None or not row.down_count


def every_channel() -> dict[str, ChannelHealth | None]:
    return {channel: db.session.get(ChannelHealth, channel) for channel in MESSAGE_CHANNELS}
