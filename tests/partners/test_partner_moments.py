"""When an attempt or a contact happened: the form opens on today at the time now, "Today" and
"Yesterday" need no typing, and another day is typed as a GOV.UK date. Works without scripts:
the choice is an ordinary radio."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from hub.clock import LONDON, in_london, to_utc_naive, utcnow
from hub.models import ContactAttempt
from tests.api_support import fresh
from tests.support import forwarded_smoke_alarm, page_text


@pytest.fixture
def referral(db, demo_hub, sign_in_as):
    row = forwarded_smoke_alarm(hours=50)
    db.session.commit()
    sign_in_as("partner")
    return row


def _checked(html: str, value: str) -> bool:
    return re.search(rf'value="{value}"\s+checked', html) is not None


@pytest.mark.parametrize("action", ["/attempts/new", "/contact"])
def test_the_form_opens_on_today_at_the_time_now(client, referral, action):
    before = in_london(utcnow())
    html = client.get(f"/partner/referrals/{referral.id}{action}").get_data(as_text=True)
    after = in_london(utcnow())
    assert _checked(html, "today")
    assert not _checked(html, "yesterday") and not _checked(html, "another")
    assert "Today" in html and "Yesterday" in html and "Another day" in html
    times = {before.strftime("%H:%M"), after.strftime("%H:%M")}
    assert any(re.search(rf'name="time"[^>]*value="{t}"', html) for t in times), times
    days = {before.strftime("%d"), after.strftime("%d")}
    assert any(re.search(rf'id="when-day"[^>]*value="{d}"', html) for d in days), days
    assert re.search(rf'id="when-year"[^>]*value="{after.year}"', html)


def _local(day, hour: int, minute: int) -> datetime:
    """A UK date and time, as naive UTC."""
    return to_utc_naive(datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON))


def test_yesterday_needs_no_date_typed(client, db, referral):
    response = client.post(
        f"/partner/referrals/{referral.id}/attempts/new",
        data={"day": "yesterday", "time": "09:15", "method": "phone", "reached": "no"},
    )
    assert response.status_code == 302, page_text(response)
    yesterday = in_london(utcnow()).date() - timedelta(days=1)
    attempt = db.session.query(ContactAttempt).filter_by(referral_id=referral.id).one()
    assert attempt.attempted_at == _local(yesterday, 9, 15)


def test_today_needs_no_date_typed(client, db, referral):
    moment = in_london(utcnow() - timedelta(minutes=2))
    response = client.post(
        f"/partner/referrals/{referral.id}/contact",
        data={"day": "today", "time": moment.strftime("%H:%M"), "when": ["", "", ""]},
    )
    if moment.date() != in_london(utcnow()).date():
        pytest.skip("two minutes ago was yesterday")
    assert response.status_code == 302, page_text(response)
    assert fresh(referral).contacted_at == _local(moment.date(), moment.hour, moment.minute)


def test_another_day_needs_its_date(client, db, referral):
    response = client.post(
        f"/partner/referrals/{referral.id}/attempts/new",
        data={"day": "another", "time": "09:15", "method": "phone", "reached": "no"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter the date of the attempt" in page_text(response)
    assert _checked(html, "another")  # the choice is shown again
    assert 'value="09:15"' in html  # and so is the time


def test_a_moment_before_forwarding_is_refused_on_the_time(client, db, demo_hub, sign_in_as):
    row = forwarded_smoke_alarm(hours=1)
    db.session.commit()
    sign_in_as("partner")
    response = client.post(
        f"/partner/referrals/{row.id}/attempts/new",
        data={"day": "yesterday", "time": "00:00", "method": "phone", "reached": "no"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The date and time must be after the referral was forwarded" in page_text(response)
    assert 'href="#time"' in html  # the error summary leads to the time, not hidden date boxes
    assert _checked(html, "yesterday")
    assert fresh(row).attempts == []


def test_an_unknown_day_is_refused(client, referral):
    response = client.post(
        f"/partner/referrals/{referral.id}/contact", data={"day": "tomorrow", "time": "09:00"}
    )
    assert response.status_code == 422
    assert "Select the day of the contact" in page_text(response)
