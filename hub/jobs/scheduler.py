"""The scheduler loop (``flask --app hub scheduler``): APScheduler in its own process, never
inside web workers, running ``hub.jobs.schedule`` every ``HUB_SCHEDULER_SECONDS``.

Every job is idempotent (what it sends carries a unique key), so a missed run is simply made up
by the next one: runs coalesce and never overlap.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from hub.clock import utcnow
from hub.extensions import db
from hub.jobs import schedule

log = logging.getLogger(__name__)
JOB_ID = "run-due"


def run_jobs_once(app: Flask) -> None:
    """One pass of every job as of now. A failing job is logged, and the loop carries on."""
    with app.app_context():
        try:
            for name, summary in schedule.run_due(utcnow()):
                log.info("%s: %s", name, schedule.describe(summary))
        except Exception:
            log.exception("scheduled jobs failed; they will run again at the next interval")
            db.session.rollback()
        finally:
            db.session.remove()


def build_scheduler(app: Flask) -> BlockingScheduler:
    seconds = app.config["HUB_SCHEDULER_SECONDS"]
    scheduler = BlockingScheduler(timezone="UTC")
    scheduler.add_job(
        run_jobs_once,
        "interval",
        seconds=seconds,
        id=JOB_ID,
        args=[app],
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=seconds * 5,
        next_run_time=utcnow(),  # a first pass straight away
    )
    return scheduler
