"""The hub's triage pages: the queue, a referral's page, and the actions hub staff take on it.

The pages read the real clock, so data is created "as of" moments before it: a referral received
30 hours ago is 6 hours past its 24-hour forwarding deadline, whatever the date.
"""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hub.clock import utcnow
from hub.extensions import db as _db
from hub.models import Referral, ReferralEvent
from hub.referrals import lifecycle
from tests.factories import SAIL_KEYS, submit, user
from tests.support import fresh, hours_ago, page_text


def events_of(referral, kind: str) -> int:
    return _db.session.scalar(
        select(func.count()).where(
            ReferralEvent.referral_id == referral.id, ReferralEvent.kind == kind
        )
    )


def referral_links(response) -> list[str]:
    """References of the referrals listed on a queue page, in order."""
    return re.findall(r'href="/hub/referrals/\d+">(SL-[^<]+)<', response.get_data(as_text=True))


@pytest.fixture
def waiting(db, demo_hub):
    """Three clients' smoke alarm referrals, received 9½, 30½ and 19½ hours ago (half hours, so
    the time left does not hang on the second the page is drawn)."""
    referrals = {}
    for name, hours in (("Ada", 9.5), ("Bea", 30.5), ("Cyd", 19.5)):
        submission = submit(
            user("frontline"), hours_ago(hours), yes=("smoke_alarms",), given_name=name
        )
        referrals[name] = submission.referrals[0]
    db.session.commit()
    return referrals


@pytest.fixture
def received(db, demo_hub):
    """One questionnaire with three "yes" answers, received 1½ hours ago (22½ hours left)."""
    submission = submit(user("frontline"), hours_ago(1.5), yes=("smoke_alarms", "falls", "lonely"))
    db.session.commit()
    return submission.referrals[0]


# --- The queue --------------------------------------------------------------------------------


def test_the_queue_lists_waiting_referrals_by_forwarding_deadline(client, sign_in_as, waiting):
    sign_in_as("hub")
    response = client.get("/hub/referrals")
    assert response.status_code == 200
    order = [waiting[name].reference for name in ("Bea", "Cyd", "Ada")]
    assert referral_links(response) == order
    text = page_text(response)
    assert "3 referrals waiting to be forwarded" in text
    for name in ("Ada", "Bea", "Cyd"):
        assert f"{name} Clarke" in text
    assert "London Fire Brigade – Home Fire Safety Visits" in text
    assert "Fire safety visit" in text  # the short label


def test_an_overdue_referral_is_marked_in_words_and_the_others_show_time_left(
    client, sign_in_as, waiting
):
    sign_in_as("hub")
    text = page_text(client.get("/hub/referrals"))
    bea = text[text.index(waiting["Bea"].reference) : text.index(waiting["Cyd"].reference)]
    assert "Overdue" in bea and "Overdue by 6 hours" in bea
    cyd = text[text.index(waiting["Cyd"].reference) : text.index(waiting["Ada"].reference)]
    assert "4 hours left" in cyd and "Overdue" not in cyd
    assert "14 hours left" in text[text.index(waiting["Ada"].reference) :]


def test_deadlines_are_shown_in_london_time(client, db, sign_in_as, demo_hub, now):
    submit(user("frontline"), now.replace(month=7), yes=("falls",))  # 09:00 UTC in summer
    db.session.commit()
    sign_in_as("hub")
    text = page_text(client.get("/hub/referrals"))
    assert "Forward by 3 Jul 2026, 10:00" in text  # British Summer Time


def test_the_queue_orders_forwarded_referrals_by_their_contact_deadline(
    client, db, sign_in_as, waiting
):
    hub = user("hub")
    lifecycle.forward_referral(waiting["Ada"], hub, hours_ago(5))
    lifecycle.forward_referral(waiting["Bea"], hub, hours_ago(3))
    lifecycle.forward_referral(waiting["Cyd"], hub, hours_ago(15.5 * 24))  # past its 14 days
    db.session.commit()
    sign_in_as("hub")
    response = client.get("/hub/referrals?status=forwarded")
    order = [waiting[name].reference for name in ("Cyd", "Ada", "Bea")]
    assert referral_links(response) == order
    text = page_text(response)
    assert "3 referrals forwarded, waiting for the partner" in text
    assert "Overdue by 36 hours" in text


