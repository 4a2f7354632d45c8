"""The hub's side of the loop on its pages: declined referrals back in the queue, re-routing,
closing as no suitable service, reopening, and cancelling everything when consent is withdrawn.

The pages read the real clock, so data is created "as of" moments shortly before it.
"""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hub.clock import utcnow
from hub.extensions import db as _db
from hub.models import Organisation, Referral, ReferralEvent
from hub.referrals import intake, lifecycle
from tests.factories import submit, user
from tests.support import forwarded_smoke_alarm, fresh, hours_ago, page_text

LFB = "London Fire Brigade – Home Fire Safety Visits"


def event_count(referral) -> int:
    return _db.session.scalar(select(func.count()).where(ReferralEvent.referral_id == referral.id))


def referral_count() -> int:
    return _db.session.scalar(select(func.count(Referral.id)))


def partner_named(slug: str) -> Organisation:
    return _db.session.scalar(select(Organisation).filter_by(slug=slug))


@pytest.fixture
def declined(db, demo_hub):
    referral = forwarded_smoke_alarm()
    lifecycle.decline_referral(referral, user("partner"), hours_ago(2), "Outside our area")
    db.session.commit()
    return referral


@pytest.fixture
def closed(db, demo_hub):
    referral = forwarded_smoke_alarm()
    partner = user("partner")
    lifecycle.accept_referral(referral, partner, hours_ago(40))
    lifecycle.record_contact(referral, partner, hours_ago(30))
    lifecycle.close_referral(referral, partner, hours_ago(3), "service_provided", "Alarm fitted")
    db.session.commit()
    return referral


# --- Declined referrals in the queue ----------------------------------------------------------


def test_declined_referrals_are_hard_to_miss_in_the_default_queue(client, sign_in_as, declined):
    sign_in_as("hub")
    response = client.get("/hub/referrals")
    text = page_text(response)
    assert "1 declined referral needs re-routing" in text
    assert 'href="/hub/referrals?status=declined_waiting"' in response.get_data(as_text=True)


def test_the_declined_filter_lists_them_with_the_reason(client, sign_in_as, declined):
    sign_in_as("hub")
    response = client.get("/hub/referrals?status=declined_waiting")
    assert response.status_code == 200
    text = page_text(response)
    assert "1 declined referral waiting to be re-routed or closed" in text
    assert declined.reference in text
    assert "Reason: Outside our area" in text
    assert "Waiting for the hub to re-route or close" in text
    assert "needs re-routing" not in text  # the line above the table is for the other views
    assert '<option value="declined_waiting" selected>' in response.get_data(as_text=True)


def test_a_re_routed_referral_leaves_the_declined_filter(client, db, sign_in_as, declined):
    new = lifecycle.reroute_referral(
        declined, partner_named("age-uk-befriending"), user("hub"), hours_ago(1)
    )
    db.session.commit()
    sign_in_as("hub")
    text = page_text(client.get("/hub/referrals?status=declined_waiting"))
    assert "0 declined referrals waiting" in text and declined.reference not in text
    assert "needs re-routing" not in page_text(client.get("/hub/referrals"))
    every_declined = page_text(client.get("/hub/referrals?status=declined"))
    assert f"Re-routed as {new.reference}" in every_declined


# --- Re-routing -------------------------------------------------------------------------------


def test_a_declined_referral_page_offers_re_routing_and_closing(client, sign_in_as, declined):
    sign_in_as("hub")
    response = client.get(f"/hub/referrals/{declined.id}")
    text = page_text(response)
    assert f"{LFB} declined this referral: “Outside our area”" in text
    body = response.get_data(as_text=True)
    assert f'href="/hub/referrals/{declined.id}/reroute"' in body
    assert f'href="/hub/referrals/{declined.id}/close-declined"' in body
    assert "Re-route to another partner" in text and "Close as no suitable service" in text


def test_managers_see_a_declined_referral_but_cannot_act(client, sign_in_as, declined):
    sign_in_as("manager")
    response = client.get(f"/hub/referrals/{declined.id}")
    assert response.status_code == 200
    assert f"/hub/referrals/{declined.id}/reroute" not in response.get_data(as_text=True)
    for action in ("reroute", "close-declined", "withdraw-consent"):
        assert client.get(f"/hub/referrals/{declined.id}/{action}").status_code == 403
        assert client.post(f"/hub/referrals/{declined.id}/{action}").status_code == 403
    assert fresh(declined).status == "declined"


