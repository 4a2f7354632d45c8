"""Medians and 90th percentiles of the time to forward and the time to contact, worked out in
the database.

For the whole hub or one partner: a short walk along a duration index (migration 0005) from a
stored count (``_walked_percentiles``), which reads a few rows rather than sorting the period's.
With any other filter: ``percentile_cont`` on PostgreSQL, and on SQLite, which has no percentile
function, the same linear interpolation over ``row_number()`` (``_percentiles``).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import (
    Float,
    Integer,
    bindparam,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session

from hub.figures.counts import add, duration_step, durations
from hub.figures.filters import Filters, period_not_leading, referral_conditions, referral_from
from hub.figures.period_counts import duration_groups
from hub.models import Referral
from hub.rollups import DURATION_STEPS

PERCENTILES = (0.5, 0.9)
# The lowest a walk starts from when no step lies under the rank it wants: below any duration.
LOWEST = -(10**12)
ALL = -1  # the group that stands for every partner together

referral = Referral.__table__


def _seconds_between(dialect: str, start, end):
    if dialect == "postgresql":
        return cast(func.extract("epoch", end - start), Float)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


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


def duration_percentiles(session: Session, filters: Filters, plan) -> dict:
    """Median and p90 hours to forward and days to contact, per partner id and overall (key
    ``ALL``): ``{"forward": {...}, "contact": {...}}``. For the whole hub or one partner, by
    index walks (``_walked_percentiles``); with any other filter, in one query per measure."""
    dialect = session.get_bind().dialect.name
    if not (filters.question or filters.referrer or filters.borough):
        return _walked_percentiles(session, filters, plan)
    r = referral.c
    source = referral_from(filters)
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


def _walked_percentiles(session: Session, filters: Filters, plan) -> dict:
    """``duration_percentiles`` without a sort. The stored counts say how many durations there
    are and how many fall under each of ``DURATION_STEPS``; so the value at any rank is found
    by starting an index walk at the highest step below it and stepping over the few durations
    between (``LIMIT 2 OFFSET k``), rather than by ranking them all. The walks go along the
    duration indexes of migration 0005, for the whole hub and by partner; the period is checked
    on the way (``period_not_leading``), not used to choose the rows."""
    dialect = session.get_bind().dialect.name
    r = referral.c
    groups = duration_groups(session, filters, plan)
    whole: dict[str, int] = {}
    for counts in groups.values():
        add(whole, counts)
    forward, contact, unit = durations(dialect)
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
                *period_not_leading(filters, dialect),
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
            lowest, skipped = duration_step(step, unit), count
        steps.append((position, lowest, above - below + 1, below - skipped))
    return steps