def test_the_filters_narrow_the_queue(client, db, sign_in_as, waiting):
    hub = user("hub")
    falls = submit(user("frontline"), hours_ago(1), yes=("falls",), given_name="Dot").referrals[0]
    lifecycle.forward_referral(waiting["Ada"], hub, hours_ago(1))
    lifecycle.cancel_referral(waiting["Cyd"], hub, hours_ago(1), "Consent withdrawn")
    db.session.commit()
    sign_in_as("hub")

    def listed(query: str) -> set[str]:
        response = client.get("/hub/referrals" + query)
        assert response.status_code == 200
        return set(referral_links(response))

    bea, ada, cyd = (waiting[name].reference for name in ("Bea", "Ada", "Cyd"))
    assert listed("") == {bea, falls.reference}
    assert listed("?status=forwarded") == {ada}
    assert listed("?status=cancelled") == {cyd}
    assert listed("?status=open") == {bea, ada, falls.reference}
    assert listed("?status=all") == {bea, ada, cyd, falls.reference}
    assert listed("?status=all&partner=nhs-falls-prevention") == {falls.reference}
    assert listed("?status=received&overdue=y") == {bea}
    assert listed("?status=open&partner=lfb-home-fire-safety&overdue=y") == {bea}


def test_the_filter_form_keeps_its_choices_and_names_the_partner_in_the_heading(
    client, sign_in_as, waiting
):
    sign_in_as("hub")
    response = client.get("/hub/referrals?status=received&partner=lfb-home-fire-safety&overdue=y")
    html = response.get_data(as_text=True)
    assert re.search(r'<option value="lfb-home-fire-safety" selected', html)
    assert re.search(r'name="overdue"[^>]*checked', html)
    assert "1 overdue referral waiting to be forwarded for London Fire Brigade" in page_text(
        response
    )


def test_an_unknown_filter_value_is_an_error_and_the_default_applies(client, sign_in_as, waiting):
    sign_in_as("hub")
    response = client.get("/hub/referrals?status=lost&partner=nobody")
    assert response.status_code == 200
    text = page_text(response)
    assert "There is a problem" in text
    assert "Select a status from the list" in text and "Select a partner from the list" in text
    assert len(referral_links(response)) == 3


def test_a_possible_duplicate_is_tagged(client, db, sign_in_as, demo_hub):
    submit(user("frontline"), hours_ago(3), yes=("smoke_alarms",))
    submit(user("frontline"), hours_ago(2), yes=("smoke_alarms",))  # the same client again
    db.session.commit()
    sign_in_as("hub")
    assert page_text(client.get("/hub/referrals")).count("Possible duplicate") == 1


def test_the_queue_shows_50_a_page(client, db, sign_in_as, demo_hub):
    every = SAIL_KEYS
    for hours, yes in ((5, every), (4, every), (3, every[:14])):  # 18 + 18 + 14 = 50
        submit(user("frontline"), hours_ago(hours), yes=yes)
    db.session.commit()
    sign_in_as("hub")

    response = client.get("/hub/referrals")
    assert len(referral_links(response)) == 50
    assert 'class="govuk-pagination' not in response.get_data(as_text=True)
    assert "50 referrals waiting to be forwarded" in page_text(response)

    last = submit(user("frontline"), hours_ago(1), yes=("falls",), given_name="Zoe")
    db.session.commit()
    first_page = client.get("/hub/referrals")
    assert len(referral_links(first_page)) == 50
    html = first_page.get_data(as_text=True)
    assert 'class="govuk-pagination' in html
    assert 'href="/hub/referrals?page=2&amp;status=received"' in html
    assert "Showing 1 to 50 of 51 referrals" in page_text(first_page)

    second = client.get("/hub/referrals?page=2&status=received")
    assert referral_links(second) == [last.referrals[0].reference]
    assert "Showing 51 to 51 of 51 referrals" in page_text(second)
    assert client.get("/hub/referrals?page=3").status_code == 404


