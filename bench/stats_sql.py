"""The figures bench's hand-written SQL: raw SQL text that works out the dashboard's numbers for a
period by itself (window functions for the medians and 90th percentiles on SQLite,
``percentile_cont`` on PostgreSQL), to time ``hub.figures`` against and to check it by."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from hub.clock import london_midnight
from hub.figures.filters import Filters


def month_starts(filters: Filters) -> list[date]:
    months, day = [], filters.start.replace(day=1)
    while day <= filters.end:
        months.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return months


def month_case(column: str, months: list[date]) -> str:
    """Which month of the period a moment is in: its index, from the London months' starts."""
    whens = " ".join(
        f"WHEN {column} < :m{index} THEN {index - 1}" for index in range(1, len(months))
    )
    return f"CASE {whens} ELSE {len(months) - 1} END" if whens else "0"


SLA_COLUMNS = """
    count(*) AS referrals,
    count(r.forwarded_at) AS forwarded,
    sum(CASE WHEN r.forwarded_at IS NOT NULL
              OR (r.forward_due_at <= :now
                  AND (r.cancelled_at IS NULL OR r.cancelled_at > r.forward_due_at))
        THEN 1 ELSE 0 END) AS forward_due,
    sum(CASE WHEN r.forwarded_at <= r.forward_due_at THEN 1 ELSE 0 END) AS forward_within,
    sum(CASE WHEN r.status = 'received' AND r.forward_due_at <= :now THEN 1 ELSE 0 END)
        AS forward_overdue,
    count(r.contacted_at) AS contacted,
    sum(CASE WHEN r.contacted_at IS NOT NULL
              OR (r.contact_due_at <= :now
                  AND NOT (coalesce(r.declined_at <= r.contact_due_at, FALSE)
                           OR coalesce(r.closed_at <= r.contact_due_at, FALSE)
                           OR coalesce(r.cancelled_at <= r.contact_due_at, FALSE)))
        THEN 1 ELSE 0 END) AS contact_due,
    sum(CASE WHEN r.contacted_at <= r.contact_due_at THEN 1 ELSE 0 END) AS contact_within,
    sum(CASE WHEN r.status IN ('forwarded', 'accepted') AND r.contact_due_at <= :now
        THEN 1 ELSE 0 END) AS contact_overdue
"""
COUNTS = (
    "referrals", "forwarded", "forward_due", "forward_within", "forward_overdue", "contacted",
    "contact_due", "contact_within", "contact_overdue",
)  # fmt: skip


def hours(dialect: str, start: str, end: str) -> str:
    if dialect == "postgresql":
        return f"extract(epoch FROM {end} - {start}) / 3600.0"
    return f"(julianday({end}) - julianday({start})) * 24.0"


def percentile_sql(dialect: str, value: str, present: str) -> str:
    """Per partner and for all (partner -1): the median and 90th percentile of ``value``."""
    where = f"r.received_at >= :start AND r.received_at < :end AND {present} IS NOT NULL"
    if dialect == "postgresql":
        return f"""
            SELECT coalesce(r.partner_id, -1),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY {value}),
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY {value})
            FROM referral r WHERE {where}
            GROUP BY GROUPING SETS ((r.partner_id), ())"""

    # SQLite has no percentile_cont: rank the values per partner and all together, in one scan,
    # and keep the rows either side of each percentile's position (interpolated in Python).
    def near(rank: str, size: str) -> str:
        return (
            f"{rank} IN (CAST(({size} - 1) * 0.5 AS INTEGER), CAST(({size} - 1) * 0.5 AS INTEGER)"
            f" + 1, CAST(({size} - 1) * 0.9 AS INTEGER), CAST(({size} - 1) * 0.9 AS INTEGER) + 1)"
        )

    return f"""
        WITH ranked AS (
            SELECT r.partner_id AS grp, {value} AS x,
                   row_number() OVER (PARTITION BY r.partner_id ORDER BY {value}) - 1 AS rn,
                   count(*) OVER (PARTITION BY r.partner_id) AS n,
                   row_number() OVER (ORDER BY {value}) - 1 AS arn,
                   count(*) OVER () AS an
            FROM referral r WHERE {where})
        SELECT grp, n, rn, an, arn, x FROM ranked WHERE {near("rn", "n")} OR {near("arn", "an")}"""


def interpolate(rows) -> dict[int, tuple[float, float]]:
    """percentile_cont from the ranked rows either side of each position."""
    found: dict[int, dict] = {}
    sizes: dict[int, int] = {}
    for group, n, rank, all_n, all_rank, value in rows:
        for key, size, place in ((group, n, rank), (-1, all_n, all_rank)):
            found.setdefault(key, {})[place] = value
            sizes[key] = size
    answer = {}
    for group, values in found.items():
        pair = []
        for p in (0.5, 0.9):
            position = (sizes[group] - 1) * p
            low = math.floor(position)
            high = values[low + 1] if position > low else values[low]
            pair.append(values[low] + (position - low) * (high - values[low]))
        answer[group] = tuple(pair)
    return answer


