"""The partner inbox: an agency sees the referrals forwarded to it, and nobody else's."""

import re
from datetime import timedelta

import pytest

from hub.auth import accounts
from hub.clock import utcnow
from hub.referrals import lifecycle
from partners import queries
from tests.factories import submit, user
from tests.support import page_text, sign_in

FALLS_EMAIL = "falls@nhs-falls.example.org"
FALLS_PASSWORD = "falls-partner-password"


@pytest.fixture
def referrals(db, demo_hub):
    """A questionnaire referred to the fire brigade (the demo partner) and to falls prevention,
    both forwarded 3 days ago; and another client's smoke alarm referral still at the hub."""
    past = utcnow() - timedelta(days=3, hours=12)
    accounts.create_user(
        FALLS_EMAIL,
        "partner",
        accounts.find_organisation("nhs-falls-prevention"),
        FALLS_PASSWORD,
        past,
        name="Falls team",
    )
    smoke, falls = submit(user("frontline"), past, yes=("smoke_alarms", "falls")).referrals
    for referral in (smoke, falls):
        lifecycle.forward_referral(referral, user("hub"), past)
    waiting = submit(
        user("frontline"), past, yes=("smoke_alarms",), given_name="Wanda", family_name="Waits"
    ).referrals[0]
    db.session.commit()
    return {"smoke": smoke, "falls": falls, "waiting": waiting}


def test_a_partner_sees_only_its_own_forwarded_referrals(client, sign_in_as, referrals):
    sign_in_as("partner")  # London Fire Brigade
    response = client.get("/partner/referrals")
    assert response.status_code == 200
    text = page_text(response)
    assert referrals["smoke"].reference in text
    assert "Fire safety visit" in text  # the short label
    assert "Forwarded" in text and "10 days left" in text  # 14 days from 3½ days ago
    assert referrals["falls"].reference not in text  # another partner's
    assert referrals["waiting"].reference not in text  # not yet forwarded
    assert "1 referral waiting for you to contact the client" in text


def test_another_partner_sees_its_own_and_not_the_fire_brigades(client, referrals):
    sign_in(client, FALLS_EMAIL, FALLS_PASSWORD)
    text = page_text(client.get("/partner/referrals"))
    assert referrals["falls"].reference in text
    assert "Falls" in text  # the short label
    assert referrals["smoke"].reference not in text
    assert referrals["waiting"].reference not in text


def test_the_list_names_the_client_and_their_area_and_nothing_more(client, sign_in_as, referrals):
    """The partner tells its referrals apart by the client's name and area (borough); the
    address, postcode and the rest are on the referral's own page (whose views are recorded)."""
    sign_in_as("partner")
    text = page_text(client.get("/partner/referrals"))
    client_row = referrals["smoke"].submission.client
    assert client_row.borough == "lambeth"
    assert re.search(rf"{referrals['smoke'].reference}\s+Edna Clarke\s+Lambeth\s", text)
    for detail in (client_row.postcode, "Acre Lane", str(client_row.date_of_birth.year)):
        assert detail not in text, detail
    assert "Wanda" not in text  # another partner's client
    page = page_text(client.get(f"/partner/referrals/{referrals['smoke'].id}"))
    assert "Postcode SW2 5SG Area Lambeth" in page


def test_the_list_names_the_question_by_its_short_label(client, sign_in_as, referrals):
    sign_in_as("partner")
    text = page_text(client.get("/partner/referrals"))
    assert queries.question_label(referrals["smoke"]) in text


def test_an_overdue_referral_is_marked_in_words(client, db, sign_in_as, demo_hub):
    long_ago = utcnow() - timedelta(days=16)
    referral = submit(user("frontline"), long_ago, yes=("smoke_alarms",)).referrals[0]
    lifecycle.forward_referral(referral, user("hub"), long_ago + timedelta(hours=12))
    db.session.commit()
    sign_in_as("partner")
    text = page_text(client.get("/partner/referrals"))
    assert "Overdue by 36 hours" in text
    assert "1 of them overdue" in text


def test_referrals_stay_listed_once_forwarded_whatever_became_of_them(
    client, db, sign_in_as, demo_hub
):
    """Cancelled after forwarding is listed as cancelled, with the reason, so the partner knows
    to stop; cancelled before forwarding never reached the partner, so it is not listed."""
    past = utcnow() - timedelta(days=5)
    partner, hub = user("partner"), user("hub")
    declined, closed, cancelled, never_forwarded = (
        submit(user("frontline"), past, yes=("smoke_alarms",), given_name=name).referrals[0]
        for name in ("Dee", "Cleo", "Cass", "Nev")
    )
    for referral in (declined, closed, cancelled):
        lifecycle.forward_referral(referral, hub, past)
    lifecycle.cancel_referral(never_forwarded, hub, past, "Duplicate")
    lifecycle.decline_referral(declined, partner, past, "Outside our area")
    lifecycle.record_contact(closed, partner, past)
    lifecycle.close_referral(closed, partner, past, "service_provided")
    lifecycle.cancel_referral(cancelled, hub, past, "Consent withdrawn: moved to Spain")
    db.session.commit()
    sign_in_as("partner")
    text = page_text(client.get("/partner/referrals?tab=closed"))
    assert declined.reference in text and "Declined" in text and "Outside our area" in text
    assert closed.reference in text and "Closed" in text and "Service provided" in text
    assert cancelled.reference in text and "Cancelled" in text
    assert "Consent withdrawn: moved to Spain" in text and "Stop any work" in text
    assert never_forwarded.reference not in text
    for tab in ("new", "in_progress"):
        assert never_forwarded.reference not in page_text(
            client.get(f"/partner/referrals?tab={tab}")
        )


