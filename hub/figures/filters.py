"""Which referrals the managers' figures are about: the period and the other filters.

A filter is a period of London calendar dates, inclusive, by when the referrals were *received*,
and optionally one partner agency, referrer organisation, borough or question. This module reads
it from the dashboard's form, the exports page or the API (``parse_filters``; ``FilterError``
says what to put right), lists what each filter can be (``filter_choices``), and turns it into
SQL conditions on the referrals, the questionnaires and the stored counts, so that every figure
and every exported row picks the same referrals. It also splits the period into the London
months the figures are shown by.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Integer, case, exists, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from hub.clock import london_midnight
from hub.extensions import db
from hub.limits import FIGURES_FROM, FIGURES_YEARS
from hub.models import Client, Organisation, QuestionnaireVersion, Referral, Submission
from hub.referrals.questionnaire_versions import definition_of

referral = Referral.__table__
submission = Submission.__table__
client = Client.__table__


@dataclass(frozen=True)
class Filters:
    """Which referrals the figures are about: received from ``start`` to ``end`` (London dates,
    inclusive), and optionally one partner, referrer organisation, borough or question."""

    start: date
    end: date
    partner: str | None = None
    referrer: str | None = None
    borough: str | None = None
    question: str | None = None

    def as_args(self) -> dict[str, str]:
        """The filter as query parameters (and as recorded in the export audit)."""
        args = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        for name in ("partner", "referrer", "borough", "question"):
            value = getattr(self, name)
            if value:
                args[name] = value
        return args

    @property
    def window(self) -> tuple[datetime, datetime]:
        """The period as naive UTC moments: from the start of ``start`` to the start of the day
        after ``end``, both at midnight in London."""
        return london_midnight(self.start), london_midnight(self.end + timedelta(days=1))


class FilterError(ValueError):
    """Bad filter input: ``errors`` maps each field to a message saying how to put it right."""

    def __init__(self, errors: Mapping[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = dict(errors)


def default_period(today: date) -> tuple[date, date]:
    """Twelve calendar months: the first day of the month eleven months ago, to today (this
    month so far and the eleven before it, so the charts show twelve whole bars but the last).
    The pages say these dates in words (``default_period_words``), never "the last 12
    months", which would be a year to the day."""
    month = today.month - 11
    year = today.year
    if month < 1:
        month += 12
        year -= 1
    return date(year, month, 1), today


def default_period_words(today: date) -> str:
    """The default period as the pages say it: "1 January 2026 to 4 December 2026 (this month
    so far and the 11 months before it)"."""
    start, end = default_period(today)
    return f"{_day(start)} to {_day(end)} (this month so far and the 11 months before it)"


DATE_PARTS = ("day", "month", "year")


