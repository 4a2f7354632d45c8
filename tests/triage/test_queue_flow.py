"""A queue that flows: referrals grouped by questionnaire with "forward all", the next referral
after an action, another partner before forwarding, and notes for the partner.

The pages read the real clock, so data is created "as of" moments before it.
"""

import re

import pytest
from sqlalchemy import select

from hub.areas import find_area
from hub.clock import utcnow
from hub.extensions import db as _db
from hub.models import OutboxMessage
from hub.referrals import lifecycle
from hub.status import Status
from tests.api_support import bearer
from tests.factories import submit, user
from tests.support import fresh, hours_ago, page_text, partner


@pytest.fixture
def two(db, demo_hub):
    """Ada's questionnaire (smoke alarms, falls, lonely), received 20½ hours ago, and Bea's
    (falls), received 10½ hours ago: Ada's three are due first."""
    ada = submit(user("frontline"), hours_ago(20.5), given_name="Ada")
    bea = submit(user("frontline"), hours_ago(10.5), yes=("falls",), given_name="Bea")
    db.session.commit()
    return ada, bea


def location(response) -> str:
    return response.headers["Location"]


# --- The queue, grouped -------------------------------------------------------------------------


def test_the_queue_groups_referrals_by_questionnaire_with_forward_all(client, sign_in_as, two):
    ada, bea = two
    sign_in_as("hub")
    html = client.get("/hub/referrals").get_data(as_text=True)
    groups = re.findall(r'<tbody class="[^"]*hub-queue__group">(.*?)</tbody>', html, re.S)
    assert len(groups) == 2
    assert f"Questionnaire {ada.reference}" in groups[0] and "Ada Clarke" in groups[0]
    for each in ada.referrals:
        assert each.reference in groups[0]
    assert "Forward all 3" in groups[0]
    assert f"Questionnaire {bea.reference}" in groups[1]
    assert "Forward all" not in groups[1]  # one referral: its own page forwards it


def test_forward_all_from_the_queue_goes_back_to_the_queue_as_filtered(client, sign_in_as, two):
    ada, _ = two
    sign_in_as("hub")
    response = client.post(
        f"/hub/referrals/{ada.referrals[1].id}/forward-all",
        data={"queue": "status=received&overdue=&partner=&page=3&evil=http://x"},
    )
    assert response.status_code == 302
    assert location(response) == "/hub/referrals?status=received"  # no page, nothing else
    assert all(fresh(each).status == Status.FORWARDED for each in ada.referrals)
    text = page_text(client.get(location(response)))
    assert "3 referrals forwarded" in text


def test_managers_see_the_groups_without_forward_all(client, sign_in_as, two):
    sign_in_as("manager")
    html = client.get("/hub/referrals").get_data(as_text=True)
    assert "hub-queue__group-head" in html and "Forward all" not in html


# --- Next referral ------------------------------------------------------------------------------


def test_after_forwarding_the_next_referral_of_the_questionnaire_comes_next(
    client, sign_in_as, two
):
    ada, bea = two
    smoke, falls, lonely = ada.referrals
    sign_in_as("hub")
    response = client.post(f"/hub/referrals/{falls.id}/forward")
    assert location(response) == f"/hub/referrals/{smoke.id}"
    text = page_text(client.get(location(response)))
    assert f"Referral {falls.reference} forwarded" in text
    assert f"Next referral waiting: {smoke.reference}" in text

    client.post(f"/hub/referrals/{smoke.id}/forward")
    response = client.post(f"/hub/referrals/{lonely.id}/forward")
    assert location(response) == f"/hub/referrals/{bea.referrals[0].id}"  # the next questionnaire


def test_with_nothing_left_waiting_the_queue_comes_next(client, sign_in_as, two):
    ada, bea = two
    sign_in_as("hub")
    client.post(f"/hub/referrals/{ada.referrals[0].id}/forward-all")
    response = client.post(
        f"/hub/referrals/{bea.referrals[0].id}/cancel", data={"reason": "A duplicate"}
    )
    assert location(response) == "/hub/referrals"
    assert "No other referrals are waiting to be forwarded" in page_text(
        client.get(location(response))
    )


# --- Another partner before forwarding ----------------------------------------------------------


@pytest.fixture
def scams(db, demo_hub):
    """A scams flag for a Lambeth client (Lambeth Trading Standards); Southwark Trading
    Standards covers Lambeth too."""
    southwark, lambeth = partner("southwark-trading-standards"), find_area("lambeth")
    if lambeth not in southwark.areas:
        southwark.areas.append(lambeth)
    referral = submit(user("frontline"), hours_ago(2), yes=("scams",)).referrals[0]
    db.session.commit()
    return referral


