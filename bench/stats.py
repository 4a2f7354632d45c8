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
``--runs``) beside hand-written SQL (``bench/stats_sql.py``: raw SQL text, window functions for the
medians and 90th percentiles on SQLite, ``percentile_cont`` on PostgreSQL) that works out the same
numbers, checks that the two agree and prints any difference. Target: under 1 second on SQLite, and
within twice the hand-written SQL's time. It also times the figures with a partner, question,
referrer and borough filter (``hub.figures.report`` only). ``--queries`` also times each statement
of both, to its first row (a statement that streams its rows finishes during the fetch, which is
not shown).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import logging
import os
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from bench.stats_compare import comparable, differences, in_figures_form  # noqa: E402
from bench.stats_sql import hand_written  # noqa: E402
from hub import create_app  # noqa: E402
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
