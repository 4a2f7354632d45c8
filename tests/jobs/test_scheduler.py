"""The scheduler loop: APScheduler runs every job in its own process, never overlapping."""

from hub.jobs import schedule, scheduler
from hub.models import OutboxMessage
from hub.referrals import lifecycle
from tests.factories import submit, user


def test_each_lane_is_a_job_that_never_overlaps_itself_and_coalesces(app):
    app.config["HUB_SCHEDULER_SECONDS"] = 45
    built = scheduler.build_scheduler(app)
    jobs = built.get_jobs()
    # Email and SMS are dispatched apart from each other and from the watch: one stalled
    # channel holds up nothing else; nor does a big export built after a restart.
    assert [job.id for job in jobs] == ["watch", "email", "sms", "exports"]
    for job in jobs:
        assert job.trigger.interval.total_seconds() == 45
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.misfire_grace_time == 225
    assert built._executors["default"]._pool._max_workers >= 3


def test_the_lanes_hold_every_job_once_in_order():
    names = [name for name, _ in schedule.JOBS]
    laned = [name for lane in schedule.LANES.values() for name in lane]
    assert sorted(laned) == sorted(names)
    assert schedule.LANES["email"] == ["dispatch email"]
    assert schedule.LANES["sms"] == ["dispatch sms"]
    assert schedule.LANES["exports"] == ["exports"]
    assert schedule.LANES["watch"] == [
        n for n in names if not n.startswith("dispatch ") and n != "exports"
    ]


def test_one_pass_sends_what_is_due(app, db, demo_hub, now):
    submission = submit(user("frontline"), now, yes=("smoke_alarms",))
    lifecycle.forward_referral(submission.referrals[0], user("hub"), now)
    db.session.commit()
    # The partner's email and the referrer's (demo partners have no SMS number).
    assert db.session.query(OutboxMessage).filter_by(status="pending").count() == 2

    scheduler.run_jobs_once(app)  # no SMTP configured: the log channel takes it

    db.session.expire_all()
    # Everything queued went, the two above among them. (The pass runs as of the real clock, long
    # after ``now``: the SLA watch escalates the referral too, and its messages go in the same run.)
    assert db.session.query(OutboxMessage).filter_by(status="pending").count() == 0
    sent = {m.kind for m in db.session.query(OutboxMessage).filter_by(status="sent")}
    assert {"referral_forwarded", "referrer_forwarded", "contact_overdue"} <= sent
