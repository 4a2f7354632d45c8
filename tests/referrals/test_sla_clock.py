"""The SLA clock in calendar and in working time (Monday to Friday, 09:00–17:00 in London,
without England and Wales bank holidays), across weekends, bank holidays and clock changes."""

from datetime import datetime, timedelta

import pytest
from flask import Flask

from hub.referrals import sla

HOUR = timedelta(hours=1)


@pytest.fixture
def settings():
    app = Flask(__name__)
    app.config.update(
        HUB_SLA_CLOCK="calendar",
        HUB_FORWARD_SLA_HOURS=24,
        HUB_CONTACT_SLA_DAYS=14,
        HUB_FOLLOW_UP_DAYS=28,
    )
    with app.app_context():
        yield app.config


def test_calendar_time_is_the_default_reading_of_the_scheme(settings):
    friday = datetime(2026, 11, 20, 15, 0)
    assert sla.forward_due(friday) == datetime(2026, 11, 21, 15, 0)
    assert sla.contact_due(friday) == datetime(2026, 12, 4, 15, 0)


def test_working_time_skips_the_weekend(settings):
    settings["HUB_SLA_CLOCK"] = "working"
    # Friday 20 November 2026, 15:00 GMT: 24 hours is one working day, due Monday 15:00.
    assert sla.forward_due(datetime(2026, 11, 20, 15, 0)) == datetime(2026, 11, 23, 15, 0)
    # Received on Saturday: the clock starts on Monday at 09:00.
    assert sla.forward_due(datetime(2026, 11, 21, 11, 0)) == datetime(2026, 11, 23, 17, 0)
    # Received overnight on a weekday: counts from 09:00.
    assert sla.forward_due(datetime(2026, 11, 24, 3, 0)) == datetime(2026, 11, 24, 17, 0)
    # Received in the evening: counts from the next morning.
    assert sla.forward_due(datetime(2026, 11, 24, 18, 30)) == datetime(2026, 11, 25, 17, 0)


def test_a_deadline_falling_at_closing_time_stays_on_that_day(settings):
    # 09:00 plus 8 working hours is 17:00 the same day, not 09:00 the next.
    assert sla.add_working_time(datetime(2026, 11, 24, 9, 0), 8 * HOUR) == datetime(
        2026, 11, 24, 17, 0
    )
    assert sla.add_working_time(datetime(2026, 11, 24, 9, 0), 8 * HOUR + timedelta(minutes=1)) == (
        datetime(2026, 11, 25, 9, 1)
    )


def test_working_time_skips_christmas_and_the_observed_boxing_day(settings):
    settings["HUB_SLA_CLOCK"] = "working"
    # Thursday 24 December 2026 at 16:00: one working hour that day; Friday 25th is Christmas,
    # the weekend follows, Monday 28th is Boxing Day (observed): due Tuesday 29th at 16:00.
    assert sla.forward_due(datetime(2026, 12, 24, 16, 0)) == datetime(2026, 12, 29, 16, 0)
    assert not sla.is_working_day(datetime(2026, 12, 25).date())
    assert not sla.is_working_day(datetime(2026, 12, 28).date())
    assert sla.is_working_day(datetime(2026, 12, 29).date())


def test_working_hours_follow_the_clock_change(settings):
    settings["HUB_SLA_CLOCK"] = "working"
    # Friday 23 October 2026 at 16:00 BST is 15:00 UTC; the clocks go back on Sunday 25th.
    # One working day later is Monday 26th at 16:00 GMT, which is 16:00 UTC.
    assert sla.forward_due(datetime(2026, 10, 23, 15, 0)) == datetime(2026, 10, 26, 16, 0)
    # In spring: Friday 27 March 2026 at 16:00 GMT (16:00 UTC); clocks go forward on the 29th;
    # Monday 30th at 16:00 BST is 15:00 UTC.
    assert sla.forward_due(datetime(2026, 3, 27, 16, 0)) == datetime(2026, 3, 30, 15, 0)
    # Opening time is 09:00 London time in both seasons.
    assert sla.add_working_time(datetime(2026, 7, 4, 12, 0), timedelta(0)) == datetime(
        2026, 7, 6, 8, 0
    )


def test_contact_promise_in_working_days(settings):
    settings["HUB_SLA_CLOCK"] = "working"
    # Forwarded Monday 2 November 2026 at 10:00: 14 working days later, Friday 20th at 10:00.
    assert sla.contact_due(datetime(2026, 11, 2, 10, 0)) == datetime(2026, 11, 20, 10, 0)
    settings["HUB_CONTACT_SLA_DAYS"] = 10  # two working weeks
    assert sla.contact_due(datetime(2026, 11, 2, 10, 0)) == datetime(2026, 11, 16, 10, 0)


def test_follow_up_stays_in_calendar_days(settings):
    settings["HUB_SLA_CLOCK"] = "working"
    assert sla.follow_up_due(datetime(2026, 11, 20, 15, 0)) == datetime(2026, 12, 18, 15, 0)


def test_deadlines_are_stored_when_a_stage_begins_and_kept_when_the_setting_changes(
    app, demo_hub, db
):
    from hub.referrals import lifecycle
    from tests.factories import submit, user

    app.config["HUB_SLA_CLOCK"] = "working"
    friday = datetime(2026, 11, 20, 15, 0)
    submission = submit(user("frontline"), friday, yes=("smoke_alarms",))
    (referral,) = submission.referrals
    assert referral.forward_due_at == datetime(2026, 11, 23, 15, 0)
    lifecycle.forward_referral(referral, user("hub"), datetime(2026, 11, 23, 10, 0))
    db.session.commit()
    assert referral.contact_due_at == datetime(2026, 12, 11, 10, 0)  # 14 working days

    app.config["HUB_SLA_CLOCK"] = "calendar"
    db.session.expire_all()
    stored = db.session.get(type(referral), referral.id)
    assert stored.forward_due_at == datetime(2026, 11, 23, 15, 0)
    assert stored.contact_due_at == datetime(2026, 12, 11, 10, 0)


def test_warning_and_chase_moments(settings):
    settings.update(HUB_FORWARD_WARN_HOURS=20, HUB_CHASE_DAYS=(7, 12))
    received = datetime(2026, 11, 20, 15, 0)
    assert sla.forward_warning_at(received) == datetime(2026, 11, 21, 11, 0)
    assert sla.chases_at(received) == [datetime(2026, 11, 27, 15, 0), datetime(2026, 12, 2, 15, 0)]
    settings["HUB_SLA_CLOCK"] = "working"
    # 20 hours is 6 h 40 min of working time: Friday 15:00–17:00, then Monday 09:00–13:40.
    assert sla.forward_warning_at(received) == datetime(2026, 11, 23, 13, 40)
    # Day 7 and day 12 are working days too: Tuesday 1 and Monday 8 December.
    assert sla.chases_at(received) == [datetime(2026, 12, 1, 15, 0), datetime(2026, 12, 8, 15, 0)]


def test_a_chase_on_or_after_the_contact_deadline_is_left_out(settings):
    settings.update(HUB_CHASE_DAYS=(7, 14, 20))
    forwarded = datetime(2026, 11, 2, 10, 0)
    assert sla.chases_at(forwarded) == [datetime(2026, 11, 9, 10, 0)]
