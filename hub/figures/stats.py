"""Managers' figures: volumes, turnaround against the SLA, outcomes and follow-up results.

Every figure is an SQL aggregate over the referrals *received* in a period (London calendar
dates, inclusive), optionally for one partner agency, referrer organisation, borough or question.
Nothing loads referrals into Python: each query returns a handful of rows per partner, month or
code, and medians and 90th percentiles are worked out in the database.

Where the counts come from: the stored day and month counts of ``hub.figures.rollup`` (a few
thousand rows for a year, whatever the number of referrals), with any day changed since they were
stored counted afresh from the referrals, and the few referrals whose deadline is still ahead of
``now`` taken away live (``_timed_corrections``). What a count means is written once, here
(``_referral_count_columns`` and friends), and used both to store a day and to count one afresh.

Medians and 90th percentiles, for the whole hub or one partner: a short walk along a duration
index from a stored count (``_walked_percentiles``). With any other filter: ``percentile_cont``
on PostgreSQL, and on SQLite, which has no percentile function, the same linear interpolation
over ``row_number()``.

How the SLA shares are counted (docs/design.md, "JSON API v1"):

- Forwarding. A referral is *due* once it has been forwarded, or once its stored
  ``forward_due_at`` has passed while it still waited at the hub (a referral cancelled before its
  deadline never fell due). It is *within* the SLA if ``forwarded_at <= forward_due_at``.
- Contact. A referral is *due* once the partner has recorded contact, or once its stored
  ``contact_due_at`` has passed without contact and without the referral having been declined,
  closed or cancelled before that deadline. It is *within* the SLA if
  ``contacted_at <= contact_due_at``.

So an open referral past its deadline counts as a miss: a partner cannot look better by not
acting. ``share_within_sla = within_sla / due``, and ``None`` when nothing is due yet.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import (
    Float,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    not_,
    null,
    or_,
    select,
    tuple_,
    union,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from hub.clock import london_midnight
from hub.filters import OUTCOME_LABELS
from hub.models import (
    CLOSED,
    DURATION_COUNTS,
    DURATION_STEPS,
    NEEDS_MET,
    NO_SUITABLE_SERVICE,
    OUTCOMES,
    RECEIVED,
    REFERRAL_COUNTS,
    SUBMISSION_COUNTS,
    WELLBEING_QUESTIONS,
    Client,
    FollowUp,
    Organisation,
    QuestionnaireVersion,
    Referral,
    Submission,
    WellbeingScore,
    duration_counts,
    referral_counts,
    submission_counts,
)
from hub.referrals import lifecycle

PERCENTILES = (0.5, 0.9)
NOT_RECORDED = "Not recorded"

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
    """Twelve months: the first day of the month eleven months ago, to today."""
    month = today.month - 11
    year = today.year
    if month < 1:
        month += 12
        year -= 1
    return date(year, month, 1), today


def parse_filters(args: Mapping[str, str], today: date, session: Session | None = None) -> Filters:
    """Filters from query parameters (``from``, ``to`` as YYYY-MM-DD; ``partner``, ``referrer``,
    ``borough``, ``question``). Missing dates default to ``default_period``; anything that does
    not name a known date, partner, organisation, borough or question raises ``FilterError``."""
    from hub.extensions import db

    session = session or db.session
    errors: dict[str, str] = {}
    default_start, default_end = default_period(today)
    start = _date(args.get("from"), default_start, "from", "start", errors)
    end = _date(args.get("to"), default_end, "to", "end", errors)
    if start and end and start > end:
        errors["to"] = "The end date must be the same as or after the start date"

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


def _date(text, default, field, word, errors) -> date | None:
    text = (text or "").strip()
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[field] = f"Enter the {word} date as a real date, like 2026-01-31"
        return None


def filter_choices(session: Session) -> dict[str, list[tuple[str, str]]]:
    """What each filter can be: partners and referrer organisations (slug, name), boroughs and
    questions (from the published questionnaires; the newest wording wins)."""
    from hub.referrals.questionnaire_versions import definition_of

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


# --- The SQL pieces --------------------------------------------------------------------------


def _seconds_between(dialect: str, start, end):
    if dialect == "postgresql":
        return cast(func.extract("epoch", end - start), Float)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def _forward_due(now: datetime):
    """Forwarding has fallen due: forwarded, or still at the hub at its deadline without having
    been cancelled before it."""
    r = referral.c
    return or_(
        r.forwarded_at.is_not(None),
        and_(
            r.forward_due_at <= now,
            or_(r.cancelled_at.is_(None), r.cancelled_at > r.forward_due_at),
        ),
    )


def _contact_due(now: datetime):
    """Contact has fallen due: contacted, or at the deadline without contact and without having
    been declined, closed or cancelled before it."""
    r = referral.c
    ended = func.coalesce(r.declined_at, r.closed_at, r.cancelled_at)
    return or_(
        r.contacted_at.is_not(None),
        and_(r.contact_due_at <= now, or_(ended.is_(None), ended > r.contact_due_at)),
    )


def forwarding_met(now: datetime):
    """One referral's forwarding SLA in SQL: 1 met, 0 missed, NULL not yet due."""
    r = referral.c
    return case((r.forwarded_at <= r.forward_due_at, 1), (_forward_due(now), 0), else_=null())


def contact_met(now: datetime):
    """One referral's contact SLA in SQL: 1 met, 0 missed, NULL not yet due."""
    r = referral.c
    return case((r.contacted_at <= r.contact_due_at, 1), (_contact_due(now), 0), else_=null())


