"""The referral lifecycle: every allowed move, every refused one, and what each records."""

from datetime import timedelta

import pytest

from hub.models import ReferralEvent
from hub.referrals import lifecycle, overdue
from tests.factories import submit, user


def test_a_new_referral_is_received_with_a_24_hour_forwarding_deadline(referral, now):
    assert referral.status == "received"
    assert referral.received_at == now
    assert referral.forward_due_at == now + timedelta(hours=24)
    assert referral.partner.slug == "lfb-home-fire-safety"
    assert [event.kind for event in referral.events] == ["received"]


def test_the_forwarding_deadline_follows_the_setting(app, db, demo_hub, now):
    app.config["HUB_FORWARD_SLA_HOURS"] = 8
    submission = submit(user("frontline"), now, yes=("falls",))
    assert submission.referrals[0].forward_due_at == now + timedelta(hours=8)


def test_the_whole_happy_path_stamps_each_time_and_records_each_event(db, referral, now):
    hub_user = user("hub")
    partner_user = user("partner")
    lifecycle.forward_referral(referral, hub_user, now + timedelta(hours=2))
    assert referral.contact_due_at == now + timedelta(hours=2, days=14)
    lifecycle.accept_referral(referral, partner_user, now + timedelta(days=1))
    lifecycle.record_contact(referral, partner_user, now + timedelta(days=3), notes="Phoned")
    lifecycle.close_referral(
        referral, partner_user, now + timedelta(days=9), "service_provided", notes="Visited"
    )
    db.session.commit()
    assert referral.status == "closed"
    assert referral.forwarded_at == now + timedelta(hours=2)
    assert referral.accepted_at == now + timedelta(days=1)
    assert referral.contacted_at == now + timedelta(days=3)
    assert referral.closed_at == now + timedelta(days=9)
    assert referral.outcome == "service_provided"
    events = db.session.query(ReferralEvent).filter_by(referral_id=referral.id).all()
    assert [(e.kind, e.actor_id) for e in events] == [
        ("received", user("frontline").id),
        ("forwarded", hub_user.id),
        ("accepted", partner_user.id),
        ("contacted", partner_user.id),
        ("closed", partner_user.id),
    ]
    assert events[-1].details == {"outcome": "service_provided", "notes": "Visited"}


def test_contact_can_be_recorded_without_accepting_first(referral, now):
    lifecycle.forward_referral(referral, None, now)
    lifecycle.record_contact(referral, None, now + timedelta(days=1))
    assert referral.status == "contacted"
    assert referral.accepted_at is None


@pytest.mark.parametrize(
    "action",
    [
        lambda r, now: lifecycle.accept_referral(r, None, now),
        lambda r, now: lifecycle.record_contact(r, None, now),
        lambda r, now: lifecycle.close_referral(r, None, now, "service_provided"),
        lambda r, now: lifecycle.decline_referral(r, None, now, "Not our area"),
    ],
    ids=["accept", "contact", "close", "decline"],
)
def test_a_received_referral_refuses_partner_moves_and_changes_nothing(db, referral, now, action):
    with pytest.raises(lifecycle.TransitionNotAllowed) as refused:
        action(referral, now)
    assert referral.reference in str(refused.value)
    assert referral.status == "received"
    assert referral.accepted_at is referral.contacted_at is referral.closed_at is None
    assert len(referral.events) == 1


def test_forwarding_twice_is_refused(referral, now):
    lifecycle.forward_referral(referral, None, now)
    with pytest.raises(lifecycle.TransitionNotAllowed):
        lifecycle.forward_referral(referral, None, now + timedelta(hours=1))
    assert referral.forwarded_at == now


def test_decline_needs_a_reason_and_sends_it_back_to_the_hub(referral, now):
    lifecycle.forward_referral(referral, None, now)
    with pytest.raises(lifecycle.InvalidTransitionInput) as missing:
        lifecycle.decline_referral(referral, None, now, "  ")
    assert missing.value.field == "reason"
    assert referral.status == "forwarded"
    lifecycle.decline_referral(referral, None, now, "Outside our area")
    assert (referral.status, referral.status_reason) == ("declined", "Outside our area")


def test_cancel_from_any_open_state_but_not_after_closing(referral, now):
    lifecycle.forward_referral(referral, None, now)
    lifecycle.cancel_referral(referral, None, now, "Consent withdrawn")
    assert referral.status == "cancelled"
    assert referral.cancelled_at == now
    with pytest.raises(lifecycle.TransitionNotAllowed):
        lifecycle.cancel_referral(referral, None, now, "again")


def test_close_needs_a_known_outcome(referral, now):
    lifecycle.forward_referral(referral, None, now)
    lifecycle.record_contact(referral, None, now)
    with pytest.raises(lifecycle.InvalidTransitionInput):
        lifecycle.close_referral(referral, None, now, "sorted")
    assert referral.status == "contacted"


def test_a_note_is_history_not_a_status_change(referral, now):
    event = lifecycle.add_note(referral, user("hub"), now, "Phoned the client to confirm")
    assert event.details == {"note": "Phoned the client to confirm"}
    assert referral.status == "received"


def test_forward_all_forwards_only_what_is_waiting(db, demo_hub, now):
    submission = submit(user("frontline"), now, yes=("smoke_alarms", "falls", "lonely"))
    first = submission.referrals[0]
    lifecycle.cancel_referral(first, None, now, "Duplicate")
    forwarded = lifecycle.forward_all(submission, None, now + timedelta(hours=1))
    assert [r.question_key for r in forwarded] == ["falls", "lonely"]
    assert [r.status for r in submission.referrals] == ["cancelled", "forwarded", "forwarded"]


def test_overdue_is_judged_against_the_deadline_for_the_current_stage(referral, now):
    assert not overdue.is_overdue(referral, now + timedelta(hours=23, minutes=59))
    assert overdue.is_forward_overdue(referral, now + timedelta(hours=24))
    lifecycle.forward_referral(referral, None, now + timedelta(hours=30))
    assert not overdue.is_overdue(referral, now + timedelta(days=14))
    assert overdue.is_contact_overdue(referral, now + timedelta(hours=30, days=14))