def test_the_reroute_page_offers_every_active_partner_but_the_one_that_declined(
    client, db, sign_in_as, declined
):
    partner_named("carers-support").active = False
    db.session.commit()
    sign_in_as("hub")
    response = client.get(f"/hub/referrals/{declined.id}/reroute")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'value="nhs-falls-prevention"' in body
    assert 'value="lfb-home-fire-safety"' not in body
    assert 'value="carers-support"' not in body
    assert "Outside our area" in page_text(response)


@pytest.mark.both_databases  # locks the referral: FOR UPDATE OF
def test_hub_staff_re_route_a_declined_referral(client, sign_in_as, declined):
    sign_in_as("hub")
    before = referral_count()
    response = client.post(
        f"/hub/referrals/{declined.id}/reroute",
        data={"partner": "age-uk-befriending", "note": "They visit in that area"},
    )
    assert response.status_code == 302
    assert referral_count() == before + 1
    new = _db.session.scalar(select(Referral).where(Referral.rerouted_from_id == declined.id))
    assert response.headers["Location"].endswith(f"/hub/referrals/{new.id}")
    assert new.status == "received" and new.partner.slug == "age-uk-befriending"
    assert new.question_key == declined.question_key
    assert new.submission_id == declined.submission_id
    assert new.forward_due_at == new.received_at + timedelta(hours=24)
    assert fresh(declined).status == "declined"

    text = page_text(client.get(response.headers["Location"]))
    assert f"Referral {declined.reference} re-routed to Age UK" in text
    assert f"as referral {new.reference}" in text
    assert f"Re-routed from {declined.reference}" in text
    assert "Re-routed here by the hub" in text
    assert f"Re-routed from: {declined.reference}" in text
    assert re.search(r"2[34] hours left", text)

    old = page_text(client.get(f"/hub/referrals/{declined.id}"))
    assert f"Re-routed to {new.reference}" in old
    assert "Re-routed to Age UK" in old  # the history's entry
    assert f"New referral: {new.reference}" in old
    assert "Note: They visit in that area" in old
    assert "Demo hub user" in old
    assert "declined this referral:" not in old  # no longer waiting for the hub


def test_re_routing_needs_a_partner_from_the_list_and_keeps_the_note(client, sign_in_as, declined):
    sign_in_as("hub")
    before = event_count(declined), referral_count()
    for partner, message in (
        ("", "Select the partner to re-route this referral to"),
        ("lfb-home-fire-safety", "Select a partner from the list"),
        ("no-such-partner", "Select a partner from the list"),
    ):
        response = client.post(
            f"/hub/referrals/{declined.id}/reroute",
            data={"partner": partner, "note": "Tried the fire brigade first"},
        )
        assert response.status_code == 200
        text = page_text(response)
        assert "There is a problem" in text and message in text
        assert "Tried the fire brigade first" in text
        assert re.search(r"<title[^>]*>\s*Error:", response.get_data(as_text=True))
    assert (event_count(declined), referral_count()) == before


def test_a_referral_that_is_not_declined_cannot_be_re_routed(client, db, sign_in_as, demo_hub):
    referral = forwarded_smoke_alarm()
    db.session.commit()
    sign_in_as("hub")
    page = client.get(f"/hub/referrals/{referral.id}/reroute")
    assert page.status_code == 409
    assert "it cannot be re-routed now" in page_text(page)
    response = client.post(
        f"/hub/referrals/{referral.id}/reroute", data={"partner": "age-uk-befriending"}
    )
    assert response.status_code == 409
    assert "There is a problem" in page_text(response)
    assert fresh(referral).status == "forwarded"
    assert referral_count() == 1


def test_a_referral_is_re_routed_only_once(client, db, sign_in_as, declined):
    lifecycle.reroute_referral(declined, partner_named("age-uk-befriending"), user("hub"), utcnow())
    db.session.commit()
    sign_in_as("hub")
    before = event_count(declined), referral_count()
    page = client.get(f"/hub/referrals/{declined.id}/reroute")
    assert page.status_code == 409
    assert "has already been re-routed" in page_text(page)
    response = client.post(
        f"/hub/referrals/{declined.id}/reroute", data={"partner": "nhs-falls-prevention"}
    )
    assert response.status_code == 409
    assert "has already been re-routed" in page_text(response)
    assert (event_count(declined), referral_count()) == before
    assert client.get(f"/hub/referrals/{declined.id}/close-declined").status_code == 409