def test_an_empty_queue_says_so(client, sign_in_as):
    sign_in_as("hub")
    text = page_text(client.get("/hub/referrals"))
    assert "0 referrals waiting to be forwarded" in text
    assert "No referrals match these filters" in text


# --- A referral's page ------------------------------------------------------------------------


def test_the_referral_page_shows_the_referral_the_client_the_answers_and_history(
    client, db, sign_in_as, received
):
    lifecycle.add_note(received, user("hub"), hours_ago(1), "Phoned Edna to confirm")
    received.partner.sms_number = "+447911123456"  # demo partners have none
    db.session.commit()
    sign_in_as("hub")
    response = client.get(f"/hub/referrals/{received.id}")
    assert response.status_code == 200
    text = page_text(response)
    # the referral and its partner's channels
    assert received.reference in text
    assert "London Fire Brigade – Home Fire Safety Visits" in text
    assert "referrals@lfb-home-fire-safety.example.org" in text
    assert "07911 123456" in text
    assert "Forwarding deadline" in text and "22 hours left" in text
    # the client
    for shown in ("Edna Clarke", "17 May 1941", "12 Acre Lane, London", "SW2 5SG", "Lambeth"):
        assert shown in text, shown
    assert "020 7946 0123" in text and "Phone call" in text and "Mornings" in text
    # every answer, by section
    for section in ("Security and fire safety", "Health and wellbeing", "Income and finance"):
        assert section in text
    assert "Are you worried about money or debt" in text
    start = text.index("Questionnaire answers")
    answers = text[start : text.index("History", start)]
    assert answers.count("Yes") == 3 and answers.count(" No ") == len(SAIL_KEYS) - 3
    # the questionnaire's other referrals, and the history
    others = received.submission.referrals[1:]
    for other in others:
        assert f'href="/hub/referrals/{other.id}"' in response.get_data(as_text=True)
    assert "NHS Falls Prevention Service" in text
    history = text[text.index("History") :]
    assert "Note added" in history and "Phoned Edna to confirm" in history
    assert "Received from the referrer" in history and "Demo frontline user" in history


def test_the_referral_page_links_a_possible_duplicate(client, db, sign_in_as, demo_hub):
    first = submit(user("frontline"), hours_ago(3), yes=("smoke_alarms",)).referrals[0]
    second = submit(user("frontline"), hours_ago(2), yes=("smoke_alarms",)).referrals[0]
    db.session.commit()
    sign_in_as("hub")
    response = client.get(f"/hub/referrals/{second.id}")
    assert "Possible duplicate" in page_text(response)
    assert f'href="/hub/referrals/{first.id}">{first.reference}<' in response.get_data(as_text=True)


def test_an_unknown_referral_is_404(client, sign_in_as):
    sign_in_as("hub")
    assert client.get("/hub/referrals/999999").status_code == 404
    assert client.post("/hub/referrals/999999/forward").status_code == 404


# --- Forwarding -------------------------------------------------------------------------------


