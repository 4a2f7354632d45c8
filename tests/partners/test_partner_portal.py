"""The partner portal's referral page and actions, over the web: accept, record attempts and
contact, close with an outcome, decline. Another agency's partner sees none of it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from hub.auth import accounts, sessions
from hub.clock import in_london, to_utc_naive, utcnow
from hub.models import ContactAttempt, Referral, ReferralEvent
from hub.referrals import lifecycle
from tests.factories import submit, user
from tests.support import page_text, sign_in

FALLS_EMAIL = "falls@nhs-falls.example.org"
FALLS_PASSWORD = "falls-partner-password"
SMOKE_QUESTION = "Would you like a free home fire safety visit"
FALLS_QUESTION = "Have you had a fall in the last year"


def typed_moment(moment_utc, **overrides) -> dict:
    """Form fields for a moment (naive UTC) as a partner types it, in UK time."""
    local = in_london(moment_utc)
    fields = {
        "when": [str(local.day), str(local.month), str(local.year)],
        "time": local.strftime("%H:%M"),
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def forwarded(db, demo_hub):
    """A questionnaire with a smoke alarm flag (for the fire brigade, the demo partner) and a
    falls flag (for falls prevention), both forwarded 3 days ago."""
    past = utcnow() - timedelta(days=3)
    smoke, falls = submit(user("frontline"), past, yes=("smoke_alarms", "falls")).referrals
    for referral in (smoke, falls):
        lifecycle.forward_referral(referral, user("hub"), past)
    db.session.commit()
    return {"smoke": smoke, "falls": falls, "forwarded_at": past}


@pytest.fixture
def partner(client, sign_in_as, forwarded):
    return sign_in_as("partner")


def url(referral: Referral, action: str = "") -> str:
    return f"/partner/referrals/{referral.id}{action}"


def fresh(db, referral: Referral) -> Referral:
    db.session.expire_all()
    return db.session.get(Referral, referral.id)


def event_count(db, referral: Referral) -> int:
    return db.session.query(ReferralEvent).filter_by(referral_id=referral.id).count()


# --- The referral page ------------------------------------------------------------------------


def test_the_referral_page_shows_the_client_and_only_this_referrals_answer(
    client, db, partner, forwarded
):
    lifecycle.add_note(forwarded["smoke"], user("hub"), utcnow(), "Phoned to confirm: says yes")
    db.session.commit()
    response = client.get(url(forwarded["smoke"]))
    assert response.status_code == 200
    text = page_text(response)
    assert forwarded["smoke"].reference in text
    for detail in (
        "Edna Clarke",
        "17 May 1941",
        "12 Acre Lane",
        "SW2 5SG",
        "020 7946 0123",
        "Phone call",
        "Mornings",
    ):
        assert detail in text, detail
    assert SMOKE_QUESTION in text
    assert "Why the client was referred to you" in text
    assert "days left" in text and "Forwarded" in text
    # Not the answers meant for others, nor the other referrals, nor the hub's own notes.
    assert FALLS_QUESTION not in text
    assert forwarded["falls"].reference not in text
    assert "NHS Falls" not in text
    assert "Phoned to confirm" not in text
    assert "No attempts recorded yet" in text
    assert "Accept referral" in text and "Decline the referral" in text


def test_the_inbox_links_each_referral_to_its_page(client, partner, forwarded):
    html = client.get("/partner/referrals").get_data(as_text=True)
    assert f'href="/partner/referrals/{forwarded["smoke"].id}"' in html


# --- Accept -----------------------------------------------------------------------------------


@pytest.mark.both_databases  # locks the referral: FOR UPDATE OF
def test_a_partner_accepts_a_referral(client, db, partner, forwarded):
    response = client.post(url(forwarded["smoke"], "/accept"))
    assert response.status_code == 302
    assert response.headers["Location"] == url(forwarded["smoke"])
    assert fresh(db, forwarded["smoke"]).status == "accepted"
    text = page_text(client.get(response.headers["Location"]))
    assert f"Referral {forwarded['smoke'].reference} accepted" in text
    assert "Contact the client by" in text
    assert "Accepted by the partner" in text  # in the history
    assert "Accept referral" not in text


def test_accepting_twice_is_refused_and_changes_nothing(client, db, partner, forwarded):
    client.post(url(forwarded["smoke"], "/accept"))
    events = event_count(db, forwarded["smoke"])
    response = client.post(url(forwarded["smoke"], "/accept"))
    assert response.status_code == 409
    text = page_text(response)
    assert "There is a problem" in text
    assert "cannot be accepted now" in text
    assert event_count(db, forwarded["smoke"]) == events


# --- Contact attempts -------------------------------------------------------------------------


def test_an_attempt_that_did_not_reach_the_client_is_recorded(client, db, partner, forwarded):
    when = utcnow().replace(second=0) - timedelta(hours=2)
    response = client.post(
        url(forwarded["smoke"], "/attempts/new"),
        data={**typed_moment(when), "method": "phone", "reached": "no", "notes": "Voicemail"},
    )
    assert response.status_code == 302, page_text(response)
    attempt = db.session.query(ContactAttempt).filter_by(referral_id=forwarded["smoke"].id).one()
    assert attempt.attempted_at == when  # typed in UK time, stored as UTC
    assert (attempt.method, attempt.reached, attempt.notes) == ("phone", False, "Voicemail")
    assert fresh(db, forwarded["smoke"]).status == "forwarded"
    text = page_text(client.get(response.headers["Location"]))
    assert (
        "Attempt recorded. 1 recorded so far, on 1 day. Closing as unable to contact needs at "
        "least 3 attempts to contact the client, on at least 2 different days." in text
    )
    assert "Voicemail" in text and "Attempt to contact the client" in text


def test_an_attempt_that_reached_the_client_records_the_contact(client, db, partner, forwarded):
    when = utcnow().replace(second=0) - timedelta(hours=1)
    response = client.post(
        url(forwarded["smoke"], "/attempts/new"),
        data={**typed_moment(when), "method": "visit", "reached": "yes"},
    )
    assert response.status_code == 302
    referral = fresh(db, forwarded["smoke"])
    assert referral.status == "contacted" and referral.contacted_at == when
    text = page_text(client.get(response.headers["Location"]))
    assert "contact with the client is recorded" in text


def test_an_empty_attempt_says_what_is_missing(client, db, partner, forwarded):
    response = client.post(url(forwarded["smoke"], "/attempts/new"), data={})
    assert response.status_code == 422
    text = page_text(response)
    for message in (
        "Enter the date of the attempt",
        "Enter the time of the attempt",
        "Select how you tried to contact the client",
        "Select yes if the attempt reached the client",
    ):
        assert message in text, message
    html = response.get_data(as_text=True)
    assert 'href="#when-day"' in html and 'href="#method"' in html
    assert db.session.query(ContactAttempt).count() == 0


def test_a_wrong_attempt_keeps_every_answer(client, db, partner, forwarded):
    response = client.post(
        url(forwarded["smoke"], "/attempts/new"),
        data={
            "when": ["31", "2", "2026"],
            "time": "25:00",
            "method": "sms",
            "reached": "no",
            "notes": "Texted the mobile",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The date of the attempt must be a real date" in html
    assert "Enter the time of the attempt as a time of day" in html
    assert 'value="31"' in html and 'value="2026"' in html and 'value="25:00"' in html
    assert re.search(r'value="sms"\s+checked', html)
    assert re.search(r'value="no"\s+checked', html)
    assert "Texted the mobile" in html
    assert db.session.query(ContactAttempt).count() == 0


@pytest.mark.parametrize(
    "offset, message",
    [
        (timedelta(days=1), "The date and time must be in the past"),
        (-timedelta(days=5), "The date and time must be after the referral was forwarded"),
    ],
)
def test_an_attempt_must_be_after_forwarding_and_not_in_the_future(
    client, db, partner, forwarded, offset, message
):
    when = utcnow().replace(second=0) + offset
    response = client.post(
        url(forwarded["smoke"], "/attempts/new"),
        data={**typed_moment(when), "method": "phone", "reached": "no"},
    )
    assert response.status_code == 422
    text = page_text(response)
    assert message in text
    assert response.get_data(as_text=True).count(message) == 2  # summary and field
    assert db.session.query(ContactAttempt).count() == 0
    assert event_count(db, forwarded["smoke"]) == 2  # received, forwarded


def test_times_like_2pm_are_understood(client, db, partner, forwarded):
    local = in_london(utcnow() - timedelta(days=1))
    response = client.post(
        url(forwarded["smoke"], "/attempts/new"),
        data={
            "when": [str(local.day), str(local.month), str(local.year)],
            "time": "2pm",
            "method": "letter",
            "reached": "no",
        },
    )
    assert response.status_code == 302
    attempt = db.session.query(ContactAttempt).one()
    expected = local.replace(hour=14, minute=0, second=0, microsecond=0)
    assert attempt.attempted_at == to_utc_naive(expected)


# --- Contact ----------------------------------------------------------------------------------


def test_a_partner_records_contact_made(client, db, partner, forwarded):
    when = utcnow().replace(second=0) - timedelta(hours=3)
    response = client.post(
        url(forwarded["smoke"], "/contact"), data={**typed_moment(when), "notes": "Visit booked"}
    )
    assert response.status_code == 302
    referral = fresh(db, forwarded["smoke"])
    assert referral.status == "contacted" and referral.contacted_at == when
    text = page_text(client.get(response.headers["Location"]))
    assert f"Contact with the client recorded for referral {referral.reference}" in text
    assert "Visit booked" in text
    assert "Record contact made" not in text  # no longer on offer


def test_contact_needs_a_date_and_time(client, db, partner, forwarded):
    response = client.post(url(forwarded["smoke"], "/contact"), data={"notes": "Spoke to Edna"})
    assert response.status_code == 422
    text = page_text(response)
    assert "Enter the date of the contact" in text and "Enter the time of the contact" in text
    assert "Spoke to Edna" in text
    assert fresh(db, forwarded["smoke"]).status == "forwarded"


# --- Close ------------------------------------------------------------------------------------


@pytest.mark.both_databases  # locks the referral: FOR UPDATE OF
def test_a_partner_closes_a_contacted_referral_with_an_outcome(client, db, partner, forwarded):
    lifecycle.record_contact(forwarded["smoke"], user("partner"), utcnow())
    db.session.commit()
    form = page_text(client.get(url(forwarded["smoke"], "/close")))
    assert "Service provided" in form and "Client declined" in form
    response = client.post(
        url(forwarded["smoke"], "/close"),
        data={"outcome": "service_provided", "notes": "Fitted two alarms"},
    )
    assert response.status_code == 302
    referral = fresh(db, forwarded["smoke"])
    assert (referral.status, referral.outcome) == ("closed", "service_provided")
    text = page_text(client.get(response.headers["Location"]))
    assert f"Referral {referral.reference} closed: service provided" in text
    assert "Fitted two alarms" in text


def test_without_contact_only_outcomes_that_need_none_are_offered(client, partner, forwarded):
    html = client.get(url(forwarded["smoke"], "/close")).get_data(as_text=True)
    for offered in ("unable_to_contact", "not_eligible", "referred_elsewhere"):
        assert f'value="{offered}"' in html
    for withheld in ("service_provided", "client_declined"):
        assert f'value="{withheld}"' not in html
    assert "record the contact" in html


def test_after_contact_unable_to_contact_is_neither_offered_nor_accepted(
    client, db, partner, forwarded
):
    referral = forwarded["smoke"]
    for hours in (60, 30, 2):
        lifecycle.record_attempt(
            referral, user("partner"), utcnow(), "phone", False, utcnow() - timedelta(hours=hours)
        )
    lifecycle.record_contact(referral, user("partner"), utcnow())
    db.session.commit()
    html = client.get(url(referral, "/close")).get_data(as_text=True)
    assert 'value="unable_to_contact"' not in html
    for offered in ("service_provided", "client_declined", "not_eligible", "referred_elsewhere"):
        assert f'value="{offered}"' in html
    assert "“unable to contact” no longer applies" in page_text(client.get(url(referral, "/close")))
    assert "To close the referral as unable to contact" not in page_text(client.get(url(referral)))
    response = client.post(url(referral, "/close"), data={"outcome": "unable_to_contact"})
    assert response.status_code == 409
    assert "cannot be closed as unable to contact" in page_text(response)
    assert fresh(db, referral).status == "contacted"


def test_closing_with_provided_service_without_contact_is_refused(client, db, partner, forwarded):
    response = client.post(url(forwarded["smoke"], "/close"), data={"outcome": "service_provided"})
    assert response.status_code == 409
    assert "has no contact with the client recorded" in page_text(response)
    assert fresh(db, forwarded["smoke"]).status == "forwarded"


def test_unable_to_contact_needs_three_recorded_attempts(client, db, partner, forwarded):
    referral = forwarded["smoke"]
    for hours in (50, 20):  # 30 hours apart: on two different days, whatever the time now
        lifecycle.record_attempt(
            referral, user("partner"), utcnow(), "phone", False, utcnow() - timedelta(hours=hours)
        )
    db.session.commit()
    text = page_text(client.get(url(referral, "/close")))
    assert (
        "“Unable to contact” needs at least 3 attempts to contact the client, on at least 2 "
        "different days: 2 recorded so far, on 2 days." in text
    )
    assert (
        "Needs at least 3 attempts to contact the client, on at least 2 different days; "
        "2 recorded so far, on 2 days." in text
    )

    response = client.post(
        url(referral, "/close"), data={"outcome": "unable_to_contact", "notes": "No answer"}
    )
    assert response.status_code == 422
    text = page_text(response)
    assert "Record at least 3 attempts to contact the client" in text
    assert "No answer" in text  # kept
    assert re.search(r'value="unable_to_contact"\s+checked', response.get_data(as_text=True))
    assert fresh(db, referral).status == "forwarded"

    client.post(
        url(referral, "/attempts/new"),
        data={
            **typed_moment(utcnow().replace(second=0) - timedelta(hours=1)),
            "method": "letter",
            "reached": "no",
        },
    )
    assert "you can now close the referral as unable to contact" in page_text(
        client.get(url(referral))
    )
    response = client.post(url(referral, "/close"), data={"outcome": "unable_to_contact"})
    assert response.status_code == 302
    assert fresh(db, referral).outcome == "unable_to_contact"


def test_closing_needs_an_outcome(client, db, partner, forwarded):
    response = client.post(url(forwarded["smoke"], "/close"), data={"notes": "Done"})
    assert response.status_code == 422
    assert "Select the outcome of the referral" in page_text(response)
    assert 'href="#outcome"' in response.get_data(as_text=True)


# --- Decline ----------------------------------------------------------------------------------


def test_a_partner_declines_with_a_reason_from_the_list(client, db, partner, forwarded):
    form = page_text(client.get(url(forwarded["smoke"], "/decline")))
    assert "goes back to the hub" in form
    for label in (
        "No capacity",
        "Not eligible",
        "Already supported",
        "Outside our area",
        "Client unreachable",
        "Other",
    ):
        assert label in form
    response = client.post(url(forwarded["smoke"], "/decline"), data={"reason": "  "})
    assert response.status_code == 422
    assert "Select why you are declining this referral" in page_text(response)
    assert fresh(db, forwarded["smoke"]).status == "forwarded"

    response = client.post(
        url(forwarded["smoke"], "/decline"), data={"reason_code": "outside_area"}
    )
    assert response.status_code == 302
    referral = fresh(db, forwarded["smoke"])
    assert (referral.status, referral.status_reason) == ("declined", "Outside our area")
    event = db.session.query(ReferralEvent).filter_by(referral_id=referral.id, kind="declined")
    assert event.one().details == {"reason": "Outside our area", "reason_code": "outside_area"}
    text = page_text(client.get(response.headers["Location"]))
    assert "declined. It goes back to the hub" in text
    assert "Reason: Outside our area" in text


def test_other_needs_the_partners_own_words(client, db, partner, forwarded):
    response = client.post(
        url(forwarded["smoke"], "/decline"), data={"reason_code": "other", "reason": " "}
    )
    assert response.status_code == 422
    text = page_text(response)
    assert "Enter why you are declining this referral" in text
    assert re.search(r'value="other"\s+checked', response.get_data(as_text=True))
    assert fresh(db, forwarded["smoke"]).status == "forwarded"


def test_other_keeps_the_partners_words_and_no_other_reason_does(client, db, partner, forwarded):
    smoke, falls = forwarded["smoke"], forwarded["falls"]
    falls.partner = smoke.partner  # both the fire brigade's
    db.session.commit()
    response = client.post(
        url(smoke, "/decline"),
        data={"reason_code": "other", "reason": "We only fit alarms for tenants"},
    )
    assert response.status_code == 302
    assert fresh(db, smoke).status_reason == "We only fit alarms for tenants"
    # Words typed under "Other" and then another reason chosen are not kept.
    response = client.post(
        url(falls, "/decline"), data={"reason_code": "no_capacity", "reason": "typed, then not"}
    )
    assert response.status_code == 302
    assert fresh(db, falls).status_reason == "No capacity"


def test_an_action_the_status_does_not_allow_is_refused(client, db, partner, forwarded):
    lifecycle.record_contact(forwarded["smoke"], user("partner"), utcnow())
    lifecycle.close_referral(forwarded["smoke"], user("partner"), utcnow(), "service_provided")
    db.session.commit()
    events = event_count(db, forwarded["smoke"])
    page = client.get(url(forwarded["smoke"], "/decline"))
    assert page.status_code == 409
    assert "cannot be declined now" in page_text(page)
    assert "Why are you declining" not in page_text(page)
    response = client.post(url(forwarded["smoke"], "/decline"), data={"reason": "Too late"})
    assert response.status_code == 409
    assert "cannot be declined now" in page_text(response)
    response = client.post(
        url(forwarded["smoke"], "/attempts/new"),
        data={**typed_moment(utcnow() - timedelta(hours=1)), "method": "sms", "reached": "no"},
    )
    assert response.status_code == 409
    assert fresh(db, forwarded["smoke"]).status == "closed"
    assert event_count(db, forwarded["smoke"]) == events


def test_a_cancelled_referral_tells_the_partner_to_stop(client, db, partner, forwarded):
    lifecycle.cancel_referral(
        forwarded["smoke"], user("hub"), utcnow(), "Consent withdrawn: moved abroad"
    )
    db.session.commit()
    text = page_text(client.get(url(forwarded["smoke"])))
    assert "Stop any work on it" in text
    assert "Consent withdrawn: moved abroad" in text
    assert "Nothing: this referral is cancelled" in text


# --- Who may see and do what ------------------------------------------------------------------

ACTIONS = [
    ("get", ""),
    ("post", "/accept"),
    ("get", "/attempts/new"),
    ("post", "/attempts/new"),
    ("get", "/contact"),
    ("post", "/contact"),
    ("get", "/close"),
    ("post", "/close"),
    ("get", "/decline"),
    ("post", "/decline"),
]


@pytest.fixture
def falls_partner(client, db, forwarded):
    accounts.create_user(
        FALLS_EMAIL,
        "partner",
        accounts.find_organisation("nhs-falls-prevention"),
        FALLS_PASSWORD,
        utcnow(),
        name="Falls team",
    )
    db.session.commit()
    sign_in(client, FALLS_EMAIL, FALLS_PASSWORD)


@pytest.mark.parametrize("method, action", ACTIONS)
def test_another_agencys_partner_gets_404_for_everything(
    client, db, falls_partner, forwarded, method, action
):
    data = {
        **typed_moment(utcnow() - timedelta(hours=1)),
        "method": "phone",
        "reached": "yes",
        "outcome": "not_eligible",
        "reason": "Not ours",
    }
    target = url(forwarded["smoke"], action)
    response = client.post(target, data=data) if method == "post" else client.get(target)
    assert response.status_code == 404
    assert fresh(db, forwarded["smoke"]).status == "forwarded"
    assert event_count(db, forwarded["smoke"]) == 2
    # ... while its own referral is there for it.
    assert client.get(url(forwarded["falls"])).status_code == 200


def test_a_referral_not_yet_forwarded_is_not_found(client, db, partner):
    waiting = submit(user("frontline"), utcnow(), yes=("smoke_alarms",)).referrals[0]
    db.session.commit()
    assert client.get(url(waiting)).status_code == 404
    assert client.post(url(waiting, "/accept")).status_code == 404


def test_a_signed_link_user_sees_only_its_one_referral(client, db, demo_hub, forwarded):
    past = utcnow() - timedelta(days=3)
    other = submit(user("frontline"), past, yes=("smoke_alarms",), given_name="Olive").referrals[0]
    lifecycle.forward_referral(other, user("hub"), past)
    link_user = accounts.create_user(
        "link@lfb.example.org",
        "partner",
        accounts.find_organisation("lfb-home-fire-safety"),
        "link-user-password",
        utcnow(),
    )
    link_user.link_referral_id = forwarded["smoke"].id
    session_id = sessions.start(link_user, utcnow())
    db.session.commit()
    with client.session_transaction() as session:  # as partners/link_views signs it in
        session["_user_id"] = str(link_user.id)
        session[sessions.SESSION_KEY] = session_id
        session["_fresh"] = False
    assert client.get(url(forwarded["smoke"])).status_code == 200
    assert client.get(url(other)).status_code == 404
    assert client.post(url(other, "/accept")).status_code == 404
    text = page_text(client.get("/partner/referrals"))
    assert forwarded["smoke"].reference in text and other.reference not in text


@pytest.mark.parametrize("role", ["frontline", "hub", "manager", "admin"])
def test_only_partner_staff_use_the_referral_pages(client, sign_in_as, forwarded, role):
    sign_in_as(role)
    assert client.get(url(forwarded["smoke"])).status_code == 403
    assert client.post(url(forwarded["smoke"], "/accept")).status_code == 403
