"""The figures' stored counts (``hub.figures.stored``): every change that can move a figure notes
its day, counting again stores what counting afresh gives, and the figures are the same whether
they sum stored rows, count stale days afresh, or mix the two; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import delete, func, insert, select

from hub.extensions import db
from hub.figures import percentiles, report, stored
from hub.figures.filters import Filters, referral_conditions
from hub.jobs import schedule
from hub.referrals import intake, lifecycle
from hub.referrals.follow_ups import record_follow_up, record_wellbeing
from hub.rollups import figures_stale, referral_counts
from tests.factories import submit, user
from tests.support import referral_for

# The stored counts' SQL and triggers differ between SQLite and PostgreSQL.
pytestmark = pytest.mark.both_databases

H = timedelta(hours=1)
D = timedelta(days=1)
NOW = datetime(2026, 4, 20, 12, 0)
SCORES = {"life_satisfaction": 5, "worthwhile": 6, "happy": 5, "anxious": 5}


def _noted() -> set[date]:
    return set(db.session.scalars(select(figures_stale.c.day)))


def _refreshed() -> None:
    db.session.commit()
    stored.refresh(db.session)
    assert _noted() == set()


def test_every_change_that_can_move_a_figure_notes_its_day(db, demo_hub):
    frontline, hub = user("frontline"), user("hub")
    received = datetime(2026, 3, 2, 23, 30)  # 23:30 GMT: a London and a UTC date alike
    submission = submit(frontline, received, yes=("smoke_alarms", "falls"))
    db.session.commit()
    assert _noted() == {date(2026, 3, 2)}
    assert stored.stale_days(db.session) == {date(2026, 3, 2), date(2026, 3, 3)}
    _refreshed()

    fire = referral_for(submission, "smoke_alarms")
    fire.sla_check_at = received + 5 * H  # the SLA watch's own bookkeeping moves no figure
    db.session.commit()
    assert _noted() == set()

    for change in (
        lambda: lifecycle.forward_referral(fire, hub, received + 2 * H),
        lambda: lifecycle.record_contact(fire, None, received + 3 * D),
        lambda: record_wellbeing(submission, "questionnaire", SCORES, frontline, received),
        lambda: record_follow_up(submission, hub, received + 28 * D, "yes", [], None, SCORES),
        lambda: setattr(submission.client, "borough", "southwark"),
    ):
        change()
        db.session.commit()
        assert _noted() == {date(2026, 3, 2)}
        _refreshed()

    # A need found at the follow-up: the new referral's own day, and its questionnaire's (which
    # now has a flag for one more question and partner).
    intake.add_referrals(
        submission, [intake.NewReferral("lonely", fire.partner)], hub, received + 30 * D
    )
    db.session.commit()
    assert _noted() == {date(2026, 3, 2), date(2026, 4, 1)}


def _history():
    """Two months of questionnaires (February in GMT; March across the change to BST) with
    referrals in every state, some deadlines still ahead of ``NOW``."""
    frontline, hub = user("frontline"), user("hub")
    moments = [datetime(2026, 2, 1, 0, 30) + step * 61 * H for step in range(24)]
    moments += [datetime(2026, 3, 28, 23, 30), datetime(2026, 3, 31, 23, 30), NOW - 2 * H]
    made = []
    for number, at in enumerate(moments):
        submission = submit(
            frontline,
            at,
            yes=("smoke_alarms", "falls", "lonely")[: 1 + number % 3],
            borough=("lambeth", "southwark")[number % 2],
        )
        made.append(submission)
        for index, referral in enumerate(submission.referrals):
            kind = (number + index) % 6
            if kind == 5:
                lifecycle.cancel_referral(referral, hub, at + H, "Duplicate")
                continue
            if kind == 4:
                continue  # left at the hub: overdue, unless received just now
            lifecycle.forward_referral(referral, hub, at + (3 + number) * H)
            if kind == 3:
                continue  # with the partner, not contacted
            if kind == 2:
                lifecycle.decline_referral(referral, None, referral.forwarded_at + D, "Full")
                continue
            lifecycle.record_contact(referral, None, referral.forwarded_at + (number % 17) * D)
            if kind == 1:
                lifecycle.close_referral(
                    referral, None, referral.contacted_at + H, "service_provided"
                )
        if number % 4 == 0:
            record_wellbeing(submission, "questionnaire", SCORES, frontline, at)
            record_follow_up(
                submission, hub, at + 28 * D, ("yes", "partly", "no")[number % 3], [], None, SCORES
            )
    db.session.commit()
    return made


PERIODS = [
    Filters(date(2026, 2, 1), date(2026, 3, 31)),  # two whole months
    Filters(date(2026, 2, 10), date(2026, 4, 20)),  # parts of months
    Filters(date(2026, 1, 1), date(2026, 4, 30), partner="lfb-home-fire-safety"),
    Filters(date(2026, 1, 1), date(2026, 4, 30), borough="southwark"),
    Filters(date(2026, 1, 1), date(2026, 4, 30), question="falls"),
]


def _afresh(filters) -> dict:
    """The figures with every day noted stale, so counted from the referrals themselves."""
    before = db.session.scalar(select(func.coalesce(func.max(figures_stale.c.id), 0)))
    days = [date(2026, 1, 1) + step * D for step in range(130)]
    db.session.execute(insert(figures_stale), [{"day": day} for day in days])
    try:
        return report.figures(db.session, filters, NOW)
    finally:
        db.session.execute(delete(figures_stale).where(figures_stale.c.id > before))


@pytest.mark.parametrize("filters", PERIODS, ids=lambda f: "-".join(f.as_args().values()))
def test_stored_counts_give_the_figures_counted_afresh(db, demo_hub, filters):
    made = _history()
    counted_afresh = _afresh(filters)
    assert counted_afresh["referrals"] > 0
    stored.refresh(db.session)
    assert db.session.scalar(select(func.count()).select_from(referral_counts)) > 0
    assert report.figures(db.session, filters, NOW) == counted_afresh

    # Changes after the counts were stored: their days are counted afresh, the rest summed.
    hub = user("hub")
    late = referral_for(made[6], made[6].referrals[0].question_key)
    if late.status == "received":
        lifecycle.forward_referral(late, hub, NOW - D)
    made[9].client.borough = "lambeth" if made[9].client.borough == "southwark" else "southwark"
    # A need found at the follow-up, weeks after its questionnaire (which had no falls flag).
    intake.add_referrals(made[3], [intake.NewReferral("falls", late.partner)], hub, NOW - 3 * D)
    db.session.commit()
    assert stored.stale_days(db.session)
    mixed = report.figures(db.session, filters, NOW)
    assert mixed == _afresh(filters)
    stored.refresh(db.session)
    assert report.figures(db.session, filters, NOW) == mixed
    assert report.turnaround(db.session, filters, NOW)["referrals"] == mixed["referrals"]


def test_the_scheduler_counts_again_what_changed(db, demo_hub):
    submit(user("frontline"), datetime(2026, 3, 2, 9, 0))
    db.session.commit()
    ran = dict(schedule.run_due(NOW))
    assert ran["figures"] == {"days counted": 2}
    assert dict(schedule.run_due(NOW))["figures"] == {"days counted": 0}
    assert _noted() == set()


def test_figures_refresh_command(app, db, demo_hub):
    submit(user("frontline"), datetime(2026, 3, 2, 9, 0))
    submit(user("frontline"), datetime(2026, 3, 9, 9, 0))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["figures", "refresh"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Counted 4 days again."
    assert _noted() == set()
    assert runner_output(app, "figures", "refresh") == "Counted 0 days again."
    assert runner_output(app, "figures", "refresh", "--all") == "Counted 4 days again."


def runner_output(app, *args) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output.strip()


@pytest.mark.parametrize("partner", [None, "lfb-home-fire-safety"])
def test_index_walks_find_the_medians_a_sort_finds(db, demo_hub, partner):
    _history()
    stored.refresh(db.session)
    filters = Filters(date(2026, 2, 1), date(2026, 4, 20), partner=partner)
    walked = percentiles._walked_percentiles(
        db.session, filters, stored.plan(db.session, filters.start, filters.end)
    )
    # What every other filter takes (``_percentiles``: percentile_cont on PostgreSQL, a sort on
    # SQLite), over the same referrals.
    dialect = db.engine.dialect.name
    r = percentiles.referral.c
    conditions = referral_conditions(filters)
    sorted_ = {
        "forward": percentiles._percentiles(
            db.session,
            r.partner_id,
            percentiles._seconds_between(dialect, r.received_at, r.forwarded_at) / 3600.0,
            percentiles.referral,
            [*conditions, r.forwarded_at.is_not(None)],
        ),
        "contact": percentiles._percentiles(
            db.session,
            r.partner_id,
            percentiles._seconds_between(dialect, r.forwarded_at, r.contacted_at) / 86400.0,
            percentiles.referral,
            [*conditions, r.contacted_at.is_not(None), r.forwarded_at.is_not(None)],
        ),
    }
    assert walked["forward"][percentiles.ALL] != (None, None)
    for measure in ("forward", "contact"):
        assert walked[measure].keys() == sorted_[measure].keys()
        for group, values in sorted_[measure].items():
            assert walked[measure][group] == pytest.approx(values, abs=1e-9)


# Two schedulers on one PostgreSQL database refreshing at once end with each day stored once and
# the right figures. (Taking the same notes already makes one wait for the other; the advisory
# lock covers two refreshes that took different notes for neighbouring days, which this test
# cannot time on purpose.)
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
@pytest.mark.committed  # the threads read what the test wrote
def test_two_refreshes_at_once_store_each_day_once(app, db, demo_hub):
    _history()
    filters = PERIODS[1]
    counted_afresh = _afresh(filters)
    db.session.commit()
    db.session.remove()
    ready = threading.Barrier(2)
    counted = []

    def refresh():
        with app.app_context():
            ready.wait()
            counted.append(stored.refresh(db.session, batch_days=5))
            db.session.remove()

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(counted) > 0
    c = referral_counts.c
    keys = [c.span, c.day, c.partner_id, c.question_key, c.referrer_id, c.borough]
    twice = db.session.execute(select(*keys).group_by(*keys).having(func.count() > 1)).all()
    assert twice == []
    assert _noted() == set()
    assert report.figures(db.session, filters, NOW) == counted_afresh