# --- Closing as no suitable service -----------------------------------------------------------


def test_hub_staff_close_a_declined_referral_as_no_suitable_service(client, sign_in_as, declined):
    sign_in_as("hub")
    assert client.get(f"/hub/referrals/{declined.id}/close-declined").status_code == 200
    response = client.post(
        f"/hub/referrals/{declined.id}/close-declined",
        data={"notes": "No other service covers this"},
    )
    assert response.status_code == 302
    referral = fresh(declined)
    assert (referral.status, referral.outcome) == ("closed", "no_suitable_service")
    text = page_text(client.get(response.headers["Location"]))
    assert f"Referral {declined.reference} closed as no suitable service." in text
    assert "Outcome: No suitable service" in text
    assert "Notes: No other service covers this" in text
    # Closing again, from a stale tab, is refused and changes nothing.
    before = event_count(declined)
    again = client.post(f"/hub/referrals/{declined.id}/close-declined", data={})
    assert again.status_code == 409
    assert "it cannot be closed as no suitable service now" in page_text(again)
    assert event_count(declined) == before


# --- Reopening --------------------------------------------------------------------------------


def test_a_closed_referral_offers_reopening(client, sign_in_as, closed):
    sign_in_as("hub")
    body = client.get(f"/hub/referrals/{closed.id}").get_data(as_text=True)
    assert f'href="/hub/referrals/{closed.id}/reopen"' in body
    page = page_text(client.get(f"/hub/referrals/{closed.id}/reopen"))
    assert "with the outcome “Service provided”" in page


def test_reopening_needs_a_note(client, sign_in_as, closed):
    sign_in_as("hub")
    before = event_count(closed)
    response = client.post(f"/hub/referrals/{closed.id}/reopen", data={"note": "  "})
    assert response.status_code == 200
    text = page_text(response)
    assert "There is a problem" in text
    assert "Enter why you are reopening this referral" in text
    too_long = client.post(f"/hub/referrals/{closed.id}/reopen", data={"note": "x" * 2001})
    assert "Note must be 2,000 characters or fewer" in page_text(too_long)
    assert fresh(closed).status == "closed" and event_count(closed) == before


def test_hub_staff_reopen_a_closed_referral_and_the_history_says_who_why_and_what_was(
    client, sign_in_as, closed
):
    sign_in_as("hub")
    response = client.post(
        f"/hub/referrals/{closed.id}/reopen",
        data={"note": "Client says the visit never happened"},
    )
    assert response.status_code == 302
    referral = fresh(closed)
    assert (referral.status, referral.outcome, referral.closed_at) == ("contacted", None, None)
    text = page_text(client.get(response.headers["Location"]))
    assert f"Referral {closed.reference} reopened: it is contacted again." in text
    history = text[text.index("History") :]
    entry = history[history.index("Reopened") - 80 :]
    assert "Demo hub user" in entry
    assert "Note: Client says the visit never happened" in entry
    assert "Previous outcome: Service provided" in entry


def test_only_a_closed_referral_can_be_reopened(client, db, sign_in_as, declined):
    sign_in_as("hub")
    page = client.get(f"/hub/referrals/{declined.id}/reopen")
    assert page.status_code == 409
    assert "it cannot be reopened now" in page_text(page)
    response = client.post(f"/hub/referrals/{declined.id}/reopen", data={"note": "Try again"})
    assert response.status_code == 409
    assert fresh(declined).status == "declined"


def test_a_reopened_declined_and_closed_referral_waits_for_the_hub_again(
    client, db, sign_in_as, declined
):
    lifecycle.close_declined(declined, user("hub"), hours_ago(1))
    db.session.commit()
    sign_in_as("hub")
    client.post(f"/hub/referrals/{declined.id}/reopen", data={"note": "A new service opened"})
    assert fresh(declined).status == "declined"
    text = page_text(client.get(f"/hub/referrals/{declined.id}"))
    assert "Previous outcome: No suitable service" in text
    assert "Re-route to another partner" in text


# --- Consent withdrawn ------------------------------------------------------------------------