def _timed(now: datetime) -> dict:
    """The counts that change with the clock, each as a condition on one referral at ``now``."""
    return {
        "forward_due": _forward_due(now),
        "forward_overdue": lifecycle.forward_overdue_clause(now),
        "contact_due": _contact_due(now),
        "contact_overdue": lifecycle.contact_overdue_clause(now),
    }


TIMED = ("forward_due", "forward_overdue", "contact_due", "contact_overdue")
OUTCOME_CODES = (*OUTCOMES, NO_SUITABLE_SERVICE)
# The stored counts' names, as the figures call them. ``forward_waiting`` counts a referral
# still at the hub, which is overdue once its deadline passes; ``contact_waiting`` likewise.
FIGURE_NAMES = {
    "forward_waiting": "forward_overdue",
    "contact_waiting": "contact_overdue",
    **{f"outcome_{code}": f"outcome:{code}" for code in OUTCOME_CODES},
}


def _referral_count_columns() -> list:
    """The stored referral counts (``hub.models.REFERRAL_COUNTS``) as aggregates over
    ``referral``: each counts a referral as it will stand once its deadlines have passed."""
    from hub.figures.rollup import FOREVER

    r = referral.c
    timed = _timed(FOREVER)
    columns = {
        "referrals": func.count(),
        "forwarded": func.count(r.forwarded_at),
        "forward_due": func.count().filter(timed["forward_due"]),
        "forward_within": func.count().filter(r.forwarded_at <= r.forward_due_at),
        "forward_waiting": func.count().filter(timed["forward_overdue"]),
        "contacted": func.count(r.contacted_at),
        "contact_due": func.count().filter(timed["contact_due"]),
        "contact_within": func.count().filter(r.contacted_at <= r.contact_due_at),
        "contact_waiting": func.count().filter(timed["contact_overdue"]),
        **{
            f"outcome_{code}": func.count().filter(and_(r.status == CLOSED, r.outcome == code))
            for code in OUTCOME_CODES
        },
    }
    return [columns[name].label(name) for name in REFERRAL_COUNTS]


_REFERRAL_SOURCE = referral.join(submission, submission.c.id == referral.c.submission_id).join(
    client, client.c.id == submission.c.client_id
)


def _referral_keys() -> list:
    return [
        referral.c.partner_id,
        referral.c.question_key,
        submission.c.referrer_organisation_id.label("referrer_id"),
        client.c.borough,
    ]


def _in_window(column, window: tuple[datetime, datetime]) -> list:
    start, end = window
    return [column >= start, column < end]


def referral_counts_query(window: tuple[datetime, datetime]):
    """One day's stored referral counts (``hub.figures.rollup``), by partner, question, referrer and
    borough, for the referrals received in ``window``."""
    keys = _referral_keys()
    return (
        select(*keys, *_referral_count_columns())
        .select_from(_REFERRAL_SOURCE)
        .where(*_in_window(referral.c.received_at, window))
        .group_by(*keys)
    )


_follow_up = FollowUp.__table__
_wellbeing_before = WellbeingScore.__table__.alias("wellbeing_before")
_wellbeing_after = WellbeingScore.__table__.alias("wellbeing_after")
_SUBMISSION_SOURCE = (
    submission.join(client, client.c.id == submission.c.client_id)
    .outerjoin(_follow_up, _follow_up.c.submission_id == submission.c.id)
    .outerjoin(
        _wellbeing_before,
        and_(
            _wellbeing_before.c.submission_id == submission.c.id,
            _wellbeing_before.c.stage == "questionnaire",
        ),
    )
    .outerjoin(
        _wellbeing_after,
        and_(
            _wellbeing_after.c.submission_id == submission.c.id,
            _wellbeing_after.c.stage == "follow_up",
        ),
    )
)


def _submission_count_columns() -> list:
    """The stored questionnaire counts (``hub.models.SUBMISSION_COUNTS``) over
    ``_SUBMISSION_SOURCE``, which has one row per questionnaire."""
    f = _follow_up.c
    before, after = _wellbeing_before.c, _wellbeing_after.c
    columns = {
        "submissions": func.count(),
        "follow_ups": func.count(f.id),
        **{
            f"needs_met_{answer}": func.count().filter(f.needs_met == answer)
            for answer in NEEDS_MET
        },
        "wellbeing_pairs": func.count().filter(and_(before.id.is_not(None), after.id.is_not(None))),
        **{
            f"wellbeing_{name}_change": func.coalesce(func.sum(after[name] - before[name]), 0)
            for name in WELLBEING_QUESTIONS
        },
    }
    return [columns[name].label(name) for name in SUBMISSION_COUNTS]


def _submission_keys() -> list:
    return [submission.c.referrer_organisation_id.label("referrer_id"), client.c.borough]


def submission_counts_query(window: tuple[datetime, datetime]):
    """One day's stored questionnaire counts (``hub.figures.rollup``), by referrer and borough: for
    every questionnaire (``flag_partner_id`` 0, ``flag_question`` ""), and again for those with
    a flag for each partner, and for each question."""
    s, r = submission.c, referral.c
    keys = _submission_keys()
    in_window = _in_window(s.received_at, window)
    every = (
        select(
            literal(0).label("flag_partner_id"),
            literal("").label("flag_question"),
            *keys,
            *_submission_count_columns(),
        )
        .select_from(_SUBMISSION_SOURCE)
        .where(*in_window)
        .group_by(*keys)
    )
    selects = [every]
    for flag, column in (("flag_partner_id", r.partner_id), ("flag_question", r.question_key)):
        # Each questionnaire once for each partner (or question) it has a flag for.
        flagged = (
            select(r.submission_id, column.label("flag"))
            .join(submission, s.id == r.submission_id)
            .where(*in_window)
            .group_by(r.submission_id, column)
            .subquery()
        )
        if flag == "flag_partner_id":
            columns = [flagged.c.flag.label(flag), literal("").label("flag_question")]
        else:
            columns = [literal(0).label("flag_partner_id"), flagged.c.flag.label(flag)]
        selects.append(
            select(*columns, *keys, *_submission_count_columns())
            .select_from(_SUBMISSION_SOURCE.join(flagged, flagged.c.submission_id == s.id))
            .where(*in_window)
            .group_by(flagged.c.flag, *keys)
        )
    return union_all(*selects)