def test_hub_staff_change_the_partner_from_the_referral_page(client, sign_in_as, scams):
    sign_in_as("hub")
    page = page_text(client.get(f"/hub/referrals/{scams.id}"))
    assert "Change the partner" in page
    form = client.get(f"/hub/referrals/{scams.id}/partner")
    text = page_text(form)
    assert "Southwark Trading Standards" in text and "London Trading Standards" in text
    assert "Age UK Information and Advice" not in text  # it covers Lambeth, for other needs
    assert 'value="lambeth-trading-standards"' in form.get_data(as_text=True)  # seen

    response = client.post(
        f"/hub/referrals/{scams.id}/partner",
        data={"partner": "london-trading-standards", "seen": "lambeth-trading-standards"},
    )
    assert location(response) == f"/hub/referrals/{scams.id}"
    text = page_text(client.get(location(response)))
    assert f"Referral {scams.reference} now goes to London Trading Standards" in text
    assert "Partner changed to London Trading Standards" in text
    assert "Previous partner: Lambeth Trading Standards" in text
    assert fresh(scams).partner.slug == "london-trading-standards"


def test_a_change_from_a_stale_page_is_refused_and_changes_nothing(client, sign_in_as, scams):
    lifecycle.change_partner(scams, partner("london-trading-standards"), user("hub"), utcnow())
    _db.session.commit()
    sign_in_as("hub")
    response = client.post(
        f"/hub/referrals/{scams.id}/partner",
        data={"partner": "southwark-trading-standards", "seen": "lambeth-trading-standards"},
    )
    assert response.status_code == 409
    assert "has changed since you opened it" in page_text(response)
    assert fresh(scams).partner.slug == "london-trading-standards"


def test_no_partner_chosen_is_asked_for_again(client, sign_in_as, scams):
    sign_in_as("hub")
    response = client.post(
        f"/hub/referrals/{scams.id}/partner",
        data={"seen": "lambeth-trading-standards", "note": "Kept"},
    )
    assert response.status_code == 200
    text = page_text(response)
    assert "There is a problem" in text and "Select the partner to send this referral to" in text
    assert "Kept" in text  # what was typed is shown again


# --- Notes for the partner ----------------------------------------------------------------------

FOR_PARTNER = "Her dog is friendly; knock loudly"
INTERNAL = "Son was rude on the phone"


@pytest.fixture
def noted(db, demo_hub):
    """A smoke alarm referral forwarded to the fire brigade, with a note for the partner and
    an internal one, both added through the page."""
    referral = submit(user("frontline"), hours_ago(3), yes=("smoke_alarms",)).referrals[0]
    lifecycle.forward_referral(referral, user("hub"), hours_ago(2))
    db.session.commit()
    return referral


def test_a_note_for_the_partner_is_seen_by_the_partner_and_the_others_are_not(
    client, sign_in_as, noted
):
    sign_in_as("hub")
    response = client.post(
        f"/hub/referrals/{noted.id}/notes", data={"note": FOR_PARTNER, "for_partner": "y"}
    )
    assert "for the partner" in page_text(client.get(location(response)))
    client.post(f"/hub/referrals/{noted.id}/notes", data={"note": INTERNAL})
    kinds = [event.kind for event in fresh(noted).events]
    assert kinds[-2:] == [lifecycle.PARTNER_NOTE, "note"]
    # The partner is told there is a note, without the note.
    message = _db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "hub_note"))
    assert message is not None and message.referral_id == noted.id

    client.post("/logout")
    sign_in_as("partner")
    text = page_text(client.get(f"/partner/referrals/{noted.id}"))
    assert "Note from the hub" in text and FOR_PARTNER in text
    assert INTERNAL not in text

    events = client.get(
        f"/api/v1/referrals/{noted.id}/events", headers=bearer("partner", utcnow())
    ).json["items"]
    shown = [(event["kind"], event["details"]) for event in events]
    assert (lifecycle.PARTNER_NOTE, {"note": FOR_PARTNER}) in shown
    assert "note" not in [kind for kind, _ in shown]


def test_a_note_for_the_partner_before_forwarding_sends_nothing_yet(db, demo_hub, now):
    referral = submit(user("frontline"), now, yes=("smoke_alarms",)).referrals[0]
    lifecycle.add_note(referral, user("hub"), now, FOR_PARTNER, for_partner=True)
    db.session.flush()
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "hub_note")) is None


# --- The referral page --------------------------------------------------------------------------


def test_add_a_note_is_near_the_top_of_the_referral_page(client, sign_in_as, noted):
    sign_in_as("hub")
    html = client.get(f"/hub/referrals/{noted.id}").get_data(as_text=True)
    form = html.index(f'action="/hub/referrals/{noted.id}/notes"')
    assert form < html.index(">Referral</h2>")
    assert "For the partner" in html


def test_the_follow_up_page_does_not_announce_the_follow_up_it_is(client, db, sign_in_as):
    submission = submit(user("frontline"), hours_ago(30 * 24))
    db.session.commit()
    sign_in_as("hub")
    text = page_text(client.get(f"/hub/follow-ups/{submission.id}"))
    assert "Does the client agree to answer four questions about their wellbeing?" in text
    assert "about four weeks on" not in text
    assert "The same four questions the client was asked with the questionnaire" in text
