"""The lifecycle as partners close the loop: contact attempts, contact at a given time, closing
with an outcome, re-routing and closing declined referrals, reopening, more referrals on a
questionnaire, and consent withdrawn. Every refused change leaves the referral as it was."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hub.models import ContactAttempt, Referral, ReferralEvent
from hub.referrals import intake, lifecycle
from hub.status import OUTCOMES_WITHOUT_CONTACT
from tests.factories import submit, user
from tests.support import partner


def event_count(db, referral: Referral) -> int:
    return db.session.scalar(
        select(func.count(ReferralEvent.id)).where(ReferralEvent.referral_id == referral.id)
    )


def last_event(db, referral: Referral) -> ReferralEvent:
    return db.session.scalars(
        select(ReferralEvent)
        .where(ReferralEvent.referral_id == referral.id)
        .order_by(ReferralEvent.id.desc())
    ).first()


def kinds(db, referral: Referral) -> list[str]:
    return list(
        db.session.scalars(
            select(ReferralEvent.kind)
            .where(ReferralEvent.referral_id == referral.id)
            .order_by(ReferralEvent.id)
        )
    )


class Unchanged:
    """Asserts that a refused change left the referral's status, times, outcome, events and
    attempts as they were."""

    FIELDS = ("status", "contacted_at", "closed_at", "outcome", "status_reason")

    def __init__(self, db, referral: Referral):
        self.db, self.referral = db, referral
        self.before = self._state()

    def _state(self):
        return (
            tuple(getattr(self.referral, name) for name in self.FIELDS),
            event_count(self.db, self.referral),
            lifecycle.attempt_count(self.referral),
        )

    def check(self):
        assert self._state() == self.before


@pytest.fixture
def forwarded(db, referral, now) -> Referral:
    """The same referral, forwarded an hour after it was received."""
    lifecycle.forward_referral(referral, user("hub"), now + timedelta(hours=1))
    db.session.commit()
    return referral


def declined(db, now, yes=("smoke_alarms", "falls", "lonely")) -> Referral:
    """The first referral of a new questionnaire, forwarded and declined by its partner."""
    submission = submit(user("frontline"), now, yes=yes)
    first = submission.referrals[0]
    lifecycle.forward_referral(first, user("hub"), now + timedelta(hours=1))
    lifecycle.decline_referral(first, user("partner"), now + timedelta(days=1), "Not our area")
    db.session.commit()
    return first


# --- record_attempt ---------------------------------------------------------------------------


def test_an_attempt_that_did_not_reach_the_client_is_recorded_and_the_status_stays(
    db, forwarded, now
):
    lfb = user("partner")
    when = now + timedelta(days=2)
    attempt = lifecycle.record_attempt(
        forwarded, lfb, when + timedelta(hours=1), "phone", False, when, "  No answer  "
    )
    db.session.commit()
    assert forwarded.status == "forwarded"
    assert forwarded.contacted_at is None
    assert (attempt.method, attempt.reached, attempt.attempted_at) == ("phone", False, when)
    assert attempt.notes == "No answer"
    assert attempt.recorded_by_id == lfb.id
    assert attempt.recorded_at == when + timedelta(hours=1)
    assert lifecycle.attempt_count(forwarded) == 1
    event = last_event(db, forwarded)
    assert (event.kind, event.actor_id) == ("attempt", lfb.id)
    assert event.details == {
        "method": "phone",
        "reached": False,
        "attempted_at": when.isoformat(),
        "notes": "No answer",
    }


def test_an_attempt_without_a_time_happened_now(db, forwarded, now):
    later = now + timedelta(days=1)
    attempt = lifecycle.record_attempt(forwarded, None, later, "letter", False)
    assert attempt.attempted_at == later


def test_an_attempt_that_reached_the_client_records_the_contact_at_that_time(db, forwarded, now):
    lfb = user("partner")
    lifecycle.accept_referral(forwarded, lfb, now + timedelta(days=1))
    reached_at = now + timedelta(days=3)
    lifecycle.record_attempt(forwarded, lfb, now + timedelta(days=4), "visit", True, reached_at)
    db.session.commit()
    assert forwarded.status == "contacted"
    assert forwarded.contacted_at == reached_at
    assert kinds(db, forwarded)[-2:] == ["attempt", "contacted"]
    assert last_event(db, forwarded).details == {"contacted_at": reached_at.isoformat()}


def test_a_reaching_attempt_after_contact_does_not_record_contact_again(db, forwarded, now):
    first_contact = now + timedelta(days=2)
    lifecycle.record_contact(forwarded, None, first_contact)
    lifecycle.record_attempt(forwarded, None, now + timedelta(days=5), "sms", True)
    db.session.commit()
    assert forwarded.status == "contacted"
    assert forwarded.contacted_at == first_contact
    assert kinds(db, forwarded).count("contacted") == 1
    assert lifecycle.attempt_count(forwarded) == 1


@pytest.mark.parametrize(
    "offset, message",
    [
        (timedelta(days=3), "in the past"),  # after now: in the future
        (-timedelta(minutes=30), "after the referral was forwarded"),  # before forwarding
    ],
    ids=["future", "before-forwarding"],
)
def test_an_attempt_at_an_impossible_time_is_refused(db, forwarded, now, offset, message):
    unchanged = Unchanged(db, forwarded)
    current = now + timedelta(days=2)
    attempted_at = current + offset if offset > timedelta(0) else forwarded.forwarded_at + offset
    with pytest.raises(lifecycle.InvalidTransitionInput) as refused:
        lifecycle.record_attempt(forwarded, None, current, "phone", True, attempted_at)
    assert refused.value.field == "attempted_at"
    assert message in str(refused.value)
    unchanged.check()


@pytest.mark.parametrize(
    "method, reached, field",
    [("carrier pigeon", False, "method"), ("", False, "method"), ("phone", "yes", "reached")],
)
def test_an_attempt_with_bad_details_is_refused(db, forwarded, now, method, reached, field):
    unchanged = Unchanged(db, forwarded)
    with pytest.raises(lifecycle.InvalidTransitionInput) as refused:
        lifecycle.record_attempt(forwarded, None, now + timedelta(days=1), method, reached)
    assert refused.value.field == field
    unchanged.check()


def test_attempt_notes_over_2000_characters_are_refused(db, forwarded, now):
    unchanged = Unchanged(db, forwarded)
    with pytest.raises(lifecycle.InvalidTransitionInput) as refused:
        lifecycle.record_attempt(
            forwarded, None, now + timedelta(days=1), "phone", False, None, "x" * 2001
        )
    assert refused.value.field == "notes"
    unchanged.check()


def test_attempts_are_refused_before_forwarding_and_after_closing(db, referral, now):
    unchanged = Unchanged(db, referral)
    with pytest.raises(lifecycle.TransitionNotAllowed):
        lifecycle.record_attempt(referral, None, now, "phone", False)
    unchanged.check()

    lifecycle.forward_referral(referral, None, now + timedelta(hours=1))
    lifecycle.close_referral(referral, None, now + timedelta(days=1), "not_eligible")
    db.session.commit()
    unchanged = Unchanged(db, referral)
    with pytest.raises(lifecycle.TransitionNotAllowed) as refused:
        lifecycle.record_attempt(referral, None, now + timedelta(days=2), "phone", True)
    assert referral.reference in str(refused.value)
    unchanged.check()


def test_attempts_are_refused_on_a_declined_referral(db, demo_hub, now):
    first = declined(db, now)
    unchanged = Unchanged(db, first)
    with pytest.raises(lifecycle.TransitionNotAllowed):
        lifecycle.record_attempt(first, None, now + timedelta(days=2), "phone", False)
    unchanged.check()


# --- record_contact with a time ---------------------------------------------------------------


def test_contact_can_be_recorded_as_made_earlier(db, forwarded, now):
    made = now + timedelta(days=2)
    lifecycle.record_contact(forwarded, user("partner"), now + timedelta(days=3), "Spoke", made)
    db.session.commit()
    assert (forwarded.status, forwarded.contacted_at) == ("contacted", made)
    event = last_event(db, forwarded)
    assert event.kind == "contacted"
    assert event.at == now + timedelta(days=3)
    assert event.details == {"notes": "Spoke", "contacted_at": made.isoformat()}


def test_contact_made_now_records_no_separate_time(db, forwarded, now):
    lifecycle.record_contact(forwarded, None, now + timedelta(days=2))
    db.session.commit()
    assert forwarded.contacted_at == now + timedelta(days=2)
    assert last_event(db, forwarded).details == {}


@pytest.mark.parametrize("when", ["future", "before-forwarding"])
def test_contact_at_an_impossible_time_is_refused(db, forwarded, now, when):
    current = now + timedelta(days=2)
    contacted_at = (
        current + timedelta(minutes=1) if when == "future" else now  # forwarded at now + 1 h
    )
    unchanged = Unchanged(db, forwarded)
    with pytest.raises(lifecycle.InvalidTransitionInput) as refused:
        lifecycle.record_contact(forwarded, None, current, contacted_at=contacted_at)
    assert refused.value.field == "contacted_at"
    unchanged.check()


# --- close_referral ---------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", ["service_provided", "client_declined"])
def test_closing_without_contact_refuses_outcomes_that_need_contact(db, forwarded, now, outcome):
    unchanged = Unchanged(db, forwarded)
    with pytest.raises(lifecycle.TransitionNotAllowed) as refused:
        lifecycle.close_referral(forwarded, None, now + timedelta(days=1), outcome)
    assert "record the contact" in str(refused.value)
    unchanged.check()


@pytest.mark.parametrize("outcome", ["not_eligible", "referred_elsewhere"])
@pytest.mark.parametrize("accepted", [False, True], ids=["forwarded", "accepted"])
def test_closing_without_contact_allows_outcomes_that_need_none(
    db, forwarded, now, outcome, accepted
):
    assert set(OUTCOMES_WITHOUT_CONTACT) == {
        "unable_to_contact",
        "not_eligible",
        "referred_elsewhere",
    }
    if accepted:
        lifecycle.accept_referral(forwarded, None, now + timedelta(hours=2))
    lfb = user("partner")
    lifecycle.close_referral(forwarded, lfb, now + timedelta(days=1), outcome, " Too young ")
    db.session.commit()
    assert (forwarded.status, forwarded.outcome) == ("closed", outcome)
    assert forwarded.closed_at == now + timedelta(days=1)
    event = last_event(db, forwarded)
    assert (event.kind, event.actor_id) == ("closed", lfb.id)
    assert event.details == {"outcome": outcome, "notes": "Too young"}


def _attempts(referral, now, count):
    for number in range(count):
        when = now + timedelta(days=1 + number)
        lifecycle.record_attempt(referral, None, when, "phone", False)


def test_unable_to_contact_needs_three_recorded_attempts(app, db, forwarded, now):
    assert app.config["HUB_UNABLE_TO_CONTACT_ATTEMPTS"] == 3
    _attempts(forwarded, now, 2)
    db.session.commit()
    unchanged = Unchanged(db, forwarded)
    with pytest.raises(lifecycle.InvalidTransitionInput) as refused:
        lifecycle.close_referral(forwarded, None, now + timedelta(days=5), "unable_to_contact")
    assert refused.value.field == "outcome"
    assert "at least 3 attempts" in str(refused.value)
    assert "2 recorded so far" in str(refused.value)
    unchanged.check()

    _attempts(forwarded, now + timedelta(days=2), 1)
    lifecycle.close_referral(forwarded, None, now + timedelta(days=5), "unable_to_contact")
    db.session.commit()
    assert (forwarded.status, forwarded.outcome) == ("closed", "unable_to_contact")


def test_the_number_of_attempts_for_unable_to_contact_is_a_setting(app, db, forwarded, now):
    app.config["HUB_UNABLE_TO_CONTACT_ATTEMPTS"] = 2
    _attempts(forwarded, now, 1)
    with pytest.raises(lifecycle.InvalidTransitionInput) as refused:
        lifecycle.close_referral(forwarded, None, now + timedelta(days=5), "unable_to_contact")
    assert "at least 2 attempts" in str(refused.value)
    _attempts(forwarded, now + timedelta(days=1), 1)
    lifecycle.close_referral(forwarded, None, now + timedelta(days=5), "unable_to_contact")
    assert forwarded.status == "closed"


def test_after_contact_every_outcome_may_be_recorded(db, forwarded, now):
    lifecycle.record_contact(forwarded, None, now + timedelta(days=1))
    lifecycle.close_referral(forwarded, None, now + timedelta(days=2), "client_declined")
    assert (forwarded.status, forwarded.outcome) == ("closed", "client_declined")


def test_close_refuses_an_unknown_outcome_and_long_notes(db, forwarded, now):
    lifecycle.record_contact(forwarded, None, now + timedelta(days=1))
    db.session.commit()
    unchanged = Unchanged(db, forwarded)
    with pytest.raises(lifecycle.InvalidTransitionInput) as refused:
        lifecycle.close_referral(forwarded, None, now + timedelta(days=2), "no_suitable_service")
    assert refused.value.field == "outcome"  # only the hub closes a declined one as that
    with pytest.raises(lifecycle.InvalidTransitionInput) as refused:
        lifecycle.close_referral(
            forwarded, None, now + timedelta(days=2), "service_provided", "x" * 2001
        )
    assert refused.value.field == "notes"
    unchanged.check()


# --- reroute_referral -------------------------------------------------------------------------


def test_a_declined_referral_is_rerouted_as_a_new_received_referral(app, db, demo_hub, now):
    first = declined(db, now)
    submission = first.submission
    hub = user("hub")
    later = now + timedelta(days=2)
    new = lifecycle.reroute_referral(
        first, partner("age-uk-information-advice"), hub, later, " Try advice "
    )
    db.session.commit()
    assert new.id != first.id
    assert new.status == "received"
    assert new.partner.slug == "age-uk-information-advice"
    assert new.question_key == first.question_key
    assert new.submission_id == submission.id
    assert new.rerouted_from_id == first.id
    assert new.received_at == later
    assert new.forward_due_at == later + timedelta(hours=24)
    assert new.reference == f"{submission.reference}-04"  # after the three flags
    assert lifecycle.rerouted_to(first).id == new.id
    assert first.status == "declined"
    rerouted = last_event(db, first)
    assert (rerouted.kind, rerouted.actor_id) == ("rerouted", hub.id)
    assert rerouted.details == {
        "partner": "age-uk-information-advice",
        "to": new.reference,
        "note": "Try advice",
    }
    received = last_event(db, new)
    assert received.kind == "received"
    assert received.details["rerouted_from"] == first.reference


def test_the_fresh_forwarding_deadline_follows_the_setting(app, db, demo_hub, now):
    app.config["HUB_FORWARD_SLA_HOURS"] = 8
    first = declined(db, now, yes=("smoke_alarms",))
    new = lifecycle.reroute_referral(first, partner("age-uk-befriending"), None, now)
    assert new.forward_due_at == now + timedelta(hours=8)
    assert new.reference.endswith("-02")


def test_rerouting_to_the_partner_that_declined_is_refused(db, demo_hub, now):
    first = declined(db, now)
    unchanged = Unchanged(db, first)
    with pytest.raises(lifecycle.InvalidTransitionInput) as refused:
        lifecycle.reroute_referral(first, first.partner, None, now + timedelta(days=2))
    assert refused.value.field == "partner"
    unchanged.check()
    assert lifecycle.rerouted_to(first) is None
    assert len(first.submission.referrals) == 3


def test_rerouting_to_an_organisation_that_is_not_a_partner_is_refused(db, demo_hub, now):
    first = declined(db, now)
    with pytest.raises(lifecycle.InvalidTransitionInput) as refused:
        lifecycle.reroute_referral(
            first, partner("lambeth-adult-social-care"), None, now + timedelta(days=2)
        )
    assert refused.value.field == "partner"
    assert lifecycle.rerouted_to(first) is None


def test_rerouting_twice_is_refused(db, demo_hub, now):
    first = declined(db, now)
    lifecycle.reroute_referral(first, partner("age-uk-befriending"), None, now + timedelta(days=2))
    db.session.commit()
    unchanged = Unchanged(db, first)
    with pytest.raises(lifecycle.TransitionNotAllowed) as refused:
        lifecycle.reroute_referral(
            first, partner("active-ageing-exercise"), None, now + timedelta(days=3)
        )
    assert "already been re-routed" in str(refused.value)
    unchanged.check()
    count = select(func.count(Referral.id)).where(Referral.submission_id == first.submission_id)
    assert db.session.scalar(count) == 4


def test_a_second_re_route_that_missed_the_first_is_refused_by_the_database(
    db, demo_hub, now, monkeypatch
):
    """As if a path forgot the lock and did not see the first re-route: the unique index on
    ``rerouted_from_id`` refuses the second, as a refusal, not an error."""
    first = declined(db, now)
    lifecycle.reroute_referral(first, partner("age-uk-befriending"), None, now + timedelta(days=2))
    db.session.commit()
    monkeypatch.setattr(lifecycle, "rerouted_to", lambda referral: None)
    with pytest.raises(lifecycle.TransitionNotAllowed, match="already been re-routed"):
        lifecycle.reroute_referral(
            first, partner("active-ageing-exercise"), None, now + timedelta(days=3)
        )
    db.session.rollback()
    count = select(func.count(Referral.id)).where(Referral.rerouted_from_id == first.id)
    assert db.session.scalar(count) == 1


def test_only_a_declined_referral_can_be_rerouted(db, forwarded, now):
    unchanged = Unchanged(db, forwarded)
    with pytest.raises(lifecycle.TransitionNotAllowed):
        lifecycle.reroute_referral(forwarded, partner("age-uk-befriending"), None, now)
    unchanged.check()
    assert lifecycle.rerouted_to(forwarded) is None


# --- close_declined ---------------------------------------------------------------------------


def test_the_hub_closes_a_declined_referral_as_no_suitable_service(db, demo_hub, now):
    first = declined(db, now)
    hub = user("hub")
    lifecycle.close_declined(first, hub, now + timedelta(days=2), " Nothing else nearby ")
    db.session.commit()
    assert (first.status, first.outcome) == ("closed", "no_suitable_service")
    assert first.closed_at == now + timedelta(days=2)
    event = last_event(db, first)
    assert (event.kind, event.actor_id) == ("closed", hub.id)
    assert event.details == {"outcome": "no_suitable_service", "notes": "Nothing else nearby"}


def test_close_declined_is_refused_after_a_reroute_or_when_not_declined(
    db, demo_hub, forwarded, now
):
    unchanged = Unchanged(db, forwarded)
    with pytest.raises(lifecycle.TransitionNotAllowed):
        lifecycle.close_declined(forwarded, None, now)
    unchanged.check()

    first = declined(db, now)
    lifecycle.reroute_referral(first, partner("age-uk-befriending"), None, now + timedelta(days=2))
    db.session.commit()
    unchanged = Unchanged(db, first)
    with pytest.raises(lifecycle.TransitionNotAllowed) as refused:
        lifecycle.close_declined(first, None, now + timedelta(days=3))
    assert "already been re-routed" in str(refused.value)
    unchanged.check()


# --- reopen_referral --------------------------------------------------------------------------


def test_reopening_after_contact_goes_back_to_contacted(db, forwarded, now):
    lifecycle.record_contact(forwarded, None, now + timedelta(days=1))
    lifecycle.close_referral(forwarded, None, now + timedelta(days=2), "service_provided")
    db.session.commit()
    hub = user("hub")
    lifecycle.reopen_referral(forwarded, hub, now + timedelta(days=3), " Client says no visit ")
    db.session.commit()
    assert forwarded.status == "contacted"
    assert forwarded.outcome is None and forwarded.closed_at is None
    assert forwarded.contacted_at == now + timedelta(days=1)
    event = last_event(db, forwarded)
    assert (event.kind, event.actor_id, event.at) == ("reopened", hub.id, now + timedelta(days=3))
    assert event.details == {
        "note": "Client says no visit",
        "previous_outcome": "service_provided",
    }
    # And it can be closed again.
    lifecycle.close_referral(forwarded, None, now + timedelta(days=4), "client_declined")
    assert forwarded.outcome == "client_declined"


@pytest.mark.parametrize(
    "accept, expected", [(True, "accepted"), (False, "forwarded")], ids=["accepted", "forwarded"]
)
def test_reopening_without_contact_goes_back_to_where_it_was_closed(
    db, forwarded, now, accept, expected
):
    if accept:
        lifecycle.accept_referral(forwarded, None, now + timedelta(hours=2))
    lifecycle.close_referral(forwarded, None, now + timedelta(days=1), "referred_elsewhere")
    lifecycle.reopen_referral(forwarded, None, now + timedelta(days=2), "Closed by mistake")
    assert forwarded.status == expected
    assert last_event(db, forwarded).details["previous_outcome"] == "referred_elsewhere"


def test_reopening_a_declined_referral_closed_by_the_hub_goes_back_to_declined(db, demo_hub, now):
    first = declined(db, now)
    lifecycle.close_declined(first, None, now + timedelta(days=2))
    lifecycle.reopen_referral(first, None, now + timedelta(days=3), "A new service opened")
    db.session.commit()
    assert first.status == "declined" and first.outcome is None
    assert last_event(db, first).details["previous_outcome"] == "no_suitable_service"
    new = lifecycle.reroute_referral(first, partner("age-uk-befriending"), None, now)
    assert new.rerouted_from_id == first.id


def test_reopening_needs_a_note_and_a_closed_referral(db, forwarded, now):
    unchanged = Unchanged(db, forwarded)
    with pytest.raises(lifecycle.TransitionNotAllowed):
        lifecycle.reopen_referral(forwarded, None, now, "Why not")
    unchanged.check()

    lifecycle.close_referral(forwarded, None, now + timedelta(days=1), "not_eligible")
    db.session.commit()
    unchanged = Unchanged(db, forwarded)
    with pytest.raises(lifecycle.InvalidTransitionInput) as refused:
        lifecycle.reopen_referral(forwarded, None, now + timedelta(days=2), "   ")
    assert refused.value.field == "note"
    unchanged.check()
    assert forwarded.outcome == "not_eligible"


# --- add_referrals ----------------------------------------------------------------------------


def test_more_referrals_are_numbered_after_the_questionnaires_own(app, db, demo_hub, now):
    submission = submit(user("frontline"), now, yes=("smoke_alarms", "falls"))
    db.session.commit()
    later = now + timedelta(days=28)
    hub = user("hub")
    added = intake.add_referrals(
        submission,
        [
            intake.NewReferral("lonely", partner("age-uk-befriending")),
            intake.NewReferral("benefits", partner("age-uk-information-advice")),
        ],
        hub,
        later,
        source="follow_up",
    )
    db.session.commit()
    assert [r.reference for r in added] == [
        f"{submission.reference}-03",
        f"{submission.reference}-04",
    ]
    for referral in added:
        assert referral.status == "received"
        assert referral.submission_id == submission.id
        assert referral.received_at == later
        assert referral.forward_due_at == later + timedelta(hours=24)
        assert referral.rerouted_from_id is None
    event = last_event(db, added[1])
    assert (event.kind, event.actor_id, event.at) == ("received", hub.id, later)
    assert event.details == {
        "partner": "age-uk-information-advice",
        "question": "benefits",
        "source": "follow_up",
    }
    # The next ones follow on.
    (fifth,) = intake.add_referrals(
        submission, [intake.NewReferral("repairs", partner("handyperson-service"))], None, later
    )
    assert fifth.reference == f"{submission.reference}-05"


def test_adding_no_referrals_adds_nothing(db, demo_hub, now):
    submission = submit(user("frontline"), now, yes=("smoke_alarms",))
    assert intake.add_referrals(submission, [], None, now) == []
    count = select(func.count(Referral.id)).where(Referral.submission_id == submission.id)
    assert db.session.scalar(count) == 1


# --- withdraw_consent -------------------------------------------------------------------------


@pytest.mark.both_databases  # locks the person's referrals: FOR UPDATE OF
def test_withdrawing_consent_cancels_the_open_referrals_of_the_person_the_hub_confirmed(
    db, demo_hub, now
):
    """The other questionnaire is included because hub staff said it is the same person
    (tests/referrals/test_withdraw_consent.py: not otherwise)."""
    worker, hub = user("frontline"), user("hub")
    first = submit(worker, now, yes=("smoke_alarms", "falls"))
    again = submit(worker, now + timedelta(days=3), yes=("lonely",), given_name=" EDNA ")
    someone_else = submit(worker, now, yes=("smoke_alarms",), given_name="Winifred")
    done, waiting = first.referrals
    lifecycle.forward_referral(done, hub, now + timedelta(hours=1))
    lifecycle.close_referral(done, None, now + timedelta(days=1), "not_eligible")
    lifecycle.forward_referral(again.referrals[0], hub, now + timedelta(days=3, hours=1))
    db.session.commit()
    closed_before = Unchanged(db, done)
    others_before = Unchanged(db, someone_else.referrals[0])

    when = now + timedelta(days=5)
    cancelled = lifecycle.withdraw_consent(
        again.client, hub, when, " Moved into a care home ", same_person=[first.client]
    )
    db.session.commit()

    assert {r.id for r in cancelled} == {waiting.id, again.referrals[0].id}
    for referral in cancelled:
        assert referral.status == "cancelled"
        assert referral.cancelled_at == when
        assert referral.status_reason == "Consent withdrawn: Moved into a care home"
        event = last_event(db, referral)
        assert (event.kind, event.actor_id) == ("cancelled", hub.id)
        assert event.details == {"reason": "Consent withdrawn: Moved into a care home"}
    closed_before.check()
    others_before.check()
    db.session.refresh(first.client)
    db.session.refresh(someone_else.client)
    assert first.client.consent_withdrawn_at == when
    assert again.client.consent_withdrawn_at == when
    assert someone_else.client.consent_withdrawn_at is None


def test_withdrawing_consent_needs_a_reason_and_changes_nothing_without_one(db, demo_hub, now):
    submission = submit(user("frontline"), now, yes=("smoke_alarms",))
    db.session.commit()
    unchanged = Unchanged(db, submission.referrals[0])
    with pytest.raises(lifecycle.InvalidTransitionInput) as refused:
        lifecycle.withdraw_consent(submission.client, user("hub"), now, "  ")
    assert refused.value.field == "reason"
    unchanged.check()
    assert submission.client.consent_withdrawn_at is None


def test_withdrawing_consent_again_keeps_the_first_time(db, demo_hub, now):
    submission = submit(user("frontline"), now, yes=("smoke_alarms",))
    lifecycle.withdraw_consent(submission.client, None, now, "Asked us to stop")
    db.session.commit()
    assert (
        lifecycle.withdraw_consent(submission.client, None, now + timedelta(days=1), "Again") == []
    )
    db.session.commit()
    db.session.refresh(submission.client)
    assert submission.client.consent_withdrawn_at == now


def test_attempts_are_stored_in_order_of_when_they_happened(db, forwarded, now):
    lifecycle.record_attempt(
        forwarded, None, now + timedelta(days=3), "sms", False, now + timedelta(days=2)
    )
    lifecycle.record_attempt(
        forwarded, None, now + timedelta(days=3), "phone", False, now + timedelta(days=1)
    )
    db.session.commit()
    db.session.expire(forwarded)
    assert [a.method for a in forwarded.attempts] == ["phone", "sms"]
    assert db.session.scalar(select(func.count(ContactAttempt.id))) == 2