# The lowest a walk starts from when no step lies under the rank it wants: below any duration.
LOWEST = -(10**12)


def _durations(dialect: str):
    """Receipt to forwarding, and forwarding to contact, exactly as the duration indexes
    (migration 0005) have them, so that a walk can use them; and how many seconds one unit of
    them is: days on SQLite (``julianday`` differences), seconds on PostgreSQL."""
    r = referral.c
    if dialect == "sqlite":
        return (
            func.julianday(r.forwarded_at) - func.julianday(r.received_at),
            func.julianday(r.contacted_at) - func.julianday(r.forwarded_at),
            86400.0,
        )
    return (
        func.extract("epoch", r.forwarded_at - r.received_at),
        func.extract("epoch", r.contacted_at - r.forwarded_at),
        1,
    )


def _step(step: int, unit: float):
    """``DURATION_STEPS[step]`` in the durations' unit (whole seconds on PostgreSQL, whose
    durations are exact numbers, so the comparison keeps to the index)."""
    seconds = DURATION_STEPS[step]
    return seconds if unit == 1 else seconds / unit


def _duration_count_columns(dialect: str) -> list:
    """The stored duration counts (``hub.models.DURATION_COUNTS``): how many durations there
    are, and how many fall under each of ``DURATION_STEPS``."""
    forward, contact, unit = _durations(dialect)
    columns = [func.count(forward).label("forwarded"), func.count(contact).label("contacted")]
    for name, values in (("forward", forward), ("contact", contact)):
        columns += [
            func.count().filter(values < _step(step, unit)).label(f"{name}_under_{step}")
            for step in range(len(DURATION_STEPS))
        ]
    return columns


def duration_counts_query(window: tuple[datetime, datetime], dialect: str):
    """One day's stored duration counts (``hub.figures.rollup``), by partner."""
    r = referral.c
    return (
        select(r.partner_id, *_duration_count_columns(dialect))
        .where(*_in_window(r.received_at, window))
        .group_by(r.partner_id)
    )


def referral_conditions(filters: Filters, period: bool = True) -> list:
    """The referrals ``filters`` picks, as conditions on ``referral`` (with the period, unless
    ``period`` is false). The referrer and borough filters need ``submission`` and ``client``
    joined (see ``_referral_from``)."""
    r = referral.c
    conditions = []
    if period:
        start, end = filters.window
        conditions += [r.received_at >= start, r.received_at < end]
    if filters.partner:
        conditions.append(r.partner_id == _organisation(filters.partner))
    if filters.question:
        conditions.append(r.question_key == filters.question)
    if filters.referrer:
        conditions.append(submission.c.referrer_organisation_id == _organisation(filters.referrer))
    if filters.borough:
        conditions.append(client.c.borough == filters.borough)
    return conditions


def _period_not_leading(filters: Filters, dialect: str) -> list:
    """The period as conditions on ``referral.received_at`` that SQLite will not drive a query
    by (a unary ``+``, SQLite's documented way to say so), so that it takes the index of a more
    selective condition (a deadline still ahead; a duration) and checks the period as it goes.
    Plain conditions elsewhere: PostgreSQL has no unary ``+`` for times, and needs no such
    hint."""
    column = referral.c.received_at
    if dialect == "sqlite":
        column = UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)
    return _in_window(column, filters.window)


def _organisation(slug: str):
    return select(Organisation.id).where(Organisation.slug == slug).scalar_subquery()


def _referral_from(filters: Filters, *, submissions: bool = False, clients: bool = False):
    """``referral``, joined to what the filter or the breakdown needs and no more."""
    source = referral
    clients = clients or bool(filters.borough)
    if submissions or clients or filters.referrer:
        source = source.join(submission, submission.c.id == referral.c.submission_id)
    if clients:
        source = source.join(client, client.c.id == submission.c.client_id)
    return source


def _submission_conditions(filters: Filters) -> list:
    """Submissions received in the period that match the filter. With a partner or question
    filter, only questionnaires with at least one such flag count."""
    start, end = filters.window
    s = submission.c
    conditions = [s.received_at >= start, s.received_at < end]
    if filters.referrer:
        conditions.append(s.referrer_organisation_id == _organisation(filters.referrer))
    if filters.borough:
        conditions.append(
            s.client_id.in_(select(client.c.id).where(client.c.borough == filters.borough))
        )
    if filters.partner or filters.question:
        flag = [referral.c.submission_id == s.id]
        if filters.partner:
            flag.append(referral.c.partner_id == _organisation(filters.partner))
        if filters.question:
            flag.append(referral.c.question_key == filters.question)
        conditions.append(exists().where(*flag))
    return conditions