def date_inputs(args: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The pages' GOV.UK date inputs (``from-day``, ``from-month``, ``from-year``, and the same
    for ``to``) as ``from`` and ``to`` in YYYY-MM-DD, over any ``from``/``to`` given as text (a
    bookmark, a link from another page, the API), with an error for each date whose parts make
    no date. A date with no part filled in is left as it was (the default, or the text)."""
    merged = {name: args.get(name) for name in args}
    errors: dict[str, str] = {}
    for field, word in (("from", "start"), ("to", "end")):
        parts = {part: (args.get(f"{field}-{part}") or "").strip() for part in DATE_PARTS}
        if not any(parts.values()):
            continue
        merged.pop(field, None)
        missing = [part for part in DATE_PARTS if not parts[part]]
        if missing:
            errors[field] = f"The {word} date must include a {' and a '.join(missing)}"
            continue
        day, month, year = (parts[part] for part in DATE_PARTS)
        try:
            if not (day.isdigit() and month.isdigit() and year.isdigit() and len(year) == 4):
                raise ValueError(year)
            merged[field] = date(int(year), int(month), int(day)).isoformat()
        except ValueError:
            errors[field] = f"The {word} date must be a real date, like 31 1 2026"
    return merged, errors


def shown_dates(
    args: Mapping[str, str], filters: Filters | None, today: date
) -> dict[str, dict[str, str]]:
    """What each date input shows: the parts as typed, if any were; else the date the figures
    are for (or, when the filter is wrong, the text given or the default, in parts)."""
    default = dict(zip(("from", "to"), default_period(today), strict=True))
    shown = {}
    for field in ("from", "to"):
        typed = {part: args.get(f"{field}-{part}") or "" for part in DATE_PARTS}
        if any(value.strip() for value in typed.values()):
            shown[field] = typed
            continue
        if filters is not None:
            day = filters.start if field == "from" else filters.end
        else:
            text = (args.get(field) or "").strip()
            if text:
                year, _, rest = text.partition("-")
                month, _, day_part = rest.partition("-")
                shown[field] = {"day": day_part, "month": month, "year": year}
                continue
            day = default[field]
        shown[field] = {"day": str(day.day), "month": str(day.month), "year": str(day.year)}
    return shown


def parse_filters(args: Mapping[str, str], today: date, session: Session | None = None) -> Filters:
    """Filters from query parameters (``from``, ``to`` as YYYY-MM-DD, or as the pages' date
    inputs, ``date_inputs``; ``partner``, ``referrer``, ``borough``, ``question``). Missing
    dates default to ``default_period``. Dates run from ``hub.limits.FIGURES_FROM`` to a year
    after ``today``, ``FIGURES_YEARS`` at most; anything outside that, or that does not name a
    known date, partner, organisation, borough or question, raises ``FilterError``."""
    session = session or db.session
    args, errors = date_inputs(args)
    default_start, default_end = default_period(today)
    latest = _a_year_after(today)
    start = end = None
    if "from" not in errors:
        start = _date(args.get("from"), default_start, "from", "start", errors, latest)
    if "to" not in errors:
        end = _date(args.get("to"), default_end, "to", "end", errors, latest)
    if start and end and start > end:
        errors["to"] = "The end date must be the same as or after the start date"
    elif start and end and end >= _a_year_after(start, FIGURES_YEARS):
        errors["to"] = f"The period must be {FIGURES_YEARS} years or shorter"

    choices = filter_choices(session)
    chosen: dict[str, str | None] = {}
    for name, what in (
        ("partner", "a partner agency"),
        ("referrer", "a referrer organisation"),
        ("borough", "a borough"),
        ("question", "a question"),
    ):
        value = (args.get(name) or "").strip() or None
        known = {key for key, _ in choices[name + "s"]}
        if value is not None and value not in known:
            errors[name] = f"Choose {what} from the list"
        chosen[name] = value
    if errors:
        raise FilterError(errors)
    return Filters(start, end, **chosen)


def _date(text, default, field, word, errors, latest: date) -> date | None:
    """A date from ``FIGURES_FROM`` to ``latest`` (a year after today): nothing outside that
    can have figures, and an absurd date (year 1, year 9999) would make the figures' months and
    windows run for ever or overflow."""
    text = (text or "").strip()
    if not text:
        return default
    try:
        day = date.fromisoformat(text)
    except ValueError:
        errors[field] = f"Enter the {word} date as a real date, like 2026-01-31"
        return None
    if not FIGURES_FROM <= day <= latest:
        errors[field] = f"The {word} date must be from {_day(FIGURES_FROM)} to {_day(latest)}"
        return None
    return day


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _a_year_after(day: date, years: int = 1) -> date:
    """The same day ``years`` later (28 February for 29 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def filter_choices(session: Session) -> dict[str, list[tuple[str, str]]]:
    """What each filter can be: partners and referrer organisations (slug, name), boroughs and
    questions (from the published questionnaires; the newest wording wins)."""
    organisations = session.execute(
        select(Organisation.slug, Organisation.name, Organisation.kind)
        .where(Organisation.kind.in_(("partner", "referrer")))
        .order_by(Organisation.name)
    ).all()
    questions: dict[str, str] = {}
    boroughs: dict[str, str] = {}
    for version in session.scalars(select(QuestionnaireVersion).order_by(QuestionnaireVersion.id)):
        definition = definition_of(version)
        questions.update((question.key, question.text) for question in definition.questions)
        boroughs.update((slug, definition.borough_name(slug)) for slug in definition.boroughs)
    return {
        "partners": [(slug, name) for slug, name, kind in organisations if kind == "partner"],
        "referrers": [(slug, name) for slug, name, kind in organisations if kind == "referrer"],
        "boroughs": sorted(boroughs.items(), key=lambda item: item[1]),
        "questions": list(questions.items()),
    }


# --- The filter in SQL -----------------------------------------------------------------------


def in_window(column, window: tuple[datetime, datetime]) -> list:
    start, end = window
    return [column >= start, column < end]


def organisation_id(slug: str):
    return select(Organisation.id).where(Organisation.slug == slug).scalar_subquery()


def referral_conditions(filters: Filters, period: bool = True) -> list:
    """The referrals ``filters`` picks, as conditions on ``referral`` (with the period, unless
    ``period`` is false). The referrer and borough filters need ``submission`` and ``client``
    joined (see ``referral_from``)."""
    r = referral.c
    conditions = []
    if period:
        start, end = filters.window
        conditions += [r.received_at >= start, r.received_at < end]
    if filters.partner:
        conditions.append(r.partner_id == organisation_id(filters.partner))
    if filters.question:
        conditions.append(r.question_key == filters.question)
    if filters.referrer:
        conditions.append(
            submission.c.referrer_organisation_id == organisation_id(filters.referrer)
        )
    if filters.borough:
        conditions.append(client.c.borough == filters.borough)
    return conditions


def period_not_leading(filters: Filters, dialect: str) -> list:
    """The period as conditions on ``referral.received_at`` that SQLite will not drive a query
    by (a unary ``+``, SQLite's documented way to say so), so that it takes the index of a more
    selective condition (a deadline still ahead; a duration) and checks the period as it goes.
    Plain conditions elsewhere: PostgreSQL has no unary ``+`` for times, and needs no such
    hint."""
    column = referral.c.received_at
    if dialect == "sqlite":
        column = UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)
    return in_window(column, filters.window)


