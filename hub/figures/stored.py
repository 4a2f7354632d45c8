"""The stored day and month counts behind the managers' figures: what makes them quick at a
million referrals a year.

``hub.figures.counts`` owns what each count means; this module keeps three small tables of counts
(``hub.models``: ``referral_counts``, ``submission_counts``, ``duration_counts``), one row per
London day, or per London month (``span``), and per combination of what the figures can be
filtered by. A figure for a period is then the sum of a few thousand rows rather than a pass
over every referral.

Keeping them true:

- Database triggers (migration 0005) note in ``figures_stale`` the UTC date of every referral,
  questionnaire, follow-up or wellbeing score that is added, changed or removed, whatever
  code path wrote it. A UTC date stands for the two London days it can fall in.
- ``refresh`` (the scheduler's "figures" job, ``flask --app hub figures refresh``, and the end of
  ``demo generate``) takes those notes, counts each noted day again from the referrals, sums its
  month again from its days, and removes the notes, in one transaction.
- Until then, ``plan`` leaves stale days out of the sums and ``hub.figures.period_counts`` counts
  them from the referrals themselves. So the figures are never out of date; a stale day is only
  slower.

The stored counts never depend on the moment they are read: each counts a referral as it will
stand once its deadlines have passed (``hub.figures.counts.FOREVER``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Date, and_, cast, delete, func, insert, literal, or_, select, union
from sqlalchemy.orm import Session

from hub.clock import london_midnight
from hub.extensions import db
from hub.figures.counts import (
    duration_counts_query,
    referral_counts_query,
    submission_counts_query,
)
from hub.models import Referral, Submission
from hub.rollups import (
    DURATION_COUNTS,
    REFERRAL_COUNTS,
    SUBMISSION_COUNTS,
    duration_counts,
    figures_stale,
    referral_counts,
    submission_counts,
)

DAY, MONTH = "day", "month"
# Held while counting again on PostgreSQL, so two schedulers never count the same day at once.
LOCK_KEY = 72_410_006
referral = Referral.__table__
submission = Submission.__table__
BATCH_DAYS = 31
DAY_STEP = timedelta(days=1)


def month_of(day: date) -> date:
    return day.replace(day=1)


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += DAY_STEP


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Sorted days as runs of consecutive days, ``[(first, last), ...]``."""
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + DAY_STEP == day:
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(first, last) for first, last in runs]


def stale_days(session: Session) -> set[date]:
    """The London days whose stored counts may be out of date."""
    noted = session.scalars(select(figures_stale.c.day).distinct()).all()
    return {day + timedelta(days=offset) for day in noted for offset in (0, 1)}


@dataclass
class Plan:
    """How to count a period: whole months from month rows, other fresh days from day rows, and
    stale days (as runs) from the referrals themselves."""

    months: list[date] = field(default_factory=list)
    days: list[tuple[date, date]] = field(default_factory=list)
    stale: list[tuple[date, date]] = field(default_factory=list)

    def rows(self, table):
        """The stored rows this plan reads from ``table``."""
        c = table.c
        spans = []
        if self.months:
            spans.append(and_(c.span == MONTH, c.day.in_(self.months)))
        spans += [and_(c.span == DAY, c.day >= first, c.day <= last) for first, last in self.days]
        return or_(*spans) if spans else literal(False)

    def stale_windows(self, column):
        """The stale days as conditions on a ``received_at`` column (naive UTC), or ``None``."""
        if not self.stale:
            return None
        return or_(
            *(
                and_(column >= london_midnight(first), column < london_midnight(last + DAY_STEP))
                for first, last in self.stale
            )
        )


def plan(session: Session, start: date, end: date) -> Plan:
    """Which rows to sum for the London days ``start`` to ``end`` inclusive."""
    stale = stale_days(session)
    result = Plan()
    loose: list[date] = []
    month = month_of(start)
    while month <= end:
        following = (month + timedelta(days=32)).replace(day=1)
        last = following - DAY_STEP
        inside = month >= start and last <= end
        days = list(_days(max(month, start), min(last, end)))
        if inside and not stale.intersection(days):
            result.months.append(month)
        else:
            loose += days
        month = following
    result.days = _runs(day for day in loose if day not in stale)
    result.stale = _runs(day for day in loose if day in stale)
    return result