@pytest.fixture
def person(db, demo_hub):
    """Winifred Ashcombe, with two questionnaires (four open referrals, three forwarded), one
    closed referral, and another person's referral that must not be touched."""
    first = submit(
        user("frontline"),
        hours_ago(60),
        yes=("smoke_alarms", "falls"),
        given_name="Winifred",
        family_name="Ashcombe",
    )
    second = submit(
        user("frontline"),
        hours_ago(5),
        yes=("smoke_alarms", "lonely"),
        given_name="winifred ",
        family_name="ASHCOMBE",
    )
    hub = user("hub")
    smoke, falls = first.referrals
    lifecycle.forward_referral(smoke, hub, hours_ago(59))
    lifecycle.forward_referral(falls, hub, hours_ago(59))
    lifecycle.decline_referral(falls, None, hours_ago(30), "Not for us")
    lifecycle.close_declined(falls, hub, hours_ago(20))
    lifecycle.forward_referral(second.referrals[0], hub, hours_ago(4))
    other = submit(user("frontline"), hours_ago(5), yes=("smoke_alarms",), given_name="Ada")
    db.session.commit()
    return {
        "page": smoke,
        "open": [smoke, *second.referrals],
        "closed": falls,
        "other": other.referrals[0],
    }


def test_the_withdraw_consent_page_lists_the_open_referrals_and_the_namesakes(
    client, sign_in_as, person
):
    sign_in_as("hub")
    referral_page = client.get(f"/hub/referrals/{person['page'].id}")
    assert "The client has withdrawn consent" in page_text(referral_page)
    response = client.get(f"/hub/referrals/{person['page'].id}/withdraw-consent")
    assert response.status_code == 200
    text = page_text(response)
    assert "1 referral will be cancelled" in text
    assert "Other questionnaires for the same name and date of birth" in text
    for referral in person["open"]:
        assert referral.reference in text
    assert person["closed"].reference not in text
    assert person["other"].reference not in text
    assert "Record withdrawal of consent" in text


def test_withdrawing_consent_needs_a_reason(client, sign_in_as, person):
    sign_in_as("hub")
    response = client.post(f"/hub/referrals/{person['page'].id}/withdraw-consent", data={})
    assert response.status_code == 200
    text = page_text(response)
    assert "There is a problem" in text and "Enter how the client withdrew consent" in text
    assert all(fresh(referral).status != "cancelled" for referral in person["open"])


