"""The scheduler loop (``flask --app hub scheduler``): APScheduler in its own process, never
inside web workers, running ``hub.jobs.schedule`` every ``HUB_SCHEDULER_SECONDS``.

Each of the schedule's lanes (``schedule.LANES``: the watch and daily work, email dispatch, SMS
dispatch) is an APScheduler job of its own, in a thread of its own: a mail server that hangs
holds up only email. Every job is idempotent (what it sends carries a unique key), so a missed
run is simply made up by the next one: each lane's runs coalesce and never overlap.
"""

from __future__ import annotations

import logging

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from hub.clock import utcnow
from hub.extensions import db
from hub.jobs import schedule

log = logging.getLogger(__name__)


def run_lane_once(app: Flask, lane: str) -> None:
    """One pass of a lane's jobs as of now, in an app context (and database session) of its
    own. A failing job is logged, and the loop carries on."""
    with app.app_context():
        try:
            for name, summary in schedule.run_lane(lane, utcnow()):
                log.info("%s: %s", name, schedule.describe(summary))
        except Exception:
            log.exception("%s jobs failed; they will run again at the next interval", lane)
            db.session.rollback()
        finally:
            db.session.remove()


def run_jobs_once(app: Flask) -> None:
    """One pass of every lane, one after another (what the scheduler does side by side)."""
    for lane in schedule.LANES:
        run_lane_once(app, lane)


def build_scheduler(app: Flask) -> BlockingScheduler:
    seconds = app.config["HUB_SCHEDULER_SECONDS"]
    scheduler = BlockingScheduler(
        timezone="UTC", executors={"default": ThreadPoolExecutor(len(schedule.LANES))}
    )
    for lane in schedule.LANES:
        scheduler.add_job(
            run_lane_once,
            "interval",
            seconds=seconds,
            id=lane,
            args=[app, lane],
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=seconds * 5,
            next_run_time=utcnow(),  # a first pass straight away
        )
    return scheduler