# --- Counting again --------------------------------------------------------------------------

_TABLES = (referral_counts, submission_counts, duration_counts)


def _day_rows(session: Session, day: date):
    """The INSERTs that store ``day``'s counts, from the referrals and questionnaires."""
    window = (london_midnight(day), london_midnight(day + DAY_STEP))
    dialect = session.get_bind().dialect.name
    for table, query in (
        (referral_counts, referral_counts_query(window)),
        (submission_counts, submission_counts_query(window)),
        (duration_counts, duration_counts_query(window, dialect)),
    ):
        columns = [column.name for column in query.selected_columns]
        source = select(literal(DAY).label("span"), literal(day).label("day"), *query.subquery().c)
        yield insert(table).from_select(["span", "day", *columns], source)


def _month_rows(table, month: date):
    """The INSERT that stores ``month``'s counts as the sum of its day rows."""
    c = table.c
    keys = [column for column in table.c if column.name not in _not_keys(table)]
    counts = [column for column in table.c if column.name in _count_names(table)]
    following = (month + timedelta(days=32)).replace(day=1)
    source = (
        select(
            literal(MONTH).label("span"),
            literal(month).label("day"),
            *keys,
            *(func.sum(column).label(column.name) for column in counts),
        )
        .where(c.span == DAY, c.day >= month, c.day < following)
        .group_by(*keys)
    )
    return insert(table).from_select(
        ["span", "day", *(k.name for k in keys), *(k.name for k in counts)], source
    )


def _count_names(table) -> set[str]:
    return set(
        {
            "referral_counts": REFERRAL_COUNTS,
            "submission_counts": SUBMISSION_COUNTS,
            "duration_counts": DURATION_COUNTS,
        }[table.name]
    )


def _not_keys(table) -> set[str]:
    return {"id", "span", "day", *_count_names(table)}


def note_every_day(session: Session) -> None:
    """Note every day with referrals or questionnaires as stale, so that ``refresh`` counts the
    whole history again (after a release changes what a count means, say)."""
    if session.get_bind().dialect.name == "sqlite":
        day_of = func.date
    else:

        def day_of(column):
            return cast(column, Date)

    days = union(
        select(day_of(submission.c.received_at)).distinct(),
        select(day_of(referral.c.received_at)).distinct(),
    ).subquery()
    session.execute(insert(figures_stale).from_select(["day"], select(days.c[0])))
    session.commit()


def refresh(session: Session, batch_days: int = BATCH_DAYS) -> int:
    """Count every stale day again, and its month, then forget that it was stale: a batch of
    noted dates per transaction, until none is left. Answers how many London days it counted."""
    counted = 0
    postgres = session.get_bind().dialect.name == "postgresql"
    while True:
        if postgres:
            session.execute(select(func.pg_advisory_xact_lock(LOCK_KEY)))
        noted = session.scalars(
            select(figures_stale.c.day).distinct().order_by(figures_stale.c.day).limit(batch_days)
        ).all()
        if not noted:
            session.commit()
            return counted
        # Take the notes first: a change that lands after this is noted again, and counted by
        # the next refresh; every change before it is seen by the counting below. Only what
        # this refresh took is counted (another may have taken the rest in between).
        taken = set(
            session.scalars(
                delete(figures_stale)
                .where(figures_stale.c.day.in_(noted))
                .returning(figures_stale.c.day)
            )
        )
        if not taken:
            session.commit()
            continue
        days = sorted({day + timedelta(days=offset) for day in taken for offset in (0, 1)})
        for table in _TABLES:
            session.execute(delete(table).where(table.c.span == DAY, table.c.day.in_(days)))
        for day in days:
            for statement in _day_rows(session, day):
                session.execute(statement)
        months = sorted({month_of(day) for day in days})
        for table in _TABLES:
            session.execute(delete(table).where(table.c.span == MONTH, table.c.day.in_(months)))
            for month in months:
                session.execute(_month_rows(table, month))
        session.commit()
        counted += len(days)


def refresh_job(now: datetime) -> dict[str, int]:
    """The scheduler's job: count again whatever changed since the last run."""
    return {"days counted": refresh(db.session)}
