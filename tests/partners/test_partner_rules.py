"""The partner's rules, as the lifecycle keeps them for every caller (pages, API, SMS): closing
as "unable to contact" only before contact and after attempts on enough different days;
declining with a reason from the list, which the figures count by its code."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from hub.clock import utcnow
from hub.figures import report
from hub.figures.filters import Filters
from hub.models import ReferralEvent
from hub.referrals import lifecycle
from tests.api_support import bearer, fresh
from tests.factories import submit, user
from tests.support import forwarded_smoke_alarm, hours_ago

H, D = timedelta(hours=1), timedelta(days=1)
# 10:00 UTC in winter is 10:00 in London: a day's attempts stay on one UK date.
FORWARDED = datetime(2026, 1, 12, 10, 0)


@pytest.fixture
def forwarded(db, demo_hub):
    referral = submit(user("frontline"), FORWARDED - H, yes=("smoke_alarms",)).referrals[0]
    lifecycle.forward_referral(referral, user("hub"), FORWARDED)
    db.session.commit()
    return referral


def _attempts(referral, *moments):
    for moment in moments:
        lifecycle.record_attempt(referral, user("partner"), moment + H, "phone", False, moment)


# --- Unable to contact --------------------------------------------------------------------------


def test_three_attempts_within_three_minutes_are_not_enough(db, forwarded):
    first = FORWARDED + D
    _attempts(forwarded, first, first + timedelta(minutes=1), first + timedelta(minutes=3))
    with pytest.raises(lifecycle.InvalidTransitionInput) as refused:
        lifecycle.close_referral(forwarded, user("partner"), first + 2 * D, "unable_to_contact")
    assert refused.value.field == "outcome"
    assert str(refused.value) == (
        "Record at least 3 attempts to contact the client, on at least 2 different days before "
        "closing as unable to contact (3 recorded so far, on 1 day)"
    )
    assert forwarded.status == "forwarded"


def test_three_attempts_over_two_days_are_enough(db, forwarded):
    first = FORWARDED + D
    _attempts(forwarded, first, first + 2 * H, first + D)
    lifecycle.close_referral(forwarded, user("partner"), first + 2 * D, "unable_to_contact")
    assert (forwarded.status, forwarded.outcome) == ("closed", "unable_to_contact")


def test_days_are_uk_dates(db, forwarded):
    """23:30 and 00:30 the next night are two UK dates, an hour apart (in summer, 23:30 UTC is
    already the next day in London)."""
    app_day = datetime(2026, 1, 13, 23, 30)
    _attempts(forwarded, app_day - 3 * H, app_day, app_day + H)
    lifecycle.close_referral(forwarded, None, app_day + 2 * D, "unable_to_contact")
    assert forwarded.status == "closed"


def test_the_number_of_days_is_a_setting(app, db, forwarded):
    assert app.config["HUB_UNABLE_TO_CONTACT_DAYS"] == 2
    app.config["HUB_UNABLE_TO_CONTACT_DAYS"] = 3
    first = FORWARDED + D
    _attempts(forwarded, first, first + D, first + D + H)
    with pytest.raises(lifecycle.InvalidTransitionInput) as refused:
        lifecycle.close_referral(forwarded, None, first + 3 * D, "unable_to_contact")
    assert "on at least 3 different days" in str(refused.value)
    assert "(3 recorded so far, on 2 days)" in str(refused.value)
    _attempts(forwarded, first + 2 * D)
    lifecycle.close_referral(forwarded, None, first + 3 * D, "unable_to_contact")
    assert forwarded.status == "closed"


def test_after_contact_unable_to_contact_is_refused(db, forwarded):
    first = FORWARDED + D
    _attempts(forwarded, first, first + D, first + 2 * D)
    lifecycle.record_contact(forwarded, user("partner"), first + 3 * D)
    with pytest.raises(lifecycle.TransitionNotAllowed) as refused:
        lifecycle.close_referral(forwarded, None, first + 4 * D, "unable_to_contact")
    assert "has contact with the client recorded" in str(refused.value)
    assert "cannot be closed as unable to contact" in str(refused.value)
    assert forwarded.status == "contacted"


def test_the_api_refuses_unable_to_contact_after_contact_with_409(client, db, demo_hub):
    referral = forwarded_smoke_alarm()
    for hours in (40, 30, 2):
        lifecycle.record_attempt(referral, None, hours_ago(1), "phone", False, hours_ago(hours))
    lifecycle.record_contact(referral, user("partner"), hours_ago(1))
    db.session.commit()
    response = client.post(
        f"/api/v1/referrals/{referral.id}/close",
        headers=bearer("partner", utcnow()),
        json={"outcome": "unable_to_contact"},
    )
    assert response.status_code == 409
    assert "cannot be closed as unable to contact" in response.json["error"]["message"]
    assert fresh(referral).status == "contacted"


def test_the_api_refuses_attempts_on_one_day_with_422(client, db, demo_hub):
    referral = forwarded_smoke_alarm()
    now = utcnow()
    for minutes in (3, 2, 1):
        moment = now - timedelta(minutes=minutes)
        lifecycle.record_attempt(referral, None, now, "phone", False, moment)
    db.session.commit()
    response = client.post(
        f"/api/v1/referrals/{referral.id}/close",
        headers=bearer("partner", utcnow()),
        json={"outcome": "unable_to_contact"},
    )
    assert response.status_code == 422
    assert "on at least 2 different days" in response.json["error"]["fields"]["outcome"]
    assert fresh(referral).status == "forwarded"


# --- Decline reasons ----------------------------------------------------------------------------


def _declined_event(db, referral) -> dict:
    return db.session.query(ReferralEvent).filter_by(referral_id=referral.id, kind="declined")


@pytest.mark.parametrize(
    ("code", "words", "stored"),
    [
        ("no_capacity", None, "No capacity"),
        ("not_eligible", "Under 65", "Not eligible: Under 65"),
        ("already_supported", None, "Already supported"),
        ("outside_area", None, "Outside our area"),
        ("client_unreachable", None, "Client unreachable"),
        ("other", "We only visit on Tuesdays", "We only visit on Tuesdays"),
        (None, "Free text, as before", "Free text, as before"),
    ],
)
def test_a_decline_keeps_its_code_and_words(db, forwarded, code, words, stored):
    lifecycle.decline_referral(forwarded, user("partner"), FORWARDED + D, words, reason_code=code)
    assert (forwarded.status, forwarded.status_reason) == ("declined", stored)
    event = _declined_event(db, forwarded).one()
    assert event.details == {"reason": stored, "reason_code": code or "other"}


@pytest.mark.parametrize(
    ("code", "words", "field"),
    [("other", "  ", "reason"), (None, None, "reason"), ("too_busy", "x", "reason_code")],
)
def test_a_decline_without_a_usable_reason_is_refused(db, forwarded, code, words, field):
    with pytest.raises(lifecycle.InvalidTransitionInput) as refused:
        lifecycle.decline_referral(forwarded, None, FORWARDED + D, words, reason_code=code)
    assert refused.value.field == field
    assert forwarded.status == "forwarded"


def _decline_over_the_api(client, referral, body):
    return client.post(
        f"/api/v1/referrals/{referral.id}/decline",
        headers=bearer("partner", utcnow()),
        json=body,
    )


def test_the_api_declines_with_a_code_or_free_text_as_before(client, db, demo_hub):
    coded, free = forwarded_smoke_alarm(), forwarded_smoke_alarm()
    db.session.commit()
    response = _decline_over_the_api(client, coded, {"reason_code": "no_capacity"})
    assert response.status_code == 200
    assert (response.json["status"], response.json["reason"]) == ("declined", "No capacity")
    response = _decline_over_the_api(client, free, {"reason": "Out of area"})
    assert (response.status_code, response.json["reason"]) == (200, "Out of area")
    assert _declined_event(db, free).one().details["reason_code"] == "other"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason_code": "busy"}, "reason_code"),
        ({"reason_code": "other"}, "reason"),
        ({"reason_code": 7}, "reason_code"),
        ({}, "reason"),
    ],
)
def test_the_api_refuses_a_decline_without_a_usable_reason(client, db, demo_hub, body, field):
    referral = forwarded_smoke_alarm()
    db.session.commit()
    response = _decline_over_the_api(client, referral, body)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]
    assert fresh(referral).status == "forwarded"


@pytest.mark.both_databases
def test_the_figures_count_declines_by_reason_code(db, demo_hub):
    received = datetime(2026, 3, 2, 9, 0)
    codes = ["no_capacity", "outside_area", "no_capacity", None, "other"]
    for code in codes:
        referral = submit(user("frontline"), received, yes=("smoke_alarms",)).referrals[0]
        lifecycle.forward_referral(referral, user("hub"), received + H)
        words = "Written by the partner" if code in (None, "other") else None
        lifecycle.decline_referral(referral, None, received + D, words, reason_code=code)
    db.session.commit()
    figures = report.figures(db.session, Filters(date(2026, 3, 1), date(2026, 3, 31)), received)
    assert figures["declines"] == [
        {"code": "no_capacity", "reason": "No capacity", "count": 2},
        {"code": "other", "reason": "Other", "count": 2},
        {"code": "outside_area", "reason": "Outside our area", "count": 1},
    ]
