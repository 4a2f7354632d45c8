"""One clock for the hub. Times are naive UTC inside the hub and shown in Europe/London.

Services never read the clock themselves: views, the API, the CLI and jobs call ``utcnow()`` once
and pass ``now`` down, so anything can run "as of" any moment and tests need no clock patching.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def to_utc_naive(moment: datetime) -> datetime:
    """Any datetime as naive UTC; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


# Moments the hub accepts from outside: anything earlier or later is a typing mistake, and
# near the ends of Python's range, adding a deadline or an offset would overflow.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999


def parse_iso(text: str) -> datetime:
    """ISO 8601 (``Z`` or an offset; naive means UTC) to naive UTC; ``ValueError`` for anything
    else, an offset of a day or more, or a year outside ``EARLIEST_YEAR`` to ``LATEST_YEAR``."""
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise ValueError(f"{text!r} is not between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return to_utc_naive(moment)


def iso_z(moment: datetime | None) -> str | None:
    """The API's form: ISO 8601 in UTC with ``Z``."""
    if moment is None:
        return None
    return to_utc_naive(moment).isoformat(timespec="seconds") + "Z"


def in_london(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone(LONDON)


def london_midnight(day: date) -> datetime:
    """The start of a London calendar day, as naive UTC."""
    return to_utc_naive(datetime.combine(day, time(0), tzinfo=LONDON))
