"""The period as the pages' GOV.UK date inputs (hub/figures/filters.py ``date_inputs`` and
``shown_dates``), and the default period in words."""

from __future__ import annotations

from datetime import date

import pytest

from hub.figures.filters import date_inputs, default_period_words, shown_dates


@pytest.mark.parametrize(
    ("args", "merged", "errors"),
    [
        ({"from-day": "1", "from-month": "2", "from-year": "2026"}, {"from": "2026-02-01"}, {}),
        # Parts win over text; a date with no part typed keeps its text (a bookmark, the API).
        (
            {"from": "2020-01-01", "from-day": "09", "from-month": "03", "from-year": "2026"},
            {"from": "2026-03-09"},
            {},
        ),
        ({"to": "2026-01-31", "to-day": "", "to-month": ""}, {"to": "2026-01-31"}, {}),
        (
            {"to-day": "31", "to-month": "", "to-year": ""},
            {},
            {"to": "The end date must include a month and a year"},
        ),
        (
            {"from-day": "30", "from-month": "2", "from-year": "2026"},
            {},
            {"from": "The start date must be a real date, like 31 1 2026"},
        ),
        (
            {"from-day": "1", "from-month": "1", "from-year": "26"},
            {},
            {"from": "The start date must be a real date, like 31 1 2026"},
        ),
        (
            {"from-day": "-1", "from-month": "1", "from-year": "2026"},
            {},
            {"from": "The start date must be a real date, like 31 1 2026"},
        ),
    ],
)
def test_date_inputs_become_dates_or_say_what_is_wrong(args, merged, errors):
    found, problems = date_inputs(args)
    for field in ("from", "to"):
        assert found.get(field) == merged.get(field), field
    assert problems == errors


def test_the_inputs_show_what_was_typed_or_the_default():
    today = date(2026, 12, 4)
    shown = shown_dates({"from-day": "31", "from-month": "x"}, None, today)
    assert shown["from"] == {"day": "31", "month": "x", "year": ""}
    assert shown["to"] == {"day": "4", "month": "12", "year": "2026"}


def test_the_default_period_in_words_matches_its_dates():
    assert default_period_words(date(2026, 12, 4)) == (
        "1 January 2026 to 4 December 2026 (this month so far and the 11 months before it)"
    )
    assert default_period_words(date(2026, 3, 15)).startswith("1 April 2025 to 15 March 2026")