def test_withdrawing_consent_cancels_the_open_referrals_of_the_person_ticked(
    client, sign_in_as, person
):
    sign_in_as("hub")
    response = client.post(
        f"/hub/referrals/{person['page'].id}/withdraw-consent",
        data={
            "reason": "Her daughter phoned: she no longer wants any visits",
            "same_person": [person["open"][1].submission_id],
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/hub/referrals/{person['page'].id}")
    for referral in person["open"]:
        row = fresh(referral)
        assert row.status == "cancelled"
        assert row.status_reason == (
            "Consent withdrawn: Her daughter phoned: she no longer wants any visits"
        )
    assert fresh(person["closed"]).status == "closed"
    assert fresh(person["other"]).status == "received"
    text = page_text(client.get(response.headers["Location"]))
    assert "3 referrals cancelled; the partners concerned have been told about the 2" in text
    assert "The client withdrew consent on" in text
    assert "Consent Withdrawn on" in text


def test_consent_withdrawn_with_every_referral_forwarded(client, db, sign_in_as, demo_hub):
    referral = forwarded_smoke_alarm(given_name="Bea")
    db.session.commit()
    sign_in_as("hub")
    response = client.post(
        f"/hub/referrals/{referral.id}/withdraw-consent", data={"reason": "Told the worker"}
    )
    text = page_text(client.get(response.headers["Location"]))
    assert "1 referral cancelled; the partners concerned have been told." in text


def test_consent_withdrawn_with_nothing_open_is_still_recorded(client, sign_in_as, closed):
    sign_in_as("hub")
    page = page_text(client.get(f"/hub/referrals/{closed.id}/withdraw-consent"))
    assert "has no open referrals to cancel" in page
    response = client.post(
        f"/hub/referrals/{closed.id}/withdraw-consent", data={"reason": "Phoned the hub"}
    )
    text = page_text(client.get(response.headers["Location"]))
    assert "withdrawal of consent is recorded" in text
    assert fresh(closed).submission.client.consent_withdrawn_at is not None


# --- History labels ---------------------------------------------------------------------------


def test_the_history_describes_attempts_and_dated_contact(client, db, sign_in_as, demo_hub):
    referral = forwarded_smoke_alarm(hours=72)
    partner = user("partner")
    lifecycle.record_attempt(referral, partner, hours_ago(50), "phone", False, notes="No answer")
    lifecycle.record_attempt(referral, partner, hours_ago(49), "visit", True, hours_ago(49.5))
    db.session.commit()
    sign_in_as("hub")
    text = page_text(client.get(f"/hub/referrals/{referral.id}"))
    history = text[text.index("History") :]
    assert history.count("Contact attempt") == 2
    assert "How: Phone" in history and "Reached the client: No" in history
    assert "Notes: No answer" in history
    assert "How: Visit" in history and "Reached the client: Yes" in history
    assert "Partner contacted the client" in history
    assert re.search(r"When: \d+ \w{3} \d{4}, \d\d:\d\d", history)
    assert re.search(r"Contacted: \d+ \w{3} \d{4}, \d\d:\d\d", history)
    assert "Demo partner user, " + LFB in history


# --- In a browser ------------------------------------------------------------------------------


@pytest.mark.browser
def test_the_hub_pages_for_declines_reopening_and_consent_are_accessible(
    browser, live_server, db, demo_hub, declined, page
):
    from playwright.sync_api import expect

    from tests.support import axe_violations

    main = page.locator("main")

    hub = demo_hub["hub"]
    page.goto(f"{live_server}/login")
    page.get_by_label("Email address", exact=True).fill(hub.email)
    page.get_by_label("Password", exact=True).fill(hub.password)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="1 declined referral needs re-routing").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("1 declined referral waiting")
    assert axe_violations(page) == [], page.url
    page.get_by_role("link", name=declined.reference).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(declined.reference)
    assert axe_violations(page) == [], page.url
    page.get_by_role("button", name="Re-route to another partner").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Re-route referral")
    assert axe_violations(page) == [], page.url
    page.get_by_role("button", name="Re-route referral").click()  # no partner chosen
    expect(main).to_contain_text("Select the partner to re-route this referral to")
    assert axe_violations(page) == [], page.url
    page.get_by_label("Which partner should this referral go to instead?").select_option(
        "nhs-falls-prevention"
    )
    page.get_by_role("button", name="Re-route referral").click()
    expect(main).to_contain_text("re-routed to NHS")
    assert axe_violations(page) == [], page.url

    page.goto(f"{live_server}/hub/referrals/{declined.id}/close-declined")
    expect(page).to_have_title(re.compile("^Error:"))  # already re-routed
    assert axe_violations(page) == [], page.url

    page.goto(f"{live_server}/hub/referrals/{declined.id}/withdraw-consent")
    expect(main).to_contain_text("1 referral will be cancelled")
    assert axe_violations(page) == [], page.url
    page.get_by_role("button", name="Cancel 1 referral").click()  # no reason
    expect(main).to_contain_text("Enter how the client withdrew consent")
    assert axe_violations(page) == [], page.url
    page.get_by_label("How did the client withdraw consent?").fill("Phoned the hub")
    page.get_by_role("button", name="Cancel 1 referral").click()
    expect(main).to_contain_text("1 referral cancelled")

    closed = forwarded_smoke_alarm(given_name="Cyd")
    lifecycle.close_referral(closed, user("partner"), hours_ago(1), "not_eligible")
    db.session.commit()
    page.goto(f"{live_server}/hub/referrals/{closed.id}")
    page.get_by_role("button", name="Reopen referral").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reopen referral")
    assert axe_violations(page) == [], page.url
    page.get_by_label("Why are you reopening this referral?").fill("Wrong outcome recorded")
    page.get_by_role("button", name="Reopen referral").click()
    expect(main).to_contain_text("reopened: it is forwarded again")


def test_the_history_says_a_referral_came_from_the_follow_up(client, db, sign_in_as, demo_hub):
    submission = submit(user("frontline"), hours_ago(30 * 24), yes=("smoke_alarms",))
    falls = partner_named("nhs-falls-prevention")
    (new,) = intake.add_referrals(
        submission, [intake.NewReferral("falls", falls)], user("hub"), hours_ago(1),
        source="follow_up",
    )  # fmt: skip
    db.session.commit()
    sign_in_as("hub")
    text = page_text(client.get(f"/hub/referrals/{new.id}"))
    history = text[text.index("History") :]
    assert "Added by the hub" in history
    assert "Added from: The hub’s follow-up with the client" in history
    assert "Partner: NHS" in history
