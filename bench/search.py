"""How long a search takes at 100,000 referrals, on SQLite and PostgreSQL.

    .venv/bin/python bench/search.py [--referrals 100000] [--seed 1] [--samples 40] [--postgres]
                                     [--rebuild] [--plans]

It builds a database with the demo hub and ``--referrals`` referrals over the 12 months to a
fixed Monday morning (``flask --app hub demo generate``'s generator, without history events, as
``bench/stats.py`` does): SQLite in the temporary folder, kept for the next run (keyed by size,
seed, the generator's source and the migrations); with ``--postgres`` (or a PostgreSQL
``DATABASE_URL``), a scratch database on the local PostgreSQL, dropped afterwards (or the
database ``DATABASE_URL`` names, built on the first run and used as it is on later ones).

Then, for each kind of search hub staff make (a referral's or a questionnaire's reference, a
family name, a given and family name, a postcode, a date of birth), it picks ``--samples``
texts from the generated clients and times, for each text:

- ``api``: ``GET /api/v1/referrals?q=TEXT`` as hub staff, through the app (token check, the
  query, 50 referrals serialised);
- ``queue``: the hub queue's search (``hub.triage.queries.queue``, every status): the count and
  the first page of 50, soonest deadline first, with what the page shows loaded;
- ``sql``: the search's condition alone (the ids of every referral it finds).

and prints the median (p50) and 95th percentile (p95) in milliseconds per kind, and how many
referrals the searches found, beside the API's first page with no search (the cost of the
page itself). ``--plans`` also prints each kind's query plan. No target is
asserted; docs/bench.md keeps the figures.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from bench.stats import NOW, build, generator_key, make_app  # noqa: E402
from hub.auth import accounts  # noqa: E402
from hub.clock import utcnow  # noqa: E402
from hub.extensions import db  # noqa: E402
from hub.models import Client, Referral, Submission  # noqa: E402
from hub.referrals import search  # noqa: E402
from hub.triage import queries  # noqa: E402

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CACHE = Path(tempfile.gettempdir()) / "sail-bench-search"
KINDS = ("reference", "family name", "given and family", "postcode", "date of birth")


def sqlite_database(referrals: int, seed: int, rebuild: bool) -> tuple[str, float | None]:
    """A cached SQLite file for this size and seed, built when missing: (url, build seconds or
    None when reused)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"search-{referrals}-seed{seed}-{generator_key()}.db"
    if path.exists() and not rebuild:
        return f"sqlite:///{path}", None
    partial = path.with_suffix(f".{os.getpid()}.partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    seconds = build(make_app(f"sqlite:///{partial}"), referrals, seed, quiet=True)
    os.replace(partial, path)  # only a finished build is ever reused
    return f"sqlite:///{path}", seconds


def samples(count: int, seed: int) -> dict[str, list[str]]:
    """``count`` search texts of each kind, taken from the generated questionnaires, typed as
    hub staff might (any case, any spacing)."""
    rng = random.Random(seed)
    rows = db.session.execute(
        sa.select(
            Submission.reference,
            Client.given_name,
            Client.family_name,
            Client.postcode,
            Client.date_of_birth,
        ).join(Client, Submission.client_id == Client.id)
    ).all()
    referral_references = db.session.scalars(sa.select(Referral.reference)).all()
    picked = rng.sample(rows, min(count, len(rows)))
    half = count // 2
    return {
        "reference": [row.reference.lower() for row in picked[:half]]
        + rng.sample(referral_references, min(count - half, len(referral_references))),
        "family name": [row.family_name.upper() for row in picked],
        "given and family": [f"{row.given_name} {row.family_name}".lower() for row in picked],
        "postcode": [row.postcode.replace(" ", "").lower() for row in picked],
        "date of birth": [row.date_of_birth.isoformat() for row in picked],
    }


def percentiles(times: list[float]) -> tuple[float, float]:
    """(p50, p95) in milliseconds."""
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def measure(app, count: int, seed: int, plans: bool = False) -> dict:
    """{kind: {"api": (p50, p95), "queue": (p50, p95), "found": median referrals found}}."""
    results = {}
    with app.app_context():
        hub = accounts.find_user("hub@demo.sail.example")
        token = accounts.issue_token(hub, utcnow())
        db.session.commit()
        texts = samples(count, seed)
        db.session.remove()
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    # The baseline: the API's first page with no search, serialising 50 referrals as every
    # search that finds many does.
    plain = []
    for _ in range(count):
        started = time.perf_counter()
        assert client.get("/api/v1/referrals", headers=headers).status_code == 200
        plain.append(time.perf_counter() - started)
    results["no search (api)"] = {"api": percentiles(plain[1:]), "found": 50, "example": ""}
    for kind in KINDS:
        api_times, queue_times, sql_times, found = [], [], [], []
        for number, text in enumerate(texts[kind]):
            started = time.perf_counter()
            response = client.get("/api/v1/referrals", query_string={"q": text}, headers=headers)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.json
            with app.app_context():
                started = time.perf_counter()
                page = queries.queue(queries.QueueFilters(status=queries.ALL, q=text), NOW)
                queue_elapsed = time.perf_counter() - started
                started = time.perf_counter()
                matched = db.session.scalars(
                    sa.select(Referral.id).where(search.referral_condition(text))
                ).all()
                sql_elapsed = time.perf_counter() - started
                db.session.remove()
            if number:  # the first of each kind warms the caches
                api_times.append(elapsed)
                queue_times.append(queue_elapsed)
                sql_times.append(sql_elapsed)
            assert len(matched) == page.total
            found.append(page.total)
        results[kind] = {
            "api": percentiles(api_times),
            "queue": percentiles(queue_times),
            "sql": percentiles(sql_times),
            "found": statistics.median(found),
            "example": texts[kind][0],
        }
        if plans:
            results[kind]["plan"] = plan(app, texts[kind][0])
    with app.app_context():
        db.engine.dispose()
    return results


def plan(app, text: str) -> list[str]:
    """The database's plan for the API's query of one search."""
    with app.app_context():
        query = (
            sa.select(Referral.id)
            .where(search.referral_condition(text))
            .order_by(Referral.id)
            .limit(51)
        )
        compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
        connection = db.session.connection()
        if db.engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").all()
        else:  # with parameters (none), so the driver reads the compiled "%%" as "%"
            rows = connection.exec_driver_sql(f"EXPLAIN {compiled}", ()).all()
        db.session.remove()
    return [" | ".join(str(part) for part in row) for row in rows]


def report(label: str, size: int, built: float | None, results: dict) -> None:
    made = "reused" if built is None else f"built in {built:.0f} s"
    print(f"{label}: {size:,} referrals ({made})")
    print(f"  {'search by':<18} {'api p50':>9} {'api p95':>9} {'queue p50':>10} {'queue p95':>10}"
          f" {'sql p50':>9} {'sql p95':>9}  referrals found (median)")  # fmt: skip
    for kind, result in results.items():
        api = result["api"]
        if "queue" not in result:  # the baseline
            print(f"  {kind:<18} {api[0]:7.1f} ms {api[1]:6.1f} ms {'':>41}  (the first page)")
            continue
        page, sql = result["queue"], result["sql"]
        print(
            f"  {kind:<18} {api[0]:7.1f} ms {api[1]:6.1f} ms {page[0]:7.1f} ms {page[1]:7.1f} ms"
            f" {sql[0]:6.1f} ms {sql[1]:6.1f} ms  {result['found']:g} (e.g. {result['example']!r})"
        )
        for line in result.get("plan", ()):
            print(f"      {line}")


def run_postgres(referrals: int, seed: int, count: int, plans: bool) -> None:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql"):  # built once, then kept and reused
        app = make_app(url)
        with app.app_context():
            upgrade()
            made = db.session.scalar(sa.select(sa.func.count(Referral.id)))
            db.session.remove()
        built = None if made else build(app, referrals, seed, quiet=True)
        results = measure(app, count, seed, plans)
        report("PostgreSQL (DATABASE_URL)", made or referrals, built, results)
        return
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"sail_bench_search_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        app = make_app(url)
        built = build(app, referrals, seed, quiet=True)
        report("PostgreSQL", referrals, built, measure(app, count, seed, plans))
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--referrals", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--rebuild", action="store_true", help="build the SQLite file afresh")
    parser.add_argument("--plans", action="store_true", help="print each kind's query plan")
    args = parser.parse_args(argv)
    if args.postgres or os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        run_postgres(args.referrals, args.seed, args.samples, args.plans)
        return
    url, built = sqlite_database(args.referrals, args.seed, args.rebuild)
    app = make_app(url)
    report("SQLite", args.referrals, built, measure(app, args.samples, args.seed, args.plans))


if __name__ == "__main__":
    main()