def test_each_tab_holds_the_referrals_at_its_stage(client, db, sign_in_as, demo_hub):
    past = utcnow() - timedelta(days=4)
    partner, hub = user("partner"), user("hub")
    new, accepted, contacted, closed = (
        submit(user("frontline"), past, yes=("smoke_alarms",), given_name=name).referrals[0]
        for name in ("Nina", "Ada", "Connie", "Clara")
    )
    for referral in (new, accepted, contacted, closed):
        lifecycle.forward_referral(referral, hub, past)
    lifecycle.accept_referral(accepted, partner, past)
    lifecycle.record_contact(contacted, partner, past)
    lifecycle.record_contact(closed, partner, past)
    lifecycle.close_referral(closed, partner, past, "client_declined")
    db.session.commit()
    sign_in_as("partner")
    expected = {
        "new": {new},
        "in_progress": {accepted, contacted},
        "closed": {closed},
    }
    everyone = {new, accepted, contacted, closed}
    for tab, wanted in expected.items():
        response = client.get(f"/partner/referrals?tab={tab}")
        assert response.status_code == 200
        text = page_text(response)
        for referral in wanted:
            assert referral.reference in text, (tab, referral.reference)
        for referral in everyone - wanted:
            assert referral.reference not in text, (tab, referral.reference)
    # The tabs are links with counts; the current one says so.
    html = client.get("/partner/referrals?tab=in_progress").get_data(as_text=True)
    assert re.search(r'href="/partner/referrals\?tab=new"\s*>New \(1\)</a>', html)
    assert re.search(
        r'href="/partner/referrals\?tab=in_progress"\s+aria-current="page">In progress \(2\)</a>',
        html,
    )
    assert re.search(r'href="/partner/referrals\?tab=closed"\s*>Closed \(1\)</a>', html)
    # New is the default tab; an unknown tab shows it too.
    for path in ("/partner/referrals", "/partner/referrals?tab=nonsense"):
        text = page_text(client.get(path))
        assert new.reference in text and accepted.reference not in text
    assert "Client contacted" in page_text(client.get("/partner/referrals?tab=in_progress"))


def test_a_page_beyond_the_last_is_not_found(client, sign_in_as, referrals):
    sign_in_as("partner")
    assert client.get("/partner/referrals?tab=closed&page=2").status_code == 404


def test_an_empty_inbox_says_so(client, sign_in_as):
    sign_in_as("partner")
    text = page_text(client.get("/partner/referrals"))
    assert "No referrals have been forwarded to London Fire Brigade" in text


@pytest.mark.parametrize("role", ["frontline", "hub", "manager", "admin"])
def test_only_partner_staff_use_the_inbox(client, sign_in_as, role):
    sign_in_as(role)
    assert client.get("/partner/referrals").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, demo_hub):
    response = client.get("/partner/referrals")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("accepted", [False, True], ids=["forwarded", "accepted"])
def test_a_referral_past_its_contact_deadline_is_marked_overdue_everywhere(
    client, db, sign_in_as, demo_hub, accepted
):
    """Accepting a referral does not stop its contact deadline: once passed, it is overdue in
    the inbox's tab and on its page, whether accepted or not."""
    long_ago = utcnow() - timedelta(days=16)
    referral = submit(user("frontline"), long_ago, yes=("smoke_alarms",)).referrals[0]
    lifecycle.forward_referral(referral, user("hub"), long_ago + timedelta(hours=12))
    if accepted:
        lifecycle.accept_referral(referral, user("partner"), long_ago + timedelta(days=1))
    db.session.commit()
    sign_in_as("partner")
    tab = "in_progress" if accepted else "new"
    text = page_text(client.get(f"/partner/referrals?tab={tab}"))
    assert re.search(rf"{referral.reference}.*Overdue .*Overdue by 36 hours", text)
    assert "1 of them overdue" in text
    page = page_text(client.get(f"/partner/referrals/{referral.id}"))
    assert re.search(r"(Forwarded|Accepted) Overdue", page)
    assert "Overdue by 36 hours" in page
    for action in ("/attempts/new", "/contact", "/decline", "/close"):
        text = page_text(client.get(f"/partner/referrals/{referral.id}{action}"))
        assert "Overdue The deadline to contact the client was" in text, action