def _month_buckets(filters: Filters) -> list[tuple[date, datetime]]:
    """The London calendar months the period touches, each with its first moment (naive UTC,
    clipped to the period's start)."""
    start, _ = filters.window
    months = []
    day = filters.start.replace(day=1)
    while day <= filters.end:
        months.append((day, max(london_midnight(day), start)))
        day = (day + timedelta(days=32)).replace(day=1)
    return months


def _month_index(column, months: list[tuple[date, datetime]]):
    """Which of ``months`` a moment falls in, as an integer: a CASE over the months' starts
    (London months do not line up with UTC ones, so SQL's own date functions will not do)."""
    if len(months) == 1:
        return literal(0, Integer)
    whens = [(column < begins, index - 1) for index, (_, begins) in enumerate(months) if index]
    return case(*whens, else_=len(months) - 1)


ALL = -1  # the group that stands for every partner together


def _percentiles(session: Session, grp, value, source, conditions) -> dict:
    """``{group: (median, p90)}`` of ``value`` over the rows of ``source`` that meet
    ``conditions``, for each value of ``grp`` and for all of them together (key ``ALL``), in one
    query. ``percentile_cont`` over grouping sets on PostgreSQL; on SQLite, which has no
    percentile function, the same linear interpolation between the ranked rows either side of
    each percentile's position, ranked once for every group and once for the whole."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        result = session.execute(
            select(
                func.coalesce(grp, ALL),
                *(func.percentile_cont(p).within_group(value.asc()) for p in PERCENTILES),
            )
            .select_from(source)
            .where(*conditions)
            .group_by(func.grouping_sets(grp, tuple_()))
        )
        return {group: tuple(values) for group, *values in result}

    each = select(grp.label("grp"), value.label("value")).select_from(source).where(*conditions)
    whole = select(literal(ALL).label("grp"), value.label("value"))
    rows = union_all(each, whole.select_from(source).where(*conditions)).subquery()
    ranked = select(
        rows.c.grp,
        rows.c.value,
        (func.row_number().over(partition_by=rows.c.grp, order_by=rows.c.value) - 1).label("rn"),
        func.count().over(partition_by=rows.c.grp).label("n"),
    ).subquery()
    columns, wanted = [], []
    for p in PERCENTILES:
        position = (ranked.c.n - 1) * p
        below = cast(position, Integer)  # ranks count from 0: the floor of a non-negative
        above = below + case((position > below, 1), else_=0)
        low = func.max(case((ranked.c.rn == below, ranked.c.value)))
        high = func.max(case((ranked.c.rn == above, ranked.c.value)))
        columns.append(low + (func.max(position) - func.max(below)) * (high - low))
        wanted += [below, above]
    result = session.execute(
        select(ranked.c.grp, *columns)
        .where(or_(*(ranked.c.rn == rank for rank in wanted)))
        .group_by(ranked.c.grp)
    )
    return {group: tuple(values) for group, *values in result}


def _duration_percentiles(session: Session, filters: Filters, plan) -> dict:
    """Median and p90 hours to forward and days to contact, per partner id and overall (key
    ``ALL``): ``{"forward": {...}, "contact": {...}}``. For the whole hub or one partner, by
    index walks (``_walked_percentiles``); with any other filter, in one query per measure."""
    dialect = session.get_bind().dialect.name
    if not (filters.question or filters.referrer or filters.borough):
        return _walked_percentiles(session, filters, plan)
    r = referral.c
    source = _referral_from(filters)
    conditions = referral_conditions(filters)
    return {
        "forward": _percentiles(
            session,
            r.partner_id,
            _seconds_between(dialect, r.received_at, r.forwarded_at) / 3600.0,
            source,
            [*conditions, r.forwarded_at.is_not(None)],
        ),
        "contact": _percentiles(
            session,
            r.partner_id,
            _seconds_between(dialect, r.forwarded_at, r.contacted_at) / 86400.0,
            source,
            [*conditions, r.contacted_at.is_not(None), r.forwarded_at.is_not(None)],
        ),
    }


def _duration_groups(session: Session, filters: Filters, plan) -> dict[int, dict]:
    """The period's stored duration counts by partner (id), with stale days counted afresh."""
    c = duration_counts.c
    rows = list(
        session.execute(
            _sums(duration_counts, DURATION_COUNTS, plan, filters, c.partner_id)
        ).mappings()
    )
    stale = plan.stale_windows(referral.c.received_at)
    if stale is not None:
        r = referral.c
        rows += session.execute(
            select(r.partner_id, *_duration_count_columns(session.get_bind().dialect.name))
            .where(stale, *referral_conditions(filters))
            .group_by(r.partner_id)
        ).mappings()
    groups: dict[int, dict] = {}
    for row in rows:
        _add(groups.setdefault(row["partner_id"], {}), {n: row[n] for n in DURATION_COUNTS})
    return groups