def referral_from(filters: Filters, *, submissions: bool = False, clients: bool = False):
    """``referral``, joined to what the filter or the breakdown needs and no more."""
    source = referral
    clients = clients or bool(filters.borough)
    if submissions or clients or filters.referrer:
        source = source.join(submission, submission.c.id == referral.c.submission_id)
    if clients:
        source = source.join(client, client.c.id == submission.c.client_id)
    return source


def submission_conditions(filters: Filters) -> list:
    """Submissions received in the period that match the filter. With a partner or question
    filter, only questionnaires with at least one such flag count."""
    start, end = filters.window
    s = submission.c
    conditions = [s.received_at >= start, s.received_at < end]
    if filters.referrer:
        conditions.append(s.referrer_organisation_id == organisation_id(filters.referrer))
    if filters.borough:
        conditions.append(
            s.client_id.in_(select(client.c.id).where(client.c.borough == filters.borough))
        )
    if filters.partner or filters.question:
        flag = [referral.c.submission_id == s.id]
        if filters.partner:
            flag.append(referral.c.partner_id == organisation_id(filters.partner))
        if filters.question:
            flag.append(referral.c.question_key == filters.question)
        conditions.append(exists().where(*flag))
    return conditions


def stored_conditions(table, filters: Filters) -> list:
    """``filters`` (but the period) as conditions on a table of stored counts."""
    c = table.c
    conditions = []
    if filters.partner and "partner_id" in c:
        conditions.append(c.partner_id == organisation_id(filters.partner))
    if filters.question and "question_key" in c:
        conditions.append(c.question_key == filters.question)
    if filters.referrer and "referrer_id" in c:
        conditions.append(c.referrer_id == organisation_id(filters.referrer))
    if filters.borough and "borough" in c:
        conditions.append(c.borough == filters.borough)
    return conditions


# --- The period's months ---------------------------------------------------------------------


def month_buckets(filters: Filters) -> list[tuple[date, datetime]]:
    """The London calendar months the period touches, each with its first moment (naive UTC,
    clipped to the period's start)."""
    start, _ = filters.window
    months = []
    day = filters.start.replace(day=1)
    while day <= filters.end:
        months.append((day, max(london_midnight(day), start)))
        day = (day + timedelta(days=32)).replace(day=1)
    return months


def month_index(column, months: list[tuple[date, datetime]]):
    """Which of ``months`` a moment falls in, as an integer: a CASE over the months' starts
    (London months do not line up with UTC ones, so SQL's own date functions will not do)."""
    if len(months) == 1:
        return literal(0, Integer)
    whens = [(column < begins, index - 1) for index, (_, begins) in enumerate(months) if index]
    return case(*whens, else_=len(months) - 1)


def month_index_of_day(column, months: list[tuple[date, datetime]]):
    """``month_index`` for a column of London dates (the stored counts' ``day``)."""
    if len(months) == 1:
        return literal(0, Integer)
    whens = [(column < first, index - 1) for index, (first, _) in enumerate(months) if index]
    return case(*whens, else_=len(months) - 1)
