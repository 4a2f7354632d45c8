"""Template filters: times in Europe/London, time left to a deadline, statuses as tags."""

from __future__ import annotations

from datetime import datetime

from hub.clock import in_london
from hub.referrals.client_details import CONTACT_PREFERENCE_LABELS, display_phone

STATUS_TAGS = {
    "received": ("Received", "govuk-tag--blue"),
    "forwarded": ("Forwarded", "govuk-tag--light-blue"),
    "accepted": ("Accepted", "govuk-tag--turquoise"),
    "contacted": ("Contacted", "govuk-tag--green"),
    "closed": ("Closed", "govuk-tag--grey"),
    "declined": ("Declined", "govuk-tag--orange"),
    "cancelled": ("Cancelled", "govuk-tag--grey"),
}
OUTCOME_LABELS = {
    "service_provided": "Service provided",
    "client_declined": "Client declined",
    "unable_to_contact": "Unable to contact",
    "not_eligible": "Not eligible",
    "referred_elsewhere": "Referred elsewhere",
    "no_suitable_service": "No suitable service",
}
CONTACT_METHOD_LABELS = {
    "phone": "Phone",
    "sms": "Text message (SMS)",
    "email": "Email",
    "letter": "Letter",
    "visit": "Visit",
}


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
    app.jinja_env.globals["STATUS_TAGS"] = STATUS_TAGS
    app.jinja_env.globals["OUTCOME_LABELS"] = OUTCOME_LABELS
    app.jinja_env.globals["CONTACT_METHOD_LABELS"] = CONTACT_METHOD_LABELS
    app.jinja_env.globals["CONTACT_PREFERENCE_LABELS"] = CONTACT_PREFERENCE_LABELS