def _walked_percentiles(session: Session, filters: Filters, plan) -> dict:
    """``_duration_percentiles`` without a sort. The stored counts say how many durations there
    are and how many fall under each of ``DURATION_STEPS``; so the value at any rank is found
    by starting an index walk at the highest step below it and stepping over the few durations
    between (``LIMIT 2 OFFSET k``), rather than by ranking them all. The walks go along the
    duration indexes of migration 0005, for the whole hub and by partner; the period is checked
    on the way (``_period_not_leading``), not used to choose the rows."""
    dialect = session.get_bind().dialect.name
    r = referral.c
    groups = _duration_groups(session, filters, plan)
    whole: dict[str, int] = {}
    for counts in groups.values():
        _add(whole, counts)
    forward, contact, unit = _durations(dialect)
    result: dict[str, dict] = {}
    for measure, values, present, per in (
        ("forward", forward, r.forwarded_at, 3600.0),
        ("contact", contact, r.contacted_at, 86400.0),
    ):
        # One statement for a partner's walks and one for the whole hub's, each run once per
        # percentile: compiled once, and cheap for the database to run again.
        walk = (
            select(values)
            .where(
                present.is_not(None),
                values >= bindparam("lowest"),
                *_period_not_leading(filters, dialect),
            )
            .order_by(values)
            .limit(bindparam("size"))
            .offset(bindparam("skip"))
        )
        partner_walk = walk.where(r.partner_id == bindparam("partner"))
        result[measure] = {
            pid: _walk(session, partner_walk, counts, measure, unit, per, partner=pid)
            for pid, counts in groups.items()
        }
        if filters.partner:  # the whole is the one partner
            result[measure][ALL] = next(iter(result[measure].values()), (None, None))
        else:
            result[measure][ALL] = _walk(session, walk, whole, measure, unit, per)
    return result


def _walk(session: Session, statement, counts: Mapping, measure, unit, per, **params):
    """The median and p90 (seconds over ``per``) by running ``statement``, a walk along a
    duration index, once for each of ``_walk_steps``."""
    values = []
    for position, lowest, size, skip in _walk_steps(counts, measure, unit):
        found = session.scalars(
            statement, {"lowest": lowest, "size": size, "skip": skip, **params}
        ).all()
        low, high = (float(value) * unit / per for value in (found[0], found[-1]))
        values.append(low + (position - int(position)) * (high - low))
    return tuple(values) if values else (None, None)


def _walk_steps(counts: Mapping, measure: str, unit: float) -> list[tuple]:
    """For each of ``PERCENTILES``: its position among the ``measure`` durations, and where to
    walk to read the one or two durations either side of it: from the highest of
    ``DURATION_STEPS`` with no more durations under it than the position, skipping the rest.
    Nothing if there are no durations. Linear interpolation between the two is what
    ``percentile_cont`` does."""
    n = counts.get("forwarded" if measure == "forward" else "contacted", 0)
    if not n:
        return []
    under = [counts[f"{measure}_under_{step}"] for step in range(len(DURATION_STEPS))]
    steps = []
    for p in PERCENTILES:
        position = (n - 1) * p
        below = int(position)
        above = below + (1 if position > below else 0)
        lowest, skipped = LOWEST, 0
        for step, count in enumerate(under):
            if count > below:
                break
            lowest, skipped = _step(step, unit), count
        steps.append((position, lowest, above - below + 1, below - skipped))
    return steps


# --- The figures -----------------------------------------------------------------------------


def _share(within: int, due: int) -> float | None:
    return round(within / due, 4) if due else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def _forwarding(row: Mapping, percentiles: tuple) -> dict:
    median, p90 = percentiles
    return {
        "forwarded": row["forwarded"],
        "median_hours": _round(median),
        "p90_hours": _round(p90),
        "due": row["forward_due"],
        "within_sla": row["forward_within"],
        "share_within_sla": _share(row["forward_within"], row["forward_due"]),
        "overdue_open": row["forward_overdue"],
    }


def _contact(row: Mapping, percentiles: tuple) -> dict:
    median, p90 = percentiles
    return {
        "contacted": row["contacted"],
        "median_days": _round(median),
        "p90_days": _round(p90),
        "due": row["contact_due"],
        "within_sla": row["contact_within"],
        "share_within_sla": _share(row["contact_within"], row["contact_due"]),
        "overdue_open": row["contact_overdue"],
    }


COUNTS = (
    "referrals",
    "forwarded",
    "forward_due",
    "forward_within",
    "forward_overdue",
    "contacted",
    "contact_due",
    "contact_within",
    "contact_overdue",
)


def _add(total: dict, counts: Mapping) -> None:
    for name, value in counts.items():
        total[name] = total.get(name, 0) + value


def _month_index_of_day(column, months: list[tuple[date, datetime]]):
    """``_month_index`` for a column of London dates (the stored counts' ``day``)."""
    if len(months) == 1:
        return literal(0, Integer)
    whens = [(column < first, index - 1) for index, (first, _) in enumerate(months) if index]
    return case(*whens, else_=len(months) - 1)


def _stored_conditions(table, filters: Filters) -> list:
    """``filters`` (but the period) as conditions on a table of stored counts."""
    c = table.c
    conditions = []
    if filters.partner and "partner_id" in c:
        conditions.append(c.partner_id == _organisation(filters.partner))
    if filters.question and "question_key" in c:
        conditions.append(c.question_key == filters.question)
    if filters.referrer and "referrer_id" in c:
        conditions.append(c.referrer_id == _organisation(filters.referrer))
    if filters.borough and "borough" in c:
        conditions.append(c.borough == filters.borough)
    return conditions


def _sums(table, names, plan, filters: Filters, *keys):
    """The stored rows ``plan`` reads from ``table``, summed by ``keys``."""
    return (
        select(*keys, *(func.sum(table.c[name]).label(name) for name in names))
        .where(plan.rows(table), *_stored_conditions(table, filters))
        .group_by(*keys)
    )


