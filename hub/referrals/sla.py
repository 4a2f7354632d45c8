"""The SLA clock: every deadline the hub keeps is computed here, from the settings that
docs/design.md lists ("SLA clock").

Deadlines are stored on the referral when it enters a stage, so changing a setting later never
rewrites history.

The clock counts calendar time (``HUB_SLA_CLOCK=calendar``, the default, as the scheme states
its promises) or working time (``HUB_SLA_CLOCK=working``): Monday to Friday, 09:00–17:00 in
Europe/London, without England and Wales bank holidays (the ``holidays`` package). In working
time each 24 hours of a setting is one working day of 8 hours: a flag received on Friday at
15:00 is due to be forwarded by Monday at 15:00, and a 14-day contact promise is 14 working
days (a hub wanting two working weeks sets ``HUB_CONTACT_SLA_DAYS=10``). Time outside working
hours does not count, so a hub closed at weekends is not shown as failing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache

import holidays
from flask import current_app

from hub.clock import LONDON, in_london

WORKING = "working"
WORKDAY_OPENS = time(9)
WORKDAY_CLOSES = time(17)
WORKING_DAY = timedelta(hours=8)  # 09:00 to 17:00


@cache
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: date) -> bool:
    """Monday to Friday, and not an England and Wales bank holiday (observed days included)."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_time(start: datetime, amount: timedelta) -> datetime:
    """The moment (naive UTC) when ``amount`` of working time has passed since ``start``
    (naive UTC). Working hours are wall-clock times in London, so they follow the clock
    changes; a deadline that falls exactly at closing time stays on that day."""
    remaining = amount
    cursor = in_london(start)
    day = cursor.date()
    while True:
        if is_working_day(day):
            opens = datetime.combine(day, WORKDAY_OPENS, tzinfo=LONDON)
            closes = datetime.combine(day, WORKDAY_CLOSES, tzinfo=LONDON)
            begin = max(cursor, opens)
            if begin < closes:
                if remaining <= closes - begin:
                    return (begin + remaining).astimezone(UTC).replace(tzinfo=None)
                remaining -= closes - begin
        day += timedelta(days=1)
        cursor = datetime.combine(day, time(0), tzinfo=LONDON)


def clock() -> str:
    """Which time the SLA deadlines count: ``calendar`` or ``working``."""
    return current_app.config["HUB_SLA_CLOCK"]


def _deadline(start: datetime, calendar_time: timedelta) -> datetime:
    """``start`` plus an SLA period, in the hub's chosen clock."""
    if clock() == WORKING:
        return add_working_time(start, calendar_time / timedelta(days=1) * WORKING_DAY)
    return start + calendar_time


def forward_due(received_at: datetime) -> datetime:
    """The hub forwards each flag within HUB_FORWARD_SLA_HOURS of receiving the questionnaire."""
    return _deadline(received_at, timedelta(hours=current_app.config["HUB_FORWARD_SLA_HOURS"]))


def forward_warning_at(received_at: datetime) -> datetime:
    """Hub staff are warned of a flag not yet forwarded HUB_FORWARD_WARN_HOURS after receipt."""
    return _deadline(received_at, timedelta(hours=current_app.config["HUB_FORWARD_WARN_HOURS"]))


def contact_due(forwarded_at: datetime) -> datetime:
    """The partner contacts the client within HUB_CONTACT_SLA_DAYS of being forwarded the flag."""
    return _deadline(forwarded_at, timedelta(days=current_app.config["HUB_CONTACT_SLA_DAYS"]))


def chases_at(forwarded_at: datetime) -> list[datetime]:
    """When the partner is chased while the client has not been contacted: HUB_CHASE_DAYS
    (day 7 and day 12) after forwarding, in order. A chase on or after the contact deadline
    is left out: by then the referral is escalated instead."""
    due = contact_due(forwarded_at)
    moments = (_deadline(forwarded_at, timedelta(days=day)) for day in chase_days())
    return sorted(moment for moment in moments if moment < due)


def chase_days() -> tuple[int, ...]:
    return tuple(current_app.config["HUB_CHASE_DAYS"])


def follow_up_due(received_at: datetime) -> datetime:
    """The hub asks the client whether their needs were met HUB_FOLLOW_UP_DAYS after receiving
    the questionnaire."""
    return received_at + timedelta(days=current_app.config["HUB_FOLLOW_UP_DAYS"])


def unable_to_contact_attempts() -> int:
    """How many recorded attempts a partner needs before closing as unable to contact (and
    ``unable_to_contact_days``: on how many different days)."""
    return current_app.config["HUB_UNABLE_TO_CONTACT_ATTEMPTS"]


def unable_to_contact_days() -> int:
    """On how many different days (UK dates) those attempts must have been made."""
    return current_app.config["HUB_UNABLE_TO_CONTACT_DAYS"]
