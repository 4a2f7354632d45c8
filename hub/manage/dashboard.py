"""The managers' dashboard at ``/manage``: headline turnaround figures, monthly charts with a table
beside each, breakdowns, the per-partner table and what is overdue right now.

The filter form is a GET form with no side effects; ``hub.figures.filters`` parses it and
``hub.figures.report`` computes every figure in the database. Sorting the per-partner table
happens here, on the server, by a ``sort`` query parameter, so the column headers are plain links
that work with a keyboard and without JavaScript.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask import current_app, render_template, request, url_for

from hub.auth.access import roles_required
from hub.clock import in_london, utcnow
from hub.extensions import db
from hub.figures import report
from hub.figures.filters import (
    FilterError,
    Filters,
    default_period_words,
    filter_choices,
    parse_filters,
    shown_dates,
)
from hub.manage import manage


@dataclass(frozen=True)
class Column:
    """A sortable column of the per-partner table."""

    key: str
    label: str
    value: object  # row -> the value sorted on (None sorts last either way)
    numeric: bool = True


PARTNER_COLUMNS = (
    Column("partner", "Partner", lambda row: row["name"].casefold(), numeric=False),
    Column("referrals", "Referrals", lambda row: row["referrals"]),
    Column(
        "forwarding",
        "Forwarded within {forward_hours} hours",
        lambda row: row["forwarding"]["share_within_sla"],
    ),
    Column(
        "contact",
        "Contacted within {contact_days} days",
        lambda row: row["contact"]["share_within_sla"],
    ),
    Column("median_contact", "Median days to contact", lambda row: row["contact"]["median_days"]),
    Column("overdue", "Open and overdue", lambda row: row["overdue_open"]),
)
COLUMNS_BY_KEY = {column.key: column for column in PARTNER_COLUMNS}
DEFAULT_SORT = ("partner", False)


def chosen_sort(text: str | None) -> tuple[str, bool]:
    """``referrals`` sorts ascending, ``-referrals`` descending; anything else, by partner name."""
    text = (text or "").strip()
    descending = text.startswith("-")
    key = text.lstrip("-")
    return (key, descending) if key in COLUMNS_BY_KEY else DEFAULT_SORT


def sorted_partners(rows: list[dict], key: str, descending: bool) -> list[dict]:
    """Rows in the chosen order; a row with no figure for the column (nothing due yet) goes last
    in both directions, and ties stay in partner-name order."""
    value = COLUMNS_BY_KEY[key].value
    by_name = sorted(rows, key=lambda row: row["name"].casefold())
    known = [row for row in by_name if value(row) is not None]
    unknown = [row for row in by_name if value(row) is None]
    return sorted(known, key=value, reverse=descending) + unknown


def sort_links(filters: Filters | None, key: str, descending: bool) -> list[dict]:
    """Each header's link: the sorted column flips direction, any other starts ascending."""
    args = filters.as_args() if filters is not None else {}
    settings = {
        "forward_hours": current_app.config["HUB_FORWARD_SLA_HOURS"],
        "contact_days": current_app.config["HUB_CONTACT_SLA_DAYS"],
    }
    headers = []
    for column in PARTNER_COLUMNS:
        current = column.key == key
        next_sort = column.key if not (current and not descending) else f"-{column.key}"
        headers.append(
            {
                "column": column,
                "label": column.label.format(**settings),
                "href": url_for("manage.dashboard", **args, sort=next_sort, _anchor="partners"),
                "aria_sort": ("descending" if descending else "ascending") if current else None,
            }
        )
    return headers


AXIS_STEP = 5  # the shares' axis starts at a multiple of 5 %


def share_axis_start(shares: list[float | None]) -> int:
    """Where the deadline chart's axis starts, in per cent: a step below the lowest share shown
    (never below 0), so that 86 % and 96 % look different rather than both near the top of an
    axis from 0. The chart's words say where the axis starts."""
    known = [share for share in shares if share is not None]
    if not known:
        return 0
    return max(0, (math.floor(min(known)) // AXIS_STEP - 1) * AXIS_STEP)


def chart_data(figures: dict) -> dict:
    """What hub/static/manage.js draws; the page's tables show the very same numbers."""

    def percent(share):
        return None if share is None else round(share * 100, 1)

    months = figures["by_month"]
    forwarding = [percent(month["forwarding_share"]) for month in months]
    contact = [percent(month["contact_share"]) for month in months]
    return {
        "share_axis_start": share_axis_start(forwarding + contact),
        "months": [month["label"] for month in months],
        "submissions": [month["submissions"] for month in months],
        "referrals": [month["referrals"] for month in months],
        "forwarding_share": forwarding,
        "contact_share": contact,
        "outcome_labels": [outcome["label"] for outcome in figures["outcomes"]],
        "outcome_counts": [outcome["count"] for outcome in figures["outcomes"]],
    }


@manage.get("")
@roles_required("manager", "hub", "admin")
def dashboard():
    now = utcnow()
    today = in_london(now).date()
    session = db.session
    sort_key, descending = chosen_sort(request.args.get("sort"))
    try:
        filters = parse_filters(request.args, today)
    except FilterError as problem:
        filters, errors, figures = None, problem.errors, None
    else:
        errors, figures = {}, report.figures(session, filters, now)
    values = filters.as_args() if filters is not None else request.args
    return render_template(
        "manage/dashboard.html",
        choices=filter_choices(session),
        values=values,
        dates=shown_dates(request.args, filters, today),
        default_words=default_period_words(today),
        errors=errors,
        filters=filters,
        figures=figures,
        charts=chart_data(figures) if figures else None,
        partners=sorted_partners(figures["partners"], sort_key, descending) if figures else [],
        partner_headers=sort_links(filters, sort_key, descending),
        sort="" if (sort_key, descending) == DEFAULT_SORT else f"{'-' * descending}{sort_key}",
        overdue=report.overdue_now(session, filters, now) if filters is not None else [],
        now=now,
    ), (400 if errors else 200)