@pytest.mark.both_databases  # locks the referral: FOR UPDATE OF
def test_forwarding_a_referral(client, sign_in_as, received):
    sign_in_as("hub")
    page = page_text(client.get(f"/hub/referrals/{received.id}"))
    assert "Forward to London Fire Brigade – Home Fire Safety Visits" in page
    assert "Forward all 3 waiting referrals from this questionnaire" in page

    response = client.post(f"/hub/referrals/{received.id}/forward")
    assert response.status_code == 302
    # On to the next referral waiting: the next of the same questionnaire.
    following = received.submission.referrals[1]
    assert response.headers["Location"] == f"/hub/referrals/{following.id}"
    referral = fresh(received)
    assert referral.status == "forwarded"
    assert referral.forwarded_at is not None and utcnow() - referral.forwarded_at < timedelta(
        minutes=1
    )
    assert referral.contact_due_at == referral.forwarded_at + timedelta(days=14)
    assert events_of(referral, "forwarded") == 1
    assert referral.events[-1].actor.email == "hub@demo.sail.example"

    text = page_text(client.get(response.headers["Location"]))
    assert (
        f"Referral {referral.reference} forwarded to London Fire Brigade – Home Fire Safety Visits"
        in text
    )
    assert f"Next referral waiting: {following.reference}" in text
    assert "Forward to NHS Falls Prevention" in text
    assert "Forward all 2 waiting referrals" in text
    text = page_text(client.get(f"/hub/referrals/{received.id}"))
    assert "Forward to London" not in text  # nothing left to forward for this one


def test_forwarding_twice_says_why_and_changes_nothing(client, sign_in_as, received):
    sign_in_as("hub")
    assert client.post(f"/hub/referrals/{received.id}/forward").status_code == 302
    forwarded_at = fresh(received).forwarded_at

    response = client.post(f"/hub/referrals/{received.id}/forward")  # a second tab
    assert response.status_code == 409
    text = page_text(response)
    assert "There is a problem" in text
    assert f"Referral {received.reference} is forwarded: it cannot be forwarded now." in text
    assert fresh(received).forwarded_at == forwarded_at
    assert events_of(received, "forwarded") == 1


@pytest.mark.both_databases  # locks the questionnaire's referrals: FOR UPDATE OF
def test_forwarding_all_waiting_referrals_of_a_questionnaire(client, db, sign_in_as, received):
    sign_in_as("hub")
    response = client.post(f"/hub/referrals/{received.id}/forward-all")
    assert response.status_code == 302
    submission = fresh(received).submission
    assert [r.status for r in submission.referrals] == ["forwarded"] * 3
    assert all(events_of(r, "forwarded") == 1 for r in submission.referrals)
    text = page_text(client.get(response.headers["Location"]))
    assert "3 referrals forwarded" in text and "NHS Falls Prevention Service" in text

    again = client.post(f"/hub/referrals/{received.id}/forward-all")
    assert again.status_code == 409
    assert "No referrals from questionnaire" in page_text(again)


def test_forward_all_is_offered_only_when_more_than_one_waits(client, db, sign_in_as, demo_hub):
    single = submit(user("frontline"), hours_ago(1), yes=("falls",)).referrals[0]
    db.session.commit()
    sign_in_as("hub")
    text = page_text(client.get(f"/hub/referrals/{single.id}"))
    assert "Forward to NHS Falls Prevention Service" in text
    assert "Forward all" not in text


# --- Cancelling and notes ---------------------------------------------------------------------


def test_cancelling_needs_a_reason(client, sign_in_as, received):
    sign_in_as("hub")
    assert client.get(f"/hub/referrals/{received.id}/cancel").status_code == 200
    response = client.post(f"/hub/referrals/{received.id}/cancel", data={"reason": "  "})
    assert response.status_code == 200
    text = page_text(response)
    assert "There is a problem" in text
    assert text.count("Enter why you are cancelling this referral") == 2  # summary and field
    assert response.get_data(as_text=True).count('href="#reason"') == 1
    assert fresh(received).status == "received"
    assert events_of(received, "cancelled") == 0


def test_cancelling_with_a_reason(client, sign_in_as, received):
    sign_in_as("hub")
    response = client.post(
        f"/hub/referrals/{received.id}/cancel", data={"reason": "Client withdrew consent"}
    )
    assert response.status_code == 302
    referral = fresh(received)
    assert referral.status == "cancelled"
    assert referral.status_reason == "Client withdrew consent"
    assert referral.events[-1].details == {"reason": "Client withdrew consent"}
    text = page_text(client.get(response.headers["Location"]))
    assert f"Referral {referral.reference} cancelled" in text  # on the next referral's page
    text = page_text(client.get(f"/hub/referrals/{received.id}"))
    assert "Reason: Client withdrew consent" in text
    assert "Cancel referral" not in text


