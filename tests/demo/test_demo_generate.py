"""``flask --app hub demo generate``: synthetic history that keeps the hub's own rules (the SLA
deadlines, the order of a referral's stages, where the watch would look next), so the managers'
figures computed over it mean what they would mean over real work."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select

from hub import extensions
from hub.clock import parse_iso
from hub.demo import history
from hub.models import Client, FollowUp, Referral, ReferralEvent, Submission, WellbeingScore
from hub.referrals import sla
from hub.referrals.lifecycle import CONSENT_WITHDRAWN
from hub.status import OPEN_STATUSES, PARTNER_OUTCOMES, WITH_PARTNER, Outcome, Status

NOW = "2026-03-02T09:00:00Z"  # a Monday morning: the weekend's flags are waiting


def generate(runner, *extra: str):
    result = runner.invoke(
        args=["demo", "generate", "--referrals", "300", "--now", NOW, "--seed", "7", *extra]
    )
    assert result.exit_code == 0, result.output
    return result


def referrals(db) -> list[Referral]:
    return list(db.session.scalars(select(Referral).order_by(Referral.id)))


@pytest.mark.both_databases  # each database's own bulk inserts, and its sequences after them
def test_it_makes_exactly_the_referrals_asked_for_and_says_what_it_made(runner, db):
    result = generate(runner)
    assert "Loaded the demo hub first" in result.output  # no demo hub yet: it loads one
    count = db.session.scalar(select(func.count(Referral.id)))
    submissions = db.session.scalar(select(func.count(Submission.id)))
    follow_ups = db.session.scalar(select(func.count(FollowUp.id)))
    assert count == 300
    assert db.session.scalar(select(func.count(Client.id))) == submissions
    assert f"Made {submissions:,} questionnaires" in result.output
    assert "300 referrals" in result.output
    assert f"{follow_ups:,} follow-ups" in result.output
    # About 2 to 3 flags a questionnaire, and some people come back (same match key).
    assert 2.0 <= count / submissions <= 3.0
    repeats = db.session.execute(
        select(Client.match_key).group_by(Client.match_key).having(func.count() > 1)
    ).all()
    assert repeats


def test_every_deadline_is_the_sla_clocks(runner, db):
    generate(runner)
    for referral in referrals(db):
        assert referral.forward_due_at == sla.forward_due(referral.received_at)
        if referral.forwarded_at is not None:
            assert referral.contact_due_at == sla.contact_due(referral.forwarded_at)
        else:
            assert referral.contact_due_at is None
    for submission in db.session.scalars(select(Submission)):
        assert submission.follow_up_due_at == sla.follow_up_due(submission.received_at)


def test_the_working_time_clock_gives_working_time_deadlines(app, runner, db):
    app.config["HUB_SLA_CLOCK"] = "working"
    generate(runner)
    for referral in referrals(db)[:100]:
        assert referral.forward_due_at == sla.forward_due(referral.received_at)
        if referral.forwarded_at is not None:
            assert referral.contact_due_at == sla.contact_due(referral.forwarded_at)


def test_statuses_agree_with_the_times_stamped(runner, db):
    generate(runner)
    now = sla_now()
    seen = set()
    for r in referrals(db):
        seen.add(r.status)
        stages = [r.received_at, r.forwarded_at, r.accepted_at, r.contacted_at, r.closed_at]
        stamped = [moment for moment in stages if moment is not None]
        assert stamped == sorted(stamped), r.reference
        assert all(moment <= now for moment in stamped + [r.declined_at, r.cancelled_at] if moment)
        assert (r.forwarded_at is None) == (
            r.status == Status.RECEIVED or (r.status == Status.CANCELLED and r.forwarded_at is None)
        )
        assert (r.status == Status.ACCEPTED) <= (r.accepted_at is not None)
        assert (r.status == Status.CONTACTED) <= (
            r.contacted_at is not None and r.closed_at is None
        )
        assert (r.status == Status.CLOSED) == (r.closed_at is not None)
        assert (r.status == Status.CLOSED) == (r.outcome is not None)
        assert r.outcome is None or r.outcome in (*PARTNER_OUTCOMES, Outcome.NO_SUITABLE_SERVICE)
        assert (r.status == Status.CANCELLED) == (r.cancelled_at is not None)
        if r.status in (Status.DECLINED, Status.CANCELLED):
            assert r.status_reason
        if r.outcome in ("service_provided", "client_declined"):
            assert r.contacted_at is not None  # these outcomes need contact first
        if r.outcome == "unable_to_contact":
            assert len(r.attempts) >= sla.unable_to_contact_attempts()
        if r.rerouted_from_id is not None:
            declined = db.session.get(Referral, r.rerouted_from_id)
            assert declined.status == Status.DECLINED and declined.submission_id == r.submission_id
            assert r.received_at >= declined.declined_at
        assert [event.at for event in r.events] == sorted(event.at for event in r.events)
        assert r.events[0].kind == "received"
    assert {Status.CLOSED, Status.DECLINED, Status.CANCELLED} <= seen


def sla_now():
    from hub.clock import parse_iso

    return parse_iso(NOW)


def test_recent_referrals_are_open_some_overdue_and_the_watch_looks_next_after_now(runner, db):
    generate(runner, "--months", "1")
    now = sla_now()
    open_referrals = [r for r in referrals(db) if r.status in OPEN_STATUSES]
    assert {Status.RECEIVED, Status.FORWARDED, Status.CONTACTED} <= {
        r.status for r in open_referrals
    }
    overdue = []
    for r in open_referrals:
        if r.status == Status.RECEIVED:
            moments = [sla.forward_warning_at(r.received_at), r.forward_due_at]
        elif r.status in WITH_PARTNER:
            moments = [*sla.chases_at(r.forwarded_at), r.contact_due_at]
        else:
            moments = []
        later = [moment for moment in moments if moment > now]
        # Where the SLA watch would have left it after running all along: its next look.
        assert r.sla_check_at == (later[0] if later else None), r.reference
        if moments and not later:
            overdue.append(r)
            breach = "forward_breach" if r.status == Status.RECEIVED else "contact_breach"
            assert breach in [event.kind for event in r.events]
    assert any(r.status == Status.RECEIVED for r in overdue)  # the weekend's flags, past 24 hours
    assert any(r.status in WITH_PARTNER for r in overdue)  # past the 14 days
    closed = [r for r in referrals(db) if r.status == Status.CLOSED]
    assert all(r.sla_check_at is None for r in closed)


def test_follow_ups_and_wellbeing_for_older_questionnaires(runner, db):
    generate(runner)
    now = sla_now()
    follow_ups = list(db.session.scalars(select(FollowUp)))
    assert follow_ups
    for follow_up in follow_ups:
        assert follow_up.submission.follow_up_due_at <= follow_up.recorded_at <= now
        assert follow_up.needs_met in ("yes", "partly", "no")
    stages = db.session.execute(
        select(WellbeingScore.stage, func.count()).group_by(WellbeingScore.stage)
    ).all()
    assert {stage for stage, _ in stages} == {"questionnaire", "follow_up"}
    withdrawn = db.session.scalars(
        select(Referral).where(Referral.status_reason.like(f"{CONSENT_WITHDRAWN}%"))
    ).all()
    for referral in withdrawn:
        assert referral.submission.client.consent_withdrawn_at == referral.cancelled_at


def story(r: Referral) -> tuple:
    """A referral without its ids and reference (a second run in the same database numbers on
    from the first)."""
    return (
        r.received_at, r.partner_id, r.question_key, r.status, r.forwarded_at, r.accepted_at,
        r.contacted_at, r.closed_at, r.declined_at, r.cancelled_at, r.outcome, r.status_reason,
        r.sla_check_at, r.submission.client.match_key, r.rerouted_from_id is not None,
    )  # fmt: skip


def test_the_same_seed_gives_the_same_history(runner, db):
    generate(runner)
    before = [story(r) for r in referrals(db)]
    generate(runner)  # the same seed again, numbered after the first run's rows
    rows = referrals(db)
    assert [story(r) for r in rows[300:]] == before
    assert len({r.reference for r in rows}) == 600  # and no reference is used twice
    other = runner.invoke(
        args=["demo", "generate", "--referrals", "300", "--now", NOW, "--seed", "8"]
    )
    assert other.exit_code == 0, other.output
    assert [story(r) for r in referrals(db)[600:]] != before


def test_without_events_it_writes_no_history_rows(runner, db, demo_hub):
    result = generate(runner, "--no-events")
    assert "Loaded the demo hub first" not in result.output
    assert db.session.scalar(select(func.count(ReferralEvent.id))) == 0
    assert db.session.scalar(select(func.count(Referral.id))) == 300


def test_demo_generate_is_refused_in_production(app, runner, db):
    app.config["HUB_ENV"] = "production"
    result = runner.invoke(args=["demo", "generate", "--referrals", "10"])
    assert result.exit_code != 0
    assert "development only" in result.output
    assert db.session.scalar(select(func.count(Referral.id))) == 0


# --- One transaction: never half a history -------------------------------------------------------


def history_counts(db) -> list[int]:
    db.session.rollback()
    return [
        db.session.scalar(select(func.count(model.id)))
        for model in (Client, Submission, Referral, ReferralEvent, FollowUp)
    ]


@pytest.mark.committed  # a real transaction, rolled back by the failure itself
def test_a_run_that_fails_part_way_keeps_nothing_of_its_history(runner, db, demo_hub, monkeypatch):
    monkeypatch.setattr(history, "CHUNK", 100)  # write a chunk or two before failing
    written = []
    real_write = history._History._write

    def failing_write(self):
        real_write(self)
        written.append(1)
        if len(written) == 2:
            raise RuntimeError("the machine went away")

    monkeypatch.setattr(history._History, "_write", failing_write)
    before = history_counts(db)
    result = runner.invoke(args=["demo", "generate", "--referrals", "300", "--now", NOW])
    assert result.exit_code != 0 and len(written) == 2
    assert history_counts(db) == before

    monkeypatch.setattr(history._History, "_write", real_write)
    generate(runner)  # and a run after it makes the whole history
    assert history_counts(db)[2] == before[2] + 300


def test_progress_is_reported_as_referrals_are_made(db, demo_hub):
    reported: list[int] = []
    made = history.generate_history(
        1_200, parse_iso(NOW), seed=3, progress=reported.append, events=False
    )
    assert sum(reported) == made.referrals == 1_200
    assert len(reported) >= 3  # not one jump at the end
    assert all(step <= history.PROGRESS_EVERY + 20 for step in reported)


@pytest.mark.committed  # another connection holds the write lock on the database file
def test_a_database_locked_too_long_says_to_stop_the_server_and_writes_nothing(
    runner, db, demo_hub, monkeypatch
):
    monkeypatch.setattr(extensions, "JOB_WAIT_MS", 200)  # for the connections made from here
    db.engine.dispose()
    before = history_counts(db)
    server = sqlite3.connect(db.engine.url.database, isolation_level=None)
    try:
        server.execute("BEGIN IMMEDIATE")  # as a page of a running hub, saving, would
        result = runner.invoke(args=["demo", "generate", "--referrals", "300", "--now", NOW])
    finally:
        server.execute("ROLLBACK")
        server.close()
        db.engine.dispose()
    assert result.exit_code == 1
    assert "The database stayed locked" in result.output
    assert "Stop the server and run this again" in result.output
    assert "Traceback" not in result.output
    assert history_counts(db) == before