def hand_written(connection, filters: Filters, now: datetime) -> dict:
    """The dashboard's numbers from raw SQL: one pass over the period's referrals for the counts,
    one ranking per duration, and small queries for the rest."""
    dialect = connection.dialect.name
    months = month_starts(filters)
    start, end = london_midnight(filters.start), london_midnight(filters.end + timedelta(days=1))
    params = {"start": start, "end": end, "now": now}
    params.update({f"m{i}": london_midnight(day) for i, day in enumerate(months) if i})

    def run(sql: str):
        used = set(re.findall(r":(\w+)", sql))
        types = [sa.bindparam(name, type_=sa.DateTime) for name in params if name in used]
        return connection.execute(sa.text(sql).bindparams(*types), params).all()

    in_period = "r.received_at >= :start AND r.received_at < :end"
    grouped = run(f"""
        SELECT r.partner_id, r.question_key, {month_case("r.received_at", months)} AS month,
               {SLA_COLUMNS}
        FROM referral r WHERE {in_period}
        GROUP BY r.partner_id, r.question_key, month""")
    total = dict.fromkeys(COUNTS, 0)
    partners: dict[int, dict] = {}
    by_month: dict[int, dict] = {}
    by_question: dict[str, int] = {}
    for row in grouped:
        values = row._mapping
        for bucket in (total, partners.setdefault(row[0], {}), by_month.setdefault(row[2], {})):
            for name in COUNTS:
                bucket[name] = bucket.get(name, 0) + values[name]
        by_question[row[1]] = by_question.get(row[1], 0) + values["referrals"]
    outcomes = run(f"""
        SELECT r.outcome, count(*) FROM referral r WHERE {in_period} AND r.status = 'closed'
        GROUP BY r.outcome""")

    forward = run(percentile_sql(dialect, hours(dialect, "r.received_at", "r.forwarded_at"),
                                 "r.forwarded_at"))  # fmt: skip
    contact = run(percentile_sql(dialect,
                                 hours(dialect, "r.forwarded_at", "r.contacted_at") + " / 24.0",
                                 "r.contacted_at"))  # fmt: skip
    if dialect == "postgresql":
        forward = {group: (median, p90) for group, median, p90 in forward}
        contact = {group: (median, p90) for group, median, p90 in contact}
    else:
        forward, contact = interpolate(forward), interpolate(contact)

    s_period = "s.received_at >= :start AND s.received_at < :end"
    submissions = run(f"""
        SELECT {month_case("s.received_at", months)} AS month, s.referrer_organisation_id,
               c.borough, count(*)
        FROM submission s JOIN client c ON c.id = s.client_id WHERE {s_period}
        GROUP BY month, s.referrer_organisation_id, c.borough""")
    referrals_by_who = run(f"""
        SELECT s.referrer_organisation_id, c.borough, count(*)
        FROM referral r JOIN submission s ON s.id = r.submission_id
             JOIN client c ON c.id = s.client_id
        WHERE {in_period} GROUP BY s.referrer_organisation_id, c.borough""")
    # Declines by the reason's code the partner chose, kept in the "declined" event's details.
    reason_code = (
        "e.details->>'reason_code'" if dialect == "postgresql"
        else "json_extract(e.details, '$.reason_code')"
    )  # fmt: skip
    declines = run(f"""
        SELECT {reason_code} AS code, count(*) FROM referral r
             LEFT JOIN referral_event e ON e.referral_id = r.id AND e.kind = 'declined'
        WHERE {in_period} AND r.declined_at IS NOT NULL GROUP BY code""")
    follow_ups = run(f"""
        SELECT f.needs_met, count(*) FROM follow_up f JOIN submission s ON s.id = f.submission_id
        WHERE {s_period} GROUP BY f.needs_met""")
    (wellbeing,) = run(f"""
        SELECT count(*), avg(a.life_satisfaction - b.life_satisfaction),
               avg(a.worthwhile - b.worthwhile), avg(a.happy - b.happy),
               avg(a.anxious - b.anxious)
        FROM submission s
             JOIN wellbeing_score b ON b.submission_id = s.id AND b.stage = 'questionnaire'
             JOIN wellbeing_score a ON a.submission_id = s.id AND a.stage = 'follow_up'
        WHERE {s_period}""")
    organisations = {
        id_: (slug, name)
        for id_, slug, name in connection.execute(
            sa.text("SELECT id, slug, name FROM organisation")
        )
    }
    return {
        "total": total,
        "partners": partners,
        "by_month": by_month,
        "by_question": by_question,
        "outcomes": outcomes,
        "forward": forward,
        "contact": contact,
        "submissions": submissions,
        "referrals_by_who": referrals_by_who,
        "declines": dict(declines),
        "follow_ups": dict(follow_ups),
        "wellbeing": tuple(wellbeing),
        "organisations": organisations,
        "months": months,
    }
