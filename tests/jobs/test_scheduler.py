"""The scheduler loop: APScheduler runs every job in its own process, never overlapping."""

from hub.jobs import scheduler
from hub.models import OutboxMessage
from hub.referrals import lifecycle
from tests.factories import submit, user


def test_the_loop_runs_one_job_that_never_overlaps_and_coalesces(app):
    app.config["HUB_SCHEDULER_SECONDS"] = 45
    built = scheduler.build_scheduler(app)
    (job,) = built.get_jobs()
    assert job.id == scheduler.JOB_ID
    assert job.trigger.interval.total_seconds() == 45
    assert job.coalesce is True
    assert job.max_instances == 1
    assert job.misfire_grace_time == 225


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
