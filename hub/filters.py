"""Template filters and globals: times in Europe/London, time left to a deadline, phone numbers,
the statuses (``hub.status``) and their words, outcomes' and contact methods' (``hub.labels``)."""

from __future__ import annotations

from datetime import datetime

from hub.clock import in_london
from hub.labels import (
    CONTACT_METHOD_LABELS,
    CONTACT_PREFERENCE_LABELS,
    NEEDS_MET_LABELS,
    STATUS_TAGS,
    outcome_label,
    status_label,
)
from hub.referrals.client_details import display_phone
from hub.status import WITH_PARTNER, Status


def london_time(moment: datetime | None, fmt: str = "%-d %b %Y, %H:%M") -> str:
    if moment is None:
        return ""
    return in_london(moment).strftime(fmt)


def london_date(moment) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return london_time(moment, "%-d %B %Y")
    return moment.strftime("%-d %B %Y")


def time_left(due: datetime | None, now: datetime) -> str:
    """Time to a deadline in words read at a glance: "5 hours left", "Overdue by 2 days"."""
    if due is None:
        return ""
    seconds = int((due - now).total_seconds())
    overdue = seconds <= 0
    seconds = abs(seconds)
    if seconds >= 2 * 86400:
        amount = f"{seconds // 86400} days"
    elif seconds >= 2 * 3600:
        amount = f"{seconds // 3600} hours"
    elif seconds >= 3600:
        amount = "1 hour"
    else:
        minutes = max(1, seconds // 60)
        amount = f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"Overdue by {amount}" if overdue else f"{amount} left"


def init_app(app):
    app.jinja_env.filters["london_time"] = london_time
    app.jinja_env.filters["london_date"] = london_date
    app.jinja_env.filters["time_left"] = time_left
    app.jinja_env.filters["phone"] = display_phone
    app.jinja_env.globals["Status"] = Status
    app.jinja_env.globals["WITH_PARTNER"] = WITH_PARTNER
    app.jinja_env.globals["STATUS_TAGS"] = STATUS_TAGS
    app.jinja_env.globals["status_label"] = status_label
    app.jinja_env.globals["outcome_label"] = outcome_label
    app.jinja_env.globals["NEEDS_MET_LABELS"] = NEEDS_MET_LABELS
    app.jinja_env.globals["CONTACT_METHOD_LABELS"] = CONTACT_METHOD_LABELS
    app.jinja_env.globals["CONTACT_PREFERENCE_LABELS"] = CONTACT_PREFERENCE_LABELS
