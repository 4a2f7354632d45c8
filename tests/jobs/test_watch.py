"""The SLA watch, each job with an explicit ``now``: before, at and after each threshold; never
for referrals that have moved on; twice for the same moment."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from hub.extensions import db as _db
from hub.jobs import watch
from hub.models import JobMark, OutboxMessage, Referral, ReferralEvent
from hub.referrals import lifecycle, overdue
from tests.factories import submit, user

# The watch claims referrals (FOR UPDATE SKIP LOCKED) and records each event once (ON CONFLICT).
pytestmark = pytest.mark.both_databases

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# Monday 2 November 2026, 10:00 GMT: a working day, far from the clock changes.
T0 = datetime(2026, 11, 2, 10, 0)


def events(kind: str) -> list[str]:
    return list(
        _db.session.scalars(
            select(ReferralEvent.key).where(ReferralEvent.kind == kind).order_by(ReferralEvent.id)
        )
    )


def outbox(kind: str) -> list[OutboxMessage]:
    return list(
        _db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
    )


def hub_staff() -> list[str]:
    from notifications.messages import to_hub_staff

    return to_hub_staff.hub_staff_recipients()


@pytest.fixture
def questionnaire(db, demo_hub):
    """Two flags, received at T0: fire safety (LFB) and falls (NHS falls prevention)."""
    submission = submit(user("frontline"), T0, yes=("smoke_alarms", "falls"))
    db.session.commit()
    return submission


@pytest.fixture
def forwarded(db, questionnaire):
    """The fire safety flag, forwarded an hour after receipt to an agency with a duty number."""
    referral = questionnaire.referrals[0]
    referral.partner.sms_number = "+447911123456"
    lifecycle.forward_referral(referral, user("hub"), T0 + HOUR)
    db.session.commit()
    return referral


def run(now: datetime) -> dict[str, int]:
    summary = watch.watch_referrals(now)
    _db.session.expire_all()
    return summary


# --- Forwarding watch -------------------------------------------------------------------------


def test_nothing_before_the_warning(db, questionnaire):
    assert run(T0 + 20 * HOUR - timedelta(seconds=1))["warned"] == 0
    assert events("forward_warning") == []


def test_a_flag_still_at_the_hub_at_20_hours_warns_hub_staff_once(db, questionnaire):
    summary = run(T0 + 20 * HOUR)
    assert summary["warned"] == 2
    ids = sorted(referral.id for referral in questionnaire.referrals)
    assert events("forward_warning") == [f"forward_warning:{i}" for i in ids]
    # One message per questionnaire (to each of the hub's staff), listing both flags.
    warnings = outbox("forward_warning")
    assert sorted(message.recipient for message in warnings) == sorted(hub_staff())
    for referral in questionnaire.referrals:
        assert referral.reference in warnings[0].body
    assert run(T0 + 20 * HOUR)["warned"] == 0  # the same moment again does nothing
    assert run(T0 + 21 * HOUR)["warned"] == 0
    assert len(outbox("forward_warning")) == len(hub_staff())


def test_at_24_hours_a_forwarding_breach_is_recorded_and_shown_overdue(db, questionnaire):
    run(T0 + 20 * HOUR)
    assert run(T0 + 24 * HOUR - timedelta(seconds=1))["not forwarded in time"] == 0
    assert run(T0 + 24 * HOUR)["not forwarded in time"] == 2
    assert len(events("forward_breach")) == 2
    assert len(outbox("forward_overdue")) == len(hub_staff())
    referral = questionnaire.referrals[0]
    assert overdue.is_overdue(_db.session.get(Referral, referral.id), T0 + 24 * HOUR)
    assert run(T0 + 30 * HOUR) == {
        "warned": 0,
        "not forwarded in time": 0,
        "chased": 0,
        "escalated": 0,
    }


def test_a_forwarded_flag_is_neither_warned_of_nor_breached(db, questionnaire, forwarded):
    run(T0 + 20 * HOUR)
    run(T0 + 25 * HOUR)
    assert events("forward_warning") == [f"forward_warning:{questionnaire.referrals[1].id}"]
    assert events("forward_breach") == [f"forward_breach:{questionnaire.referrals[1].id}"]


def test_after_a_pause_a_breach_without_the_warning(db, questionnaire):
    """The scheduler was down through the 20-hour mark: the breach says it all."""
    assert run(T0 + 2 * DAY)["not forwarded in time"] == 2
    assert events("forward_warning") == []


# --- Partner chases and the contact breach ----------------------------------------------------


def test_chased_at_day_7_and_day_12_by_email_and_sms_then_escalated_at_day_14(db, forwarded):
    sent = T0 + HOUR
    assert run(sent + 7 * DAY - timedelta(seconds=1))["chased"] == 0
    assert run(sent + 7 * DAY)["chased"] == 1
    assert run(sent + 7 * DAY)["chased"] == 0  # again for the same moment: nothing
    assert run(sent + 12 * DAY)["chased"] == 1
    assert events("chase") == [f"chase:{forwarded.id}:1", f"chase:{forwarded.id}:2"]
    chases = outbox("partner_chase")
    assert sorted((m.channel, m.recipient) for m in chases) == sorted(
        [
            ("email", forwarded.partner.referral_email),
            ("sms", "+447911123456"),
            ("email", forwarded.partner.referral_email),
            ("sms", "+447911123456"),
        ]
    )
    assert all(m.referral_id == forwarded.id for m in chases)
    assert run(sent + 14 * DAY - timedelta(seconds=1))["escalated"] == 0
    assert run(sent + 14 * DAY)["escalated"] == 1
    assert events("contact_breach") == [f"contact_breach:{forwarded.id}"]
    assert len(outbox("contact_overdue")) == len(hub_staff())
    escalation = outbox("contact_overdue")[0].body
    assert "reminded 2 times" in escalation
    assert f"http://hub.test/hub/referrals/{forwarded.id}" in escalation
    assert run(sent + 20 * DAY)["chased"] == 0
    assert len(outbox("partner_chase")) == 4


def test_after_a_pause_only_the_latest_chase_goes(db, forwarded):
    assert run(T0 + HOUR + 13 * DAY)["chased"] == 1
    assert events("chase") == [f"chase:{forwarded.id}:2"]


@pytest.mark.parametrize("action", ["contact", "close", "decline", "cancel"])
def test_a_referral_that_moved_on_is_never_chased(db, forwarded, action):
    hub = user("hub")
    moment = T0 + 2 * DAY
    if action == "contact":
        lifecycle.record_contact(forwarded, hub, moment)
    elif action == "close":
        lifecycle.close_referral(forwarded, hub, moment, "not_eligible")
    elif action == "decline":
        partner_user = user("partner")
        lifecycle.decline_referral(forwarded, partner_user, moment, "Not in our area")
    else:
        lifecycle.cancel_referral(forwarded, hub, moment, "Duplicate")
    db.session.commit()
    for day in (7, 12, 14, 30):
        run(T0 + HOUR + day * DAY)
    assert events("chase") == []
    assert events("contact_breach") == []
    assert outbox("partner_chase") == []


def test_an_accepted_referral_is_still_chased_until_contact(db, forwarded):
    lifecycle.accept_referral(forwarded, user("hub"), T0 + DAY)
    db.session.commit()
    assert run(T0 + HOUR + 7 * DAY)["chased"] == 1


def test_a_reopened_referral_is_watched_again(db, forwarded):
    hub = user("hub")
    lifecycle.close_referral(forwarded, hub, T0 + DAY, "not_eligible")
    db.session.commit()
    lifecycle.reopen_referral(forwarded, hub, T0 + 2 * DAY, "Closed by mistake")
    db.session.commit()
    assert run(T0 + HOUR + 7 * DAY)["chased"] == 1


def test_the_watch_looks_only_at_what_is_due(db, questionnaire, forwarded):
    waiting = _db.session.get(Referral, forwarded.id)
    assert waiting.sla_check_at == T0 + HOUR + 7 * DAY
    other = _db.session.get(Referral, questionnaire.referrals[1].id)
    assert other.sla_check_at == T0 + 20 * HOUR
    run(T0 + 20 * HOUR)
    assert _db.session.get(Referral, other.id).sla_check_at == T0 + 24 * HOUR


# --- Once a day -------------------------------------------------------------------------------


def test_hub_staff_hear_of_due_follow_ups_once_a_day_from_8_in_the_morning(db, demo_hub):
    due = submit(user("frontline"), T0, yes=("smoke_alarms",))
    submit(user("frontline"), T0 + DAY, yes=("smoke_alarms",))  # due tomorrow: not listed
    db.session.commit()
    due_day = T0 + 28 * DAY  # Monday 30 November 2026, due at 10:00
    early = due_day.replace(hour=7, minute=59)
    assert watch.follow_ups_digest(early)["messages"] == 0
    morning = due_day.replace(hour=8)
    summary = watch.follow_ups_digest(morning)
    assert summary == {"questionnaires due": 1, "messages": len(hub_staff())}
    assert watch.follow_ups_digest(morning + 3 * HOUR)["messages"] == 0
    assert len(outbox("follow_ups_due")) == len(hub_staff())
    body = outbox("follow_ups_due")[0].body
    assert f"- {due.reference}, due Monday 30 November 2026" in body
    assert "Edna" not in body and "Clarke" not in body
    assert watch.follow_ups_digest(morning + DAY)["messages"] == len(hub_staff())


def test_no_message_on_a_day_nothing_is_due(db, demo_hub):
    assert watch.follow_ups_digest(T0)["messages"] == 0
    assert outbox("follow_ups_due") == []
    assert db.session.get(JobMark, "follow_ups_due:2026-11-02") is not None


def test_partners_get_a_daily_digest_of_new_due_and_overdue(db, questionnaire, forwarded):
    hub = user("hub")
    falls = questionnaire.referrals[1]
    lifecycle.forward_referral(falls, hub, T0 + HOUR)
    lifecycle.accept_referral(falls, hub, T0 + 2 * HOUR)
    db.session.commit()
    # Day 8: fire safety is new (not accepted yet), both are due within the week.
    expected = [(forwarded.partner, 1, 1, 0), (falls.partner, 0, 1, 0)]
    by_name = sorted(expected, key=lambda row: row[0].name)
    assert watch.partner_counts(T0 + 8 * DAY) == by_name
    # Day 15: both are overdue.
    expected = [(forwarded.partner, 1, 0, 1), (falls.partner, 0, 0, 1)]
    assert watch.partner_counts(T0 + 15 * DAY) == sorted(expected, key=lambda row: row[0].name)
    day = (T0 + 15 * DAY).replace(hour=9)
    assert watch.partner_digests(day) == {"digests": 2}
    assert watch.partner_digests(day + HOUR) == {"digests": 0}
    digests = outbox("partner_digest")
    lfb = next(m for m in digests if m.recipient == forwarded.partner.referral_email)
    assert "http://hub.test/partner/referrals" in lfb.body  # LFB has accounts: its inbox
    assert sorted(m.recipient for m in digests) == sorted(
        [forwarded.partner.referral_email, falls.partner.referral_email]
    )
    assert "overdue" in digests[0].body.lower()


def test_a_partner_with_nothing_waiting_gets_no_digest(db, questionnaire):
    assert watch.partner_digests(T0.replace(hour=9)) == {"digests": 0}


# --- Run by hand -------------------------------------------------------------------------------


def test_run_due_twice_for_the_same_moment_does_nothing_the_second_time(runner, db, forwarded):
    moment = (T0 + HOUR + 7 * DAY).isoformat() + "Z"
    first = runner.invoke(args=["jobs", "run-due", "--now", moment])
    assert first.exit_code == 0, first.output
    assert "1 chased" in first.output
    second = runner.invoke(args=["jobs", "run-due", "--now", moment])
    assert "0 chased" in second.output
    _db.session.expire_all()
    assert (
        _db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.kind == "partner_chase")
        )
        == 2
    )


def test_a_run_that_dies_half_way_leaves_no_gap_and_no_duplicate(db, demo_hub, monkeypatch):
    """Each batch commits with its messages: a run that fails in its third batch keeps the first
    two, and the next run does the rest, chasing each referral exactly once."""
    from notifications.messages import to_partners

    monkeypatch.setattr(watch, "BATCH", 5)
    hub = user("hub")
    for _ in range(6):
        submission = submit(user("frontline"), T0, yes=("smoke_alarms", "falls"))
        for referral in submission.referrals:
            lifecycle.forward_referral(referral, hub, T0 + HOUR)
    db.session.commit()
    real = to_partners.partner_chase
    calls = []

    def dies_on_the_eleventh(referral, number, now):
        calls.append(referral.id)
        if len(calls) == 11:
            raise RuntimeError("the scheduler was killed")
        return real(referral, number, now)

    monkeypatch.setattr(to_partners, "partner_chase", dies_on_the_eleventh)
    with pytest.raises(RuntimeError):
        watch.watch_referrals(T0 + HOUR + 7 * DAY)
    db.session.rollback()
    assert len(events("chase")) == 10
    monkeypatch.setattr(to_partners, "partner_chase", real)
    assert run(T0 + HOUR + 7 * DAY)["chased"] == 2
    assert len(events("chase")) == 12
    keys = [m.key for m in outbox("partner_chase")]
    assert len(keys) == len(set(keys)) == 12  # email only: the demo agencies have no duty number
