"""How long one ``run-due`` takes as the hub grows: the SLA watch must cost what is due now, not
what the hub has ever had.

    .venv/bin/python bench/sweep.py [--due 250] [--sizes 10000:500,1000000:50000]

For each size (total referrals : open referrals) it builds a new SQLite database (or uses
DATABASE_URL, emptied first, for PostgreSQL) with the demo hub and that history (four flags per
questionnaire; the closed ones long past, the open ones forwarded over the last fortnight, of
which ``--due`` have a chase due now), then times the watch alone and one whole
``jobs.run_due`` (watch, daily messages already done for the day, sweep, dispatch of up to 100
queued messages to the log channel). It prints one line per size and the ratio of the largest
size's time to the smallest's. Target: under 1 second at 1,000,000 total on SQLite, and a ratio
near 1 (the time follows the number due, which is the same at every size).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from hub import create_app  # noqa: E402
from hub.demo.load import load_demo  # noqa: E402
from hub.extensions import db  # noqa: E402
from hub.jobs import schedule, watch  # noqa: E402
from hub.models import Client, JobMark, Organisation, Referral, Submission, User  # noqa: E402

NOW = datetime(2026, 11, 23, 10, 0)  # a Monday morning, after the daily messages went
FLAGS = 4
CHUNK = 20_000


def build(total: int, open_count: int, due: int) -> None:
    """``total`` referrals, ``open_count`` of them waiting on partners, ``due`` with a chase due."""
    load_demo(NOW - timedelta(days=400))
    db.session.commit()
    partners = db.session.scalars(
        sa.select(Organisation.id).where(Organisation.kind == "partner").order_by(Organisation.id)
    ).all()
    frontline = db.session.scalar(sa.select(User).where(User.role == "frontline"))
    version_id = db.session.execute(sa.text("SELECT id FROM questionnaire_version")).scalar()
    submissions = total // FLAGS
    first_open = submissions - open_count // FLAGS  # the newest questionnaires are the open ones
    for start in range(0, submissions, CHUNK // FLAGS):
        numbers = range(start, min(submissions, start + CHUNK // FLAGS))
        clients, subs, referrals = [], [], []
        for n in numbers:
            is_open = n >= first_open
            if is_open:
                # Spread over the last 13 days; the first ``due`` of them are 7 days and a bit in.
                age = (
                    timedelta(days=7, minutes=1 + (n - first_open))
                    if (n - first_open) * FLAGS < due
                    else timedelta(minutes=(n * 37) % (13 * 24 * 60))
                )
            else:
                age = timedelta(days=30 + n % 300)
            received = NOW - age - timedelta(hours=2)
            clients.append(
                {
                    "id": n + 1,
                    "match_key": f"bench|person {n}|1940-01-01",
                    "given_name": "Bench",
                    "family_name": f"Person {n}",
                    "date_of_birth": date(1940, 1, 1),
                    "address": "1 Test Street, London",
                    "postcode": "SE1 7PB",
                    "phone": "+442079460123",
                    "preferred_contact": "phone",
                    "created_at": received,
                }
            )
            subs.append(
                {
                    "id": n + 1,
                    "reference": f"B{n:09d}",
                    "questionnaire_version_id": version_id,
                    "client_id": n + 1,
                    "submitted_by_id": frontline.id,
                    "referrer_organisation_id": frontline.organisation_id,
                    "received_at": received,
                    "follow_up_due_at": received + timedelta(days=28),
                    "answers": {},
                    "consent_given": True,
                    "consent_recorded_by_id": frontline.id,
                    "consent_recorded_at": received,
                }
            )
            for flag in range(FLAGS):
                forwarded = received + timedelta(hours=2)
                row = {
                    "reference": f"B{n:09d}-{flag + 1:02d}",
                    "submission_id": n + 1,
                    "partner_id": partners[(n + flag) % len(partners)],
                    "question_key": "smoke_alarms",
                    "received_at": received,
                    "forward_due_at": received + timedelta(hours=24),
                    "forwarded_at": forwarded,
                    "contact_due_at": forwarded + timedelta(days=14),
                    "status": "forwarded" if is_open else "closed",
                    "sla_check_at": None,
                }
                if is_open:
                    # Steady state: the watch next looks at the next chase or the deadline; the
                    # ``due`` ones are 7 days and a few minutes in, their first chase due now.
                    moments = [forwarded + timedelta(days=d) for d in (7, 12, 14)]
                    is_due = (n - first_open) * FLAGS < due
                    row["sla_check_at"] = (
                        moments[0] if is_due else next(m for m in moments if m > NOW)
                    )
                else:
                    row.update(
                        contacted_at=forwarded + timedelta(days=3),
                        closed_at=forwarded + timedelta(days=20),
                        outcome="service_provided",
                    )
                referrals.append(row)
        db.session.execute(sa.insert(Client), clients)
        db.session.execute(sa.insert(Submission), subs)
        db.session.execute(sa.insert(Referral), referrals)
        db.session.commit()
    # The daily messages of the day went out at 08:00.
    for key in ("follow_ups_due", "partner_digests"):
        db.session.add(JobMark(key=f"{key}:{NOW.date().isoformat()}", done_at=NOW))
    db.session.commit()
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()


def measure(url: str, total: int, open_count: int, due: int) -> tuple[float, float, int]:
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "HUB_ENV": "development"},
        instance_path=tempfile.mkdtemp(),
    )
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        started = time.perf_counter()
        build(total, open_count, due)
        built = time.perf_counter() - started
        due_now = db.session.execute(
            sa.select(Referral.id, Referral.sla_check_at).where(Referral.sla_check_at <= NOW)
        ).all()
        waiting = len(due_now)
        started = time.perf_counter()
        summary = watch.watch_referrals(NOW)
        watch_seconds = time.perf_counter() - started
        # Put the same referrals back as due, and time the whole run the scheduler makes.
        db.session.execute(
            sa.update(Referral),
            [{"id": id_, "sla_check_at": at} for id_, at in due_now],
        )
        db.session.execute(sa.text("DELETE FROM referral_event WHERE kind = 'chase'"))
        db.session.execute(sa.text("DELETE FROM outbox_message"))
        db.session.commit()
        started = time.perf_counter()
        schedule.run_due(NOW)
        run_seconds = time.perf_counter() - started
        print(
            f"total {total:>9,}  open {open_count:>6,}  due {waiting:>5,}  "
            f"chased {summary['chased']:>5,}  watch {watch_seconds:6.3f} s  "
            f"run-due {run_seconds:6.3f} s  (built in {built:.0f} s)",
            flush=True,
        )
        db.session.remove()
        db.engine.dispose()
        return watch_seconds, run_seconds, waiting


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--due", type=int, default=250)
    parser.add_argument("--sizes", default="10000:500,1000000:50000")
    args = parser.parse_args()
    logging.disable(logging.INFO)  # the log channel would print every message
    sizes = [tuple(int(part) for part in size.split(":")) for size in args.sizes.split(",")]
    results = []
    for total, open_count in sizes:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/sweep.db"
        results.append(measure(url, total, open_count, args.due))
    (small_watch, small_run, _), (big_watch, big_run, _) = results[0], results[-1]
    print(
        f"ratio largest/smallest: watch {big_watch / small_watch:.2f}, "
        f"run-due {big_run / small_run:.2f} (target near 1; run-due target under 1 s)"
    )


if __name__ == "__main__":
    main()