def _referral_groups(
    session: Session, filters: Filters, months, plan, by_origin: bool = False
) -> list[Mapping]:
    """The period's referral counts (``REFERRAL_COUNTS``, as if every deadline had passed) by
    partner, question and month; or (``by_origin``) only how many, by referrer and borough.
    Stored rows summed, and stale days counted from the referrals themselves."""
    c, r = referral_counts.c, referral.c
    if by_origin:
        stored_keys = [c.referrer_id, c.borough]
        raw_keys = _referral_keys()[2:]
        names: tuple[str, ...] = ("referrals",)
    else:
        stored_keys = [
            c.partner_id,
            c.question_key,
            _month_index_of_day(c.day, months).label("month_index"),
        ]
        raw_keys = [
            r.partner_id,
            r.question_key,
            _month_index(r.received_at, months).label("month_index"),
        ]
        names = REFERRAL_COUNTS
    rows = list(
        session.execute(_sums(referral_counts, names, plan, filters, *stored_keys)).mappings()
    )
    stale = plan.stale_windows(r.received_at)
    if stale is not None:
        columns = [column for column in _referral_count_columns() if column.name in names]
        rows += session.execute(
            select(*raw_keys, *columns)
            .select_from(_REFERRAL_SOURCE)
            .where(stale, *referral_conditions(filters))
            .group_by(*raw_keys)
        ).mappings()
    return rows


def _timed_corrections(session: Session, filters: Filters, now: datetime, months):
    """What to take from the stored counts at ``now``: the referrals counted as due or overdue
    whose deadline is in fact still ahead. Only those with a deadline after ``now`` can be
    such, and the indexes on the deadlines find them (a few days' worth) without a pass over
    the period."""
    from hub.figures.rollup import FOREVER

    r = referral.c
    forever, current = _timed(FOREVER), _timed(now)
    # Their ids first, each kind by its own index, so no filter can lead the database into a
    # pass over the period instead.
    ahead = union(
        *(
            select(r.id).where(*conditions)
            for conditions in (
                (r.forwarded_at.is_(None), r.forward_due_at > now),
                (r.status == RECEIVED, r.forward_due_at > now),
                (r.contacted_at.is_(None), r.contact_due_at > now),
                (r.status.in_(lifecycle.WITH_PARTNER), r.contact_due_at > now),
            )
        )
    )
    keys = [r.partner_id, r.question_key, _month_index(r.received_at, months).label("month_index")]
    return session.execute(
        select(
            *keys,
            *(
                func.count().filter(and_(forever[name], not_(current[name]))).label(name)
                for name in forever
            ),
        )
        .select_from(_referral_from(filters))
        .where(
            r.id.in_(ahead),
            *_period_not_leading(filters, session.get_bind().dialect.name),
            *referral_conditions(filters, period=False),
        )
        .group_by(*keys)
    ).mappings()


@dataclass
class _Turnaround:
    """The referrals' counts, summed: the totals and the counts by partner (id), question and
    month (index), referrals by referrer (id) and borough, and the medians and p90s of each
    partner and the whole."""

    total: dict
    by_partner: dict[int, dict] = field(default_factory=dict)
    by_question: dict[str, int] = field(default_factory=dict)
    by_month: dict[int, dict] = field(default_factory=dict)
    referrers: dict[int, int] = field(default_factory=dict)
    boroughs: dict[str | None, int] = field(default_factory=dict)
    percentiles: dict = field(default_factory=dict)

    def tally(self, row: Mapping, counts: Mapping) -> None:
        _add(self.total, counts)
        _add(self.by_partner.setdefault(row["partner_id"], {}), counts)
        _add(self.by_month.setdefault(row["month_index"], {}), counts)
        key = row["question_key"]
        self.by_question[key] = self.by_question.get(key, 0) + counts.get("referrals", 0)


def _turnaround(session: Session, filters: Filters, now: datetime, months, plan) -> _Turnaround:
    result = _Turnaround(dict.fromkeys(COUNTS, 0))
    for row in _referral_groups(session, filters, months, plan):
        result.tally(row, {FIGURE_NAMES.get(name, name): row[name] for name in REFERRAL_COUNTS})
    for row in _referral_groups(session, filters, months, plan, by_origin=True):
        for table, key in (
            (result.referrers, row["referrer_id"]),
            (result.boroughs, row["borough"]),
        ):
            table[key] = table.get(key, 0) + row["referrals"]
    for row in _timed_corrections(session, filters, now, months):
        result.tally(row, {name: -row[name] for name in TIMED})
    result.percentiles = _duration_percentiles(session, filters, plan)
    return result


def _organisations(session: Session, ids) -> dict:
    return {
        row.id: row
        for row in session.execute(
            select(Organisation.id, Organisation.slug, Organisation.name).where(
                Organisation.id.in_(set(ids))
            )
        )
    }


def _partner_rows(counted: _Turnaround, organisations: dict) -> list[dict]:
    """The per-partner table, by partner name."""
    percentiles = counted.percentiles
    return sorted(
        (
            {
                "partner": organisations[partner_id].slug,
                "name": organisations[partner_id].name,
                "referrals": counts["referrals"],
                "forwarding": _forwarding(
                    counts, percentiles["forward"].get(partner_id, (None, None))
                ),
                "contact": _contact(counts, percentiles["contact"].get(partner_id, (None, None))),
                "overdue_open": counts["forward_overdue"] + counts["contact_overdue"],
            }
            for partner_id, counts in counted.by_partner.items()
        ),
        key=lambda row: row["name"],
    )


def _outcome_rows(counted: _Turnaround) -> list[dict]:
    return _commonest_first(
        {"code": code, "label": OUTCOME_LABELS.get(code, code), "count": count}
        for code in OUTCOME_CODES
        if (count := counted.total.get(f"outcome:{code}", 0))
    )


