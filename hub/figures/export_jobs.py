"""Exports built in the background: the referral rows as Excel, which openpyxl writes at some
1,500 rows a second (18,776 rows took 14.5 s inside a request, with nothing to see meanwhile).

The exports page asks (``ask``: one ``export_job`` row, committed, so nothing accepted is lost),
then a thread of the web process builds it at once (``start_thread``). If that process stops
first, the job waits, or its heartbeat stops, and the scheduler's ``exports`` job
(``build_due``) takes it up: whoever claims a job does so by a conditional UPDATE, so two
builders never build one job. The file is kept in the database (so any web instance can hand it
out) for ``KEEP_HOURS``, then removed. Each download is recorded in ``export_audit`` as a
direct download is (``hub.figures.exports.record_export``), by the view, before it is sent.

The rows are the ones counted when the export was asked for (``first_id``..``last_id`` under the
filter), as of that moment, so the file matches the count the page showed.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import or_, select, update

from hub.clock import utcnow
from hub.extensions import db
from hub.figures import export_rows, exports
from hub.figures.filters import Filters
from hub.models import ExportJob, User

WAITING, BUILDING, READY, FAILED, EXPIRED = "waiting", "building", "ready", "failed", "expired"
# A build moves its heartbeat on at least this often; one this late has stopped.
STALE_AFTER = timedelta(minutes=2)
PROGRESS_EVERY = 1000  # rows between progress notes
KEEP_HOURS = 24


def in_background(kind: str, file_format: str) -> bool:
    """Which downloads are built in the background: the referral rows as Excel (CSV is
    streamed as it is read, and the figures are a few hundred rows)."""
    return kind == exports.REFERRALS and file_format == exports.XLSX


def ask(user: User, kind: str, file_format: str, filters: Filters, now: datetime) -> ExportJob:
    """A job for ``user``, waiting to be built, in the caller's transaction."""
    snapshot = export_rows.referral_snapshot(filters)
    job = ExportJob(
        user_id=user.id,
        kind=kind,
        file_format=file_format,
        filters=filters.as_args(),
        status=WAITING,
        rows_total=snapshot.rows,
        first_id=snapshot.first_id,
        last_id=snapshot.last_id,
        rows_done=0,
        created_at=now,
        file_name=exports.filename(kind, filters, file_format),
    )
    db.session.add(job)
    return job


def job_of(user: User, job_id: int) -> ExportJob | None:
    """One of ``user``'s own jobs; nobody else's."""
    job = db.session.get(ExportJob, job_id)
    return job if job is not None and job.user_id == user.id else None


def percent_done(job: ExportJob) -> int:
    if job.status == READY:
        return 100
    return min(99, job.rows_done * 100 // job.rows_total) if job.rows_total else 0


def start_thread(app: Flask, job_id: int) -> threading.Thread:
    """Build the job in a thread of this process, at once (its own app context and session)."""

    def run() -> None:
        with app.app_context():
            build(job_id, utcnow)

    thread = threading.Thread(target=run, name=f"export-{job_id}", daemon=True)
    thread.start()
    return thread


def build_due(now: datetime) -> dict[str, int]:
    """The scheduler's job: build every job left waiting, or whose build stopped (a restart),
    one after another; then remove the files of jobs older than ``KEEP_HOURS``."""
    stale = now - STALE_AFTER
    ids = db.session.scalars(
        select(ExportJob.id)
        .where(
            or_(
                ExportJob.status == WAITING,
                (ExportJob.status == BUILDING) & (ExportJob.heartbeat_at < stale),
            )
        )
        .order_by(ExportJob.id)
    ).all()
    db.session.commit()
    built = sum(build(job_id, lambda: now) for job_id in ids)
    expired = db.session.execute(
        update(ExportJob)
        .where(
            ExportJob.status.in_((READY, FAILED)),
            ExportJob.created_at < now - timedelta(hours=KEEP_HOURS),
        )
        .values(status=EXPIRED, content=None)
    ).rowcount
    db.session.commit()
    return {"built": built, "expired": expired}


def _claim(job_id: int, now: datetime) -> bool:
    """Take the job to build, if it waits or its build stopped: one UPDATE, so of two builders
    only one gets it."""
    claimed = db.session.execute(
        update(ExportJob)
        .where(
            ExportJob.id == job_id,
            or_(
                ExportJob.status == WAITING,
                (ExportJob.status == BUILDING) & (ExportJob.heartbeat_at < now - STALE_AFTER),
            ),
        )
        .values(status=BUILDING, heartbeat_at=now, rows_done=0)
    ).rowcount
    db.session.commit()
    return claimed == 1


def build(job_id: int, clock: Callable[[], datetime]) -> bool:
    """Build one job if it can be claimed: write the file, noting progress as it goes (each
    note its own short transaction), then store it. Answers whether it built it."""
    if not _claim(job_id, clock()):
        return False
    job = db.session.get(ExportJob, job_id)
    try:
        content = _write(job, clock)
    except Exception as error:  # recorded for the person waiting, then logged
        db.session.rollback()
        _finish(job_id, FAILED, clock(), error=f"{type(error).__name__}: {error}"[:500])
        current_app.logger.exception("export %s failed", job_id)
        return False
    _finish(job_id, READY, clock(), content=content, rows_done=job.rows_total)
    return True


def _write(job: ExportJob, clock: Callable[[], datetime]) -> bytes:
    filters = Filters(**filter_values(job.filters))
    snapshot = export_rows.ReferralSnapshot(job.rows_total, job.first_id, job.last_id)
    key = export_rows.pseudonym_key(current_app.config)
    rows = export_rows.referral_rows(filters, job.created_at, key, snapshot)

    def note(done: int) -> None:
        db.session.execute(
            update(ExportJob)
            .where(ExportJob.id == job.id)
            .values(rows_done=done, heartbeat_at=clock())
        )
        db.session.commit()

    out = io.BytesIO()
    header = export_rows.REFERRAL_HEADER
    exports.write_xlsx([("Referrals", header, _noting(rows, PROGRESS_EVERY, note))], out)
    return out.getvalue()


def _noting(rows: Iterable[list], every: int, note: Callable[[int], None]) -> Iterator[list]:
    for number, row in enumerate(rows, 1):
        yield row
        if number % every == 0:
            note(number)


def _finish(job_id: int, status: str, now: datetime, **values) -> None:
    db.session.execute(
        update(ExportJob)
        .where(ExportJob.id == job_id)
        .values(status=status, finished_at=now, heartbeat_at=now, **values)
    )
    db.session.commit()


def filter_values(args: dict) -> dict:
    """A job's stored filter (``Filters.as_args``) as ``Filters``' fields."""
    values = {name: args.get(name) for name in ("partner", "referrer", "borough", "question")}
    return {
        "start": date.fromisoformat(args["from"]),
        "end": date.fromisoformat(args["to"]),
        **values,
    }