def test_cancelling_a_closed_referral_is_refused(client, db, sign_in_as, received):
    lifecycle.cancel_referral(received, user("hub"), hours_ago(1), "Duplicate")
    db.session.commit()
    sign_in_as("hub")
    response = client.post(f"/hub/referrals/{received.id}/cancel", data={"reason": "Again"})
    assert response.status_code == 409
    assert "it cannot be cancelled now" in page_text(response)
    assert fresh(received).status_reason == "Duplicate"


def test_adding_a_note(client, sign_in_as, received):
    sign_in_as("hub")
    response = client.post(
        f"/hub/referrals/{received.id}/notes", data={"note": "Phoned to confirm the visit"}
    )
    assert response.status_code == 302
    assert fresh(received).status == "received"
    assert fresh(received).events[-1].details == {"note": "Phoned to confirm the visit"}
    text = page_text(client.get(response.headers["Location"]))
    assert f"Note added to referral {received.reference}" in text
    assert "Phoned to confirm the visit" in text


def test_an_empty_note_is_an_error(client, sign_in_as, received):
    sign_in_as("hub")
    response = client.post(f"/hub/referrals/{received.id}/notes", data={"note": ""})
    assert response.status_code == 200
    text = page_text(response)
    assert "Error: Referral" in text  # the page title
    assert "There is a problem" in text and text.count("Enter a note") == 2
    assert events_of(received, "note") == 0


# --- Who may see and do what ------------------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_may_look_but_not_act(client, sign_in_as, received, role):
    sign_in_as(role)
    assert client.get("/hub/referrals").status_code == 200
    response = client.get(f"/hub/referrals/{received.id}")
    assert response.status_code == 200
    text = page_text(response)
    assert "Edna Clarke" in text
    for action in ("Forward to", "Forward all", "Cancel referral", "Add a note"):
        assert action not in text, action
    assert client.get(f"/hub/referrals/{received.id}/cancel").status_code == 403
    for action, data in (
        ("forward", {}),
        ("forward-all", {}),
        ("cancel", {"reason": "No"}),
        ("notes", {"note": "Hello"}),
    ):
        assert client.post(f"/hub/referrals/{received.id}/{action}", data=data).status_code == 403
    assert fresh(received).status == "received"
    assert len(fresh(received).events) == 1


@pytest.mark.parametrize("role", ["frontline", "partner"])
def test_frontline_and_partner_staff_cannot_use_hub_pages(client, sign_in_as, received, role):
    sign_in_as(role)
    assert client.get("/hub/referrals").status_code == 403
    assert client.get(f"/hub/referrals/{received.id}").status_code == 403
    assert client.post(f"/hub/referrals/{received.id}/forward").status_code == 403
    assert fresh(received).status == "received"


def test_anonymous_visitors_are_sent_to_sign_in(client, received):
    for path in ("/hub/referrals", f"/hub/referrals/{received.id}"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    response = client.post(f"/hub/referrals/{received.id}/forward")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _db.session.scalar(select(Referral.status).filter_by(id=received.id)) == "received"


def test_pages_listing_a_questionnaires_referrals_name_each_need(client, db, demo_hub, sign_in_as):
    """One agency can take two of a questionnaire's flags: the short label tells them apart."""
    submission = submit(user("frontline"), utcnow(), yes=("smoke_alarms", "fire_risk", "falls"))
    db.session.commit()
    smoke, fire_risk, falls = submission.referrals
    sign_in_as("hub")
    page = page_text(client.get(f"/hub/referrals/{smoke.id}"))
    assert f"Fire risk at home: {fire_risk.partner.name}" in page
    assert f"Falls: {falls.partner.name}" in page
    follow_up = page_text(client.get(f"/hub/follow-ups/{submission.id}"))
    for referral, label in ((smoke, "Fire safety visit"), (fire_risk, "Fire risk at home")):
        assert f"{label}: {referral.partner.name}" in follow_up