def figures(session: Session, filters: Filters, now: datetime) -> dict:
    """Every figure the dashboard shows, for ``filters`` as of ``now`` (see the module's
    docstring for how the SLA shares are counted)."""
    from hub.figures import rollup

    months = _month_buckets(filters)
    plan = rollup.plan(session, filters.start, filters.end)
    counted = _turnaround(session, filters, now, months, plan)
    total, by_month, by_question = counted.total, counted.by_month, counted.by_question
    percentiles = counted.percentiles
    asked = _questionnaires(session, filters, months, plan)
    submissions = sum(asked["by_month"].values())
    choices = filter_choices(session)
    question_labels = dict(choices["questions"])
    referrers = _origin_rows(asked["referrers"], counted.referrers)
    organisations = _organisations(session, set(counted.by_partner) | set(referrers))
    partners = _partner_rows(counted, organisations)

    def monthly(index: int, name: str) -> int:
        return by_month.get(index, {}).get(name, 0)

    borough_names = dict(choices["boroughs"])
    return {
        "submissions": submissions,
        "referrals": total["referrals"],
        "flags_per_questionnaire": (
            round(total["referrals"] / submissions, 2) if submissions else None
        ),
        "forwarding": _forwarding(total, percentiles["forward"].get(ALL, (None, None))),
        "contact": _contact(total, percentiles["contact"].get(ALL, (None, None))),
        "by_month": [
            {
                "month": first.strftime("%Y-%m"),
                "label": f"{calendar.month_name[first.month]} {first.year}",
                "submissions": asked["by_month"].get(index, 0),
                "referrals": monthly(index, "referrals"),
                "forwarding_share": _share(
                    monthly(index, "forward_within"), monthly(index, "forward_due")
                ),
                "contact_share": _share(
                    monthly(index, "contact_within"), monthly(index, "contact_due")
                ),
            }
            for index, (first, _) in enumerate(months)
        ],
        "by_question": _commonest_first(
            {"key": key, "label": question_labels.get(key, key), "referrals": count}
            for key, count in by_question.items()
        ),
        "by_referrer": _commonest_first(
            {
                "slug": organisations[org_id].slug,
                "name": organisations[org_id].name,
                **counts,
            }
            for org_id, counts in referrers.items()
        ),
        "by_borough": _commonest_first(
            {
                "slug": slug,
                "name": borough_names.get(slug, slug) if slug else NOT_RECORDED,
                **counts,
            }
            for slug, counts in _origin_rows(asked["boroughs"], counted.boroughs).items()
        ),
        "outcomes": _outcome_rows(counted),
        "declines": _declines(session, filters),
        "follow_ups": asked["follow_ups"],
        "wellbeing": asked["wellbeing"],
        "partners": partners,
    }


def _origin_rows(submissions: Mapping, referrals: Mapping) -> dict:
    """Questionnaires and referrals by referrer or borough, from their two counts."""
    return {
        key: {"submissions": submissions.get(key, 0), "referrals": referrals.get(key, 0)}
        for key in {**submissions, **referrals}
    }


def _commonest_first(rows) -> list[dict]:
    """Breakdown rows, the biggest first (by submissions, referrals or count), then by name."""

    def order(row):
        size = row.get("submissions", row.get("referrals", row.get("count")))
        return (-size, row.get("name") or row.get("code") or row.get("key"))

    return sorted(rows, key=order)


def _questionnaires(session: Session, filters: Filters, months, plan, full: bool = True) -> dict:
    """The period's questionnaires: how many by month, referrer (id) and borough; and (if
    ``full``) the follow-up answers and wellbeing changes. With a partner or a question filter,
    only questionnaires with such a flag count: the stored counts keep those apart for each
    partner and each question, but not for the two together, which are counted from the
    questionnaires themselves."""
    if filters.partner and filters.question:
        return _questionnaires_counted(session, filters, months, full)
    c = submission_counts.c
    month = _month_index_of_day(c.day, months).label("month_index")
    flagged = [
        c.flag_partner_id == (_organisation(filters.partner) if filters.partner else 0),
        c.flag_question == (filters.question or ""),
    ]
    rows = list(
        session.execute(
            _sums(
                submission_counts, SUBMISSION_COUNTS, plan, filters, c.referrer_id, c.borough, month
            ).where(*flagged)
        ).mappings()
    )
    stale = plan.stale_windows(submission.c.received_at)
    if stale is not None:
        keys = [
            *_submission_keys(),
            _month_index(submission.c.received_at, months).label("month_index"),
        ]
        rows += session.execute(
            select(*keys, *_submission_count_columns())
            .select_from(_SUBMISSION_SOURCE)
            .where(stale, *_submission_conditions(filters))
            .group_by(*keys)
        ).mappings()
    total: dict[str, int] = dict.fromkeys(SUBMISSION_COUNTS, 0)
    result = {"by_month": {}, "referrers": {}, "boroughs": {}}
    for row in rows:
        _add(total, {name: row[name] for name in SUBMISSION_COUNTS})
        for table, key in (
            (result["by_month"], row["month_index"]),
            (result["referrers"], row["referrer_id"]),
            (result["boroughs"], row["borough"]),
        ):
            table[key] = table.get(key, 0) + row["submissions"]
    pairs = total["wellbeing_pairs"]
    result["follow_ups"] = {
        "recorded": total["follow_ups"],
        "needs_met": {answer: total[f"needs_met_{answer}"] for answer in NEEDS_MET},
    }
    result["wellbeing"] = {
        "pairs": pairs,
        "change": {
            name: _round(total[f"wellbeing_{name}_change"] / pairs) if pairs else None
            for name in WELLBEING_QUESTIONS
        },
    }
    return result


