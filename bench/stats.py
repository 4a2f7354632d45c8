"""How long the managers' figures take for a year at 1,000,000 referrals, beside hand-written SQL
for the same numbers.

    .venv/bin/python bench/stats.py [--referrals 1000000] [--seed 1] [--runs 5] [--postgres]
                                    [--queries] [--rebuild]

It builds a SQLite database with the demo hub and ``--referrals`` referrals received over the
12 months to a fixed Monday morning (``flask --app hub demo generate``'s generator, through the
app; without history events, which the figures never read), runs ``ANALYZE``, and keeps it in
the temporary folder keyed by size, seed, the generator's source and the migrations, so a
second run reuses it. ``--postgres`` builds the same in a scratch database on the local
PostgreSQL (127.0.0.1, user ``postgres``; dropped afterwards) instead. Either way it then stores
the figures' day and month counts afresh with the code as it is (``figures refresh --all``) and
prints how long that took.

Then it times ``hub.figures.report.figures`` for the whole period (the first run, and the best of
``--runs``) beside hand-written SQL (below: raw SQL text, window functions for the medians and
90th percentiles on SQLite, ``percentile_cont`` on PostgreSQL) that works out the same numbers,
checks that the two agree and prints any difference. Target: under 1 second on SQLite, and
within twice the hand-written SQL's time. It also times the figures with a partner, question,
referrer and borough filter (``hub.figures.report`` only). ``--queries`` also times each
statement of both, to its first row (a statement that streams its rows finishes during the
fetch, which is not shown).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import logging
import math
import os
import re
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from hub import create_app  # noqa: E402
from hub.clock import london_midnight  # noqa: E402
from hub.demo import history  # noqa: E402
from hub.extensions import db  # noqa: E402
from hub.figures import report, stored  # noqa: E402
from hub.figures.filters import Filters  # noqa: E402

NOW = datetime(2026, 11, 23, 10, 0)  # a Monday morning
MONTHS = 12
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CACHE = Path(tempfile.gettempdir()) / "sail-bench-stats"
# Also timed (hub.figures.report only): the year for one partner, question, referrer and borough.
FILTERS = (
    ("partner", "lfb-home-fire-safety"),
    ("question", "falls"),
    ("referrer", "brixton-hill-gp-practice"),
    ("borough", "southwark"),
)


def period() -> Filters:
    """The whole year the history covers, as London dates."""
    return Filters(start=(NOW - timedelta(days=365)).date(), end=NOW.date())


def make_app(url: str):
    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "HUB_ENV": "development"},
        instance_path=tempfile.mkdtemp(),
    )


def generator_key() -> str:
    """The generator's source and the migrations: a change to either builds a new database.
    (The figures' stored counts are counted again on every run: ``count_days``.)"""
    digest = hashlib.sha256()
    generator = sorted((ROOT / "hub" / "demo").glob("*.py"))
    for path in generator + sorted((ROOT / "hub" / "migrations" / "versions").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def build(app, referrals: int, seed: int, quiet: bool = False) -> float:
    """The demo hub and its history, then ``ANALYZE``; answers the seconds it took."""
    with app.app_context():
        started = time.perf_counter()
        upgrade()
        history.ensure_demo_hub(NOW - timedelta(days=400))
        shown = [0, time.perf_counter()]

        def progress(count: int) -> None:
            shown[0] += count
            if not quiet and time.perf_counter() - shown[1] > 10:
                shown[1] = time.perf_counter()
                print(f"  ... {shown[0]:,} referrals", flush=True)

        history.generate_history(
            referrals, NOW, months=MONTHS, seed=seed, progress=progress, events=False
        )
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        seconds = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
        return seconds


def count_days(app) -> tuple[int, float]:
    """Store the figures' day and month counts afresh, as the code now counts them (``flask
    --app hub figures refresh --all``): (days counted, seconds)."""
    with app.app_context():
        started = time.perf_counter()
        stored.note_every_day(db.session)
        days = stored.refresh(db.session)
        seconds = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    return days, seconds


def sqlite_database(referrals: int, seed: int, rebuild: bool) -> tuple[str, float | None]:
    """A cached SQLite file for this size and seed, built when missing: (url, build seconds or
    None when reused)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"stats-{referrals}-seed{seed}-{generator_key()}.db"
    if path.exists() and not rebuild:
        return f"sqlite:///{path}", None
    partial = path.with_suffix(f".{os.getpid()}.partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    seconds = build(make_app(f"sqlite:///{partial}"), referrals, seed)
    os.replace(partial, path)  # only a finished build is ever reused
    return f"sqlite:///{path}", seconds


# --- Hand-written SQL --------------------------------------------------------------------------


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
    declines = run(f"""
        SELECT trim(r.status_reason), count(*) FROM referral r
        WHERE {in_period} AND r.declined_at IS NOT NULL GROUP BY trim(r.status_reason)""")
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


def in_figures_form(raw: dict) -> dict:
    """The hand-written numbers arranged as ``hub.figures.report.figures`` answers them, for
    comparing."""
    organisations = raw["organisations"]

    def share(within, due):
        return round(within / due, 4) if due else None

    def rounded(value):
        return None if value is None else round(float(value), 2)

    def forwarding(counts, pair):
        return {
            "forwarded": counts["forwarded"],
            "median_hours": rounded(pair[0]),
            "p90_hours": rounded(pair[1]),
            "due": counts["forward_due"],
            "within_sla": counts["forward_within"],
            "share_within_sla": share(counts["forward_within"], counts["forward_due"]),
            "overdue_open": counts["forward_overdue"],
        }

    def contact(counts, pair):
        return {
            "contacted": counts["contacted"],
            "median_days": rounded(pair[0]),
            "p90_days": rounded(pair[1]),
            "due": counts["contact_due"],
            "within_sla": counts["contact_within"],
            "share_within_sla": share(counts["contact_within"], counts["contact_due"]),
            "overdue_open": counts["contact_overdue"],
        }

    submissions_by_month: dict[int, int] = {}
    by_referrer: dict[int, list[int]] = {}
    by_borough: dict[str | None, list[int]] = {}
    for month, referrer, borough, count in raw["submissions"]:
        submissions_by_month[month] = submissions_by_month.get(month, 0) + count
        by_referrer.setdefault(referrer, [0, 0])[0] += count
        by_borough.setdefault(borough, [0, 0])[0] += count
    for referrer, borough, count in raw["referrals_by_who"]:
        by_referrer.setdefault(referrer, [0, 0])[1] += count
        by_borough.setdefault(borough, [0, 0])[1] += count
    submissions = sum(submissions_by_month.values())
    total = raw["total"]
    none = (None, None)
    pairs, *changes = raw["wellbeing"]
    return {
        "submissions": submissions,
        "referrals": total["referrals"],
        "flags_per_questionnaire": round(total["referrals"] / submissions, 2)
        if submissions
        else None,
        "forwarding": forwarding(total, raw["forward"].get(-1, none)),
        "contact": contact(total, raw["contact"].get(-1, none)),
        "by_month": [
            {
                "month": first.strftime("%Y-%m"),
                "submissions": submissions_by_month.get(index, 0),
                "referrals": raw["by_month"].get(index, {}).get("referrals", 0),
                "forwarding_share": share(
                    raw["by_month"].get(index, {}).get("forward_within", 0),
                    raw["by_month"].get(index, {}).get("forward_due", 0),
                ),
                "contact_share": share(
                    raw["by_month"].get(index, {}).get("contact_within", 0),
                    raw["by_month"].get(index, {}).get("contact_due", 0),
                ),
            }
            for index, first in enumerate(raw["months"])
        ],
        "by_question": dict(raw["by_question"]),
        "by_referrer": {
            organisations[id_][0]: tuple(counts) for id_, counts in by_referrer.items()
        },
        "by_borough": {slug: tuple(counts) for slug, counts in by_borough.items()},
        "outcomes": dict(raw["outcomes"]),
        "declines": raw["declines"],
        "follow_ups": {
            "recorded": sum(raw["follow_ups"].values()),
            "needs_met": {
                answer: raw["follow_ups"].get(answer, 0) for answer in ("yes", "partly", "no")
            },
        },
        "wellbeing": {
            "pairs": pairs,
            "change": {
                name: rounded(change) if pairs else None
                for name, change in zip(
                    ("life_satisfaction", "worthwhile", "happy", "anxious"), changes, strict=True
                )
            },
        },
        "partners": {
            organisations[id_][0]: {
                "referrals": counts["referrals"],
                "forwarding": forwarding(counts, raw["forward"].get(id_, none)),
                "contact": contact(counts, raw["contact"].get(id_, none)),
                "overdue_open": counts["forward_overdue"] + counts["contact_overdue"],
            }
            for id_, counts in raw["partners"].items()
        },
    }


def comparable(figures: dict) -> dict:
    """``hub.figures.report.figures``' answer keyed the same way as ``in_figures_form``'s."""
    return {
        "submissions": figures["submissions"],
        "referrals": figures["referrals"],
        "flags_per_questionnaire": figures["flags_per_questionnaire"],
        "forwarding": figures["forwarding"],
        "contact": figures["contact"],
        "by_month": [
            {
                key: row[key]
                for key in (
                    "month",
                    "submissions",
                    "referrals",
                    "forwarding_share",
                    "contact_share",
                )
            }
            for row in figures["by_month"]
        ],  # fmt: skip
        "by_question": {row["key"]: row["referrals"] for row in figures["by_question"]},
        "by_referrer": {
            row["slug"]: (row["submissions"], row["referrals"]) for row in figures["by_referrer"]
        },
        "by_borough": {
            row["slug"]: (row["submissions"], row["referrals"]) for row in figures["by_borough"]
        },
        "outcomes": {row["code"]: row["count"] for row in figures["outcomes"]},
        "declines": {row["reason"]: row["count"] for row in figures["declines"]},
        "follow_ups": figures["follow_ups"],
        "wellbeing": figures["wellbeing"],
        "partners": {
            row["partner"]: {
                key: row[key] for key in ("referrals", "forwarding", "contact", "overdue_open")
            }
            for row in figures["partners"]
        },  # fmt: skip
    }


def differences(ours, theirs, path: str = "") -> list[str]:
    """Where two answers differ; medians and percentiles may differ by 0.01 (rounding of a
    float worked out two ways)."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        found = []
        for key in sorted(set(ours) | set(theirs), key=str):
            found += differences(ours.get(key), theirs.get(key), f"{path}.{key}")
        return found
    if isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        return [
            d
            for i, (a, b) in enumerate(zip(ours, theirs, strict=True))
            for d in differences(a, b, f"{path}[{i}]")
        ]
    if isinstance(ours, float) and isinstance(theirs, float) and abs(ours - theirs) <= 0.0101:
        return []
    if ours == theirs:
        return []
    return [f"{path}: hub.figures.report {ours!r}, hand-written SQL {theirs!r}"]


def timed(function, runs: int) -> tuple[float, float, object]:
    """(first run's seconds, best run's seconds, the last answer)."""
    times, answer = [], None
    for _ in range(runs):
        started = time.perf_counter()
        answer = function()
        times.append(time.perf_counter() - started)
    return times[0], min(times), answer


def statement_times(function) -> list[str]:
    """Run ``function`` once and answer each SQL statement's seconds to its first row, and its
    opening words."""
    lines: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        seconds = time.perf_counter() - conn.info.pop("bench_started")
        lines.append(f"{seconds:7.3f} s  {' '.join(statement.split())[:100]}")

    sa.event.listen(db.engine, "before_cursor_execute", before)
    sa.event.listen(db.engine, "after_cursor_execute", after)
    try:
        function()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)
        sa.event.remove(db.engine, "after_cursor_execute", after)
    return lines


def measure(app, runs: int, queries: bool = False) -> dict:
    """Time hub.figures.report.figures and the hand-written SQL for the period; compare their
    numbers.     With ``queries``, one more run of each times every statement."""
    filters = period()
    with app.app_context():
        session = db.session
        stats_first, stats_best, figures = timed(
            lambda: report.figures(session, filters, NOW), runs
        )
        session.rollback()
        connection = session.connection()
        hand_first, hand_best, raw = timed(lambda: hand_written(connection, filters, NOW), runs)
        session.rollback()
        found = differences(comparable(figures), in_figures_form(raw))
        filtered = {}
        for name, value in FILTERS:
            narrowed = dataclasses.replace(filters, **{name: value})
            first, best, _ = timed(lambda f=narrowed: report.figures(session, f, NOW), runs)
            filtered[f"{name} {value}"] = (first, best)
            session.rollback()
        statements = {}
        if queries:
            statements["hub.figures.report"] = statement_times(
                lambda: report.figures(session, filters, NOW)
            )
            session.rollback()
            connection = session.connection()
            statements["hand-written"] = statement_times(
                lambda: hand_written(connection, filters, NOW)
            )
            session.rollback()
        session.remove()
        db.engine.dispose()
    return {
        "stats_first": stats_first,
        "stats_best": stats_best,
        "hand_first": hand_first,
        "hand_best": hand_best,
        "differences": found,
        "filtered": filtered,
        "statements": statements,
        "referrals": figures["referrals"],
        "submissions": figures["submissions"],
    }


def print_results(label: str, size: int, built: float | None, result: dict, counted) -> None:
    made = "reused" if built is None else f"built in {built:.0f} s"
    ratio = result["stats_best"] / result["hand_best"]
    print(
        f"{label}: {size:,} referrals generated ({made}); in the year: "
        f"{result['referrals']:,} referrals, {result['submissions']:,} questionnaires"
    )
    print(f"  storing the figures' counts for {counted[0]} days took {counted[1]:.1f} s")
    for name, key in (("hub.figures.report.figures", "stats"), ("hand-written SQL ", "hand")):
        print(
            f"  {name}   first {result[key + '_first']:7.3f} s   "
            f"best {result[key + '_best']:7.3f} s"
        )
    print(
        f"  ratio stats / hand-written {ratio:.2f} (target at most 2); "
        f"under 1 s: {'yes' if result['stats_best'] < 1 else 'no'}"
    )
    for name, (first, best) in result["filtered"].items():
        print(f"  figures with {name:<34} first {first:7.3f} s   best {best:7.3f} s")
    for name, lines in result["statements"].items():
        print(f"  {name}, statement by statement:")
        for line in lines:
            print(f"    {line}")
    if result["differences"]:
        print(f"  {len(result['differences'])} numbers differ:")
        for line in result["differences"][:40]:
            print(f"    {line}")
    else:
        print("  hub.figures.report and the hand-written SQL agree on every number")


def run_postgres(referrals: int, seed: int, runs: int, queries: bool) -> dict:
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"sail_bench_stats_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        app = make_app(url)
        built = build(app, referrals, seed)
        counted = count_days(app)
        result = measure(app, runs, queries)
        print_results("PostgreSQL", referrals, built, result, counted)
        return result
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--referrals", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", action="store_true", help="Run on the local PostgreSQL.")
    parser.add_argument("--rebuild", action="store_true", help="Build the SQLite file again.")
    parser.add_argument(
        "--queries", action="store_true", help="Time each SQL statement too (to its first row)."
    )
    args = parser.parse_args(argv)
    logging.disable(logging.INFO)  # alembic's migration lines
    if args.postgres:
        result = run_postgres(args.referrals, args.seed, args.runs, args.queries)
    else:
        url, built = sqlite_database(args.referrals, args.seed, args.rebuild)
        counted = count_days(make_app(url))
        result = measure(make_app(url), args.runs, args.queries)
        print_results("SQLite", args.referrals, built, result, counted)
    return 1 if result["differences"] else 0


if __name__ == "__main__":
    sys.exit(main())