def _questionnaires_counted(session: Session, filters: Filters, months, full: bool) -> dict:
    """``_questionnaires`` counted from the questionnaires themselves."""
    s = submission.c
    month = _month_index(s.received_at, months).label("month_index")
    rows = session.execute(
        select(month, s.referrer_organisation_id, client.c.borough, func.count())
        .select_from(submission.join(client, client.c.id == s.client_id))
        .where(*_submission_conditions(filters))
        .group_by(literal_column("month_index"), s.referrer_organisation_id, client.c.borough)
    ).all()
    result = {"by_month": {}, "referrers": {}, "boroughs": {}}
    for index, org_id, borough, count in rows:
        for table, key in (
            (result["by_month"], index),
            (result["referrers"], org_id),
            (result["boroughs"], borough),
        ):
            table[key] = table.get(key, 0) + count
    if full:
        result["follow_ups"] = _follow_ups(session, filters)
        result["wellbeing"] = _wellbeing(session, filters)
    return result


def _declines(session: Session, filters: Filters) -> list[dict]:
    """Declines by the partner's reason, as written (trimmed); the commonest first."""
    r = referral.c
    reason = func.trim(r.status_reason)
    rows = session.execute(
        select(reason, func.count())
        .select_from(_referral_from(filters))
        .where(*referral_conditions(filters), r.declined_at.is_not(None))
        .group_by(reason)
    ).all()
    return sorted(
        ({"reason": text or NOT_RECORDED, "count": count} for text, count in rows),
        key=lambda row: (-row["count"], row["reason"]),
    )


def _follow_ups(session: Session, filters: Filters) -> dict:
    f = FollowUp.__table__.c
    rows = dict(
        session.execute(
            select(f.needs_met, func.count())
            .select_from(submission.join(FollowUp.__table__, f.submission_id == submission.c.id))
            .where(*_submission_conditions(filters))
            .group_by(f.needs_met)
        ).all()
    )
    return {
        "recorded": sum(rows.values()),
        "needs_met": {answer: rows.get(answer, 0) for answer in NEEDS_MET},
    }


def _wellbeing(session: Session, filters: Filters) -> dict:
    """The mean change (follow-up minus questionnaire) in each ONS wellbeing score, over the
    questionnaires with both."""
    table = WellbeingScore.__table__
    before = table.alias("before")
    after = table.alias("after")
    row = session.execute(
        select(
            func.count(),
            *(func.avg(after.c[name] - before.c[name]).label(name) for name in WELLBEING_QUESTIONS),
        )
        .select_from(
            submission.join(
                before,
                and_(before.c.submission_id == submission.c.id, before.c.stage == "questionnaire"),
            ).join(
                after,
                and_(after.c.submission_id == submission.c.id, after.c.stage == "follow_up"),
            )
        )
        .where(*_submission_conditions(filters))
    ).one()
    pairs, *changes = row
    return {
        "pairs": pairs,
        "change": {
            name: _round(change) if pairs else None
            for name, change in zip(WELLBEING_QUESTIONS, changes, strict=True)
        },
    }


def overdue_now(session: Session, filters: Filters, now: datetime, limit: int = 100) -> list[dict]:
    """Open referrals past their forwarding or contact deadline right now, whenever they were
    received (the period is ignored; the other filters apply), the longest overdue first."""
    r = referral.c
    deadline = lifecycle.current_deadline_clause()
    conditions = [lifecycle.overdue_clause(now), *referral_conditions(filters, period=False)]
    rows = session.execute(
        select(
            r.id,
            r.reference,
            r.status,
            deadline.label("due_at"),
            Organisation.slug,
            Organisation.name,
        )
        .select_from(_referral_from(filters).join(Organisation, Organisation.id == r.partner_id))
        .where(*conditions)
        .order_by(deadline, r.id)
        .limit(limit)
    ).all()
    return [
        {
            "id": row.id,
            "reference": row.reference,
            "partner": row.slug,
            "partner_name": row.name,
            "stage": "forward" if row.status == RECEIVED else "contact",
            "due_at": row.due_at,
        }
        for row in rows
    ]


def turnaround(session: Session, filters: Filters, now: datetime) -> dict:
    """The answer of ``GET /api/v1/stats/turnaround`` (docs/design.md, "JSON API v1"): the
    dashboard's headline and per-partner figures, without the breakdowns it does not carry."""
    from hub.figures import rollup

    months = _month_buckets(filters)
    plan = rollup.plan(session, filters.start, filters.end)
    counted = _turnaround(session, filters, now, months, plan)
    submissions = sum(
        _questionnaires(session, filters, months, plan, full=False)["by_month"].values()
    )

    def block(values: dict) -> dict:
        return {key: value for key, value in values.items() if key != "overdue_open"}

    return {
        "submissions": submissions,
        "referrals": counted.total["referrals"],
        "forwarding": block(
            _forwarding(counted.total, counted.percentiles["forward"].get(ALL, (None, None)))
        ),
        "contact": block(
            _contact(counted.total, counted.percentiles["contact"].get(ALL, (None, None)))
        ),
        "outcomes": {row["code"]: row["count"] for row in _outcome_rows(counted)},
        "partners": [
            {
                "partner": row["partner"],
                "referrals": row["referrals"],
                "forwarding": block(row["forwarding"]),
                "contact": block(row["contact"]),
            }
            for row in _partner_rows(counted, _organisations(session, counted.by_partner))
        ],
    }


__all__ = [
    "FilterError",
    "Filters",
    "default_period",
    "figures",
    "filter_choices",
    "overdue_now",
    "parse_filters",
    "turnaround",
    "contact_met",
    "forwarding_met",
    "referral_conditions",
]
