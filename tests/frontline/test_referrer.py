"""What a referrer sees of the questionnaires they submitted: their own only, each referral's
status and outcome in words, and never the partners' notes or the reasons given."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from hub.auth import accounts
from hub.frontline import submitted_queries
from hub.models import FollowUp
from hub.referrals import lifecycle
from tests.factories import submit, user
from tests.support import axe_violations, partner

OTHER_EMAIL = "other.worker@lambeth.example"
OTHER_PASSWORD = "other-worker-password"


@pytest.fixture
def other_worker(db, demo_hub, now):
    """A second frontline worker in the same organisation as the demo one."""
    organisation = accounts.find_organisation("lambeth-adult-social-care")
    worker = accounts.create_user(
        OTHER_EMAIL, "frontline", organisation, OTHER_PASSWORD, now, name="Other Worker"
    )
    db.session.commit()
    return worker


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


# --- Whose questionnaires -------------------------------------------------------------------


def test_a_worker_sees_only_their_own_questionnaires_newest_first(
    db, client, sign_in_as, other_worker, now
):
    submit(user("frontline"), now, given_name="Edna")
    submit(user("frontline"), now + timedelta(days=1), given_name="Harold")
    theirs = submit(other_worker, now, given_name="Winifred")
    db.session.commit()
    sign_in_as("frontline")

    page = text_of(client.get("/questionnaires/submitted/"))
    assert "Edna Clarke" in page and "Harold Clarke" in page
    assert page.index("Harold Clarke") < page.index("Edna Clarke")
    assert "Winifred" not in page and theirs.reference not in page
    assert client.get(f"/questionnaires/submitted/{theirs.id}").status_code == 404
    assert client.get("/questionnaires/submitted/999999").status_code == 404


def test_hub_staff_see_the_questionnaires_they_submitted_themselves(db, client, sign_in_as, now):
    mine = submit(user("hub"), now, given_name="Mabel")
    submit(user("frontline"), now, given_name="Edna")
    db.session.commit()
    sign_in_as("hub")
    page = text_of(client.get("/questionnaires/submitted/"))
    assert "Mabel Clarke" in page and "Edna" not in page
    assert "Mabel Clarke" in text_of(client.get(f"/questionnaires/submitted/{mine.id}"))


@pytest.mark.parametrize("role", ["partner", "manager", "admin"])
def test_other_roles_are_refused(db, client, sign_in_as, now, role):
    submission = submit(user("frontline"), now)
    db.session.commit()
    sign_in_as(role)
    assert client.get("/questionnaires/submitted/").status_code == 403
    assert client.get(f"/questionnaires/submitted/{submission.id}").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(db, client, demo_hub, now):
    submission = submit(user("frontline"), now)
    db.session.commit()
    for path in ("/questionnaires/submitted/", f"/questionnaires/submitted/{submission.id}"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_the_navigation_links_to_the_list_for_referrers(client, sign_in_as):
    sign_in_as("frontline")
    page = text_of(client.get("/questionnaires/submitted/"))
    assert "Your questionnaires" in page
    assert "You have not submitted any questionnaires yet." in page


# --- What each referral shows ---------------------------------------------------------------

NOTES = {
    "attempt": "Left a voicemail about the zebra crossing",
    "contact": "Spoke to her daughter about the aardvark",
    "close": "Fitted two alarms near the marmalade cupboard",
    "decline": "Outside our catchment near the pelican",
    "cancel": "Duplicate entered by the walrus team",
    "follow_up": "Client mentioned the flamingo garden",
}


@pytest.fixture
def lived_questionnaire(db, demo_hub, now):
    """A questionnaire whose three referrals went different ways: one closed with a service, one
    declined and re-routed, one cancelled; and the hub's follow-up done."""
    submission = submit(user("frontline"), now, yes=("smoke_alarms", "falls", "lonely"))
    fire, falls, lonely = submission.referrals
    hub, lfb = user("hub"), user("partner")
    later = now + timedelta(hours=2)
    lifecycle.forward_all(submission, hub, later)
    lifecycle.accept_referral(fire, lfb, now + timedelta(days=1))
    lifecycle.record_attempt(
        fire, lfb, now + timedelta(days=2), "phone", False, notes=NOTES["attempt"]
    )
    lifecycle.record_contact(fire, lfb, now + timedelta(days=3), notes=NOTES["contact"])
    lifecycle.close_referral(
        fire, lfb, now + timedelta(days=9), "service_provided", notes=NOTES["close"]
    )
    lifecycle.decline_referral(falls, None, now + timedelta(days=2), NOTES["decline"])
    lifecycle.reroute_referral(
        falls, partner("active-ageing-exercise"), hub, now + timedelta(days=3)
    )
    lifecycle.cancel_referral(lonely, hub, now + timedelta(days=1), NOTES["cancel"])
    db.session.add(
        FollowUp(
            submission=submission,
            needs_met="partly",
            helped=["lfb-home-fire-safety"],
            notes=NOTES["follow_up"],
            recorded_by_id=hub.id,
            recorded_at=now + timedelta(days=29),
        )
    )
    db.session.commit()
    return submission


def test_the_detail_page_says_where_each_referral_has_got_to(
    client, sign_in_as, lived_questionnaire
):
    sign_in_as("frontline")
    page = text_of(client.get(f"/questionnaires/submitted/{lived_questionnaire.id}"))
    assert "Edna Clarke" in page
    assert lived_questionnaire.reference in page
    assert "2 Mar 2026, 09:00" in page  # received, in London time (GMT in March)
    assert "Closed: Service provided" in page
    assert "Re-routed to Active Ageing" in page
    assert "Waiting to be sent to the agency" in page  # the re-routed referral, at the hub
    assert "Cancelled" in page and "consent withdrawn" not in page
    assert "smoke alarm" in page.lower()  # what the referral is about
    assert "Follow-up call on 31 March 2026: needs met partly" in page
    # 1 of the 3 current referrals (the fire one) made contact; the cancelled one is left out.
    assert "1 of 2 agencies has contacted the client; 1 waiting to be sent to an agency" in page


def test_no_notes_or_reasons_reach_the_referrer(client, sign_in_as, lived_questionnaire):
    sign_in_as("frontline")
    pages = [
        text_of(client.get("/questionnaires/submitted/")),
        text_of(client.get(f"/questionnaires/submitted/{lived_questionnaire.id}")),
    ]
    for page in pages:
        for word in ("zebra", "aardvark", "marmalade", "pelican", "walrus", "flamingo"):
            assert word not in page


def test_the_list_shows_each_referral_with_its_partner_status_and_outcome(
    client, sign_in_as, lived_questionnaire
):
    sign_in_as("frontline")
    page = text_of(client.get("/questionnaires/submitted/"))
    assert lived_questionnaire.reference in page
    assert "London Fire Brigade – Home Fire Safety Visits" in page
    assert "Active Ageing Exercise Classes" in page
    assert "Service provided" in page
    assert "Declined" in page and "Cancelled" in page and "Received" in page
    assert "1 of 2 agencies has contacted the client" in page


def test_statuses_in_words_while_the_referrals_are_open(db, client, sign_in_as, now):
    submission = submit(user("frontline"), now, yes=("smoke_alarms", "falls", "lonely"))
    fire, falls, lonely = submission.referrals
    lifecycle.forward_referral(fire, None, now + timedelta(hours=1))
    lifecycle.forward_referral(falls, None, now + timedelta(hours=1))
    lifecycle.record_contact(falls, None, now + timedelta(days=4))
    lifecycle.forward_referral(lonely, None, now + timedelta(hours=1))
    lifecycle.decline_referral(lonely, None, now + timedelta(days=1), NOTES["decline"])
    db.session.commit()
    sign_in_as("frontline")
    page = text_of(client.get(f"/questionnaires/submitted/{submission.id}"))
    assert (
        "Sent to the agency on 2 March 2026; they aim to contact the client by 16 March 2026"
        in page
    )
    assert "Agency has contacted the client on 6 March 2026" in page
    assert "Declined by the agency: the hub is finding another service" in page
    assert "pelican" not in page
    assert "The hub will call the client to check their needs were met, from 30 March 2026" in (
        page
    )


def test_consent_withdrawn_is_said_but_not_the_reason(db, client, sign_in_as, now):
    submission = submit(user("frontline"), now, yes=("smoke_alarms",))
    lifecycle.withdraw_consent(
        submission.client, user("hub"), now + timedelta(days=1), "Moved away to the walrus coast"
    )
    db.session.commit()
    sign_in_as("frontline")
    page = text_of(client.get(f"/questionnaires/submitted/{submission.id}"))
    assert "Cancelled: consent withdrawn" in page
    assert "walrus" not in page
    assert "Every referral was cancelled" in page


def test_a_questionnaire_with_no_flags_says_so(db, client, sign_in_as, now):
    submission = submit(user("frontline"), now, yes=())
    db.session.commit()
    sign_in_as("frontline")
    page = text_of(client.get(f"/questionnaires/submitted/{submission.id}"))
    assert "no agency was asked to contact Edna Clarke" in page
    assert "No agencies: every answer was no" in text_of(client.get("/questionnaires/submitted/"))


def test_times_are_shown_in_london_time(db, client, sign_in_as, now):
    submit(user("frontline"), now.replace(month=6, day=1), given_name="June")
    db.session.commit()
    sign_in_as("frontline")
    assert "1 Jun 2026, 10:00" in text_of(client.get("/questionnaires/submitted/"))  # BST


# --- Data layer -----------------------------------------------------------------------------


def test_pages_of_questionnaires(db, demo_hub, now):
    me = user("frontline")
    for day, name in enumerate(("Alice", "Bert", "Cyril")):
        submit(me, now + timedelta(days=day), given_name=name)
    db.session.commit()
    first = submitted_queries.questionnaires_of(me.id, 1, size=2)
    second = submitted_queries.questionnaires_of(me.id, 2, size=2)
    assert [q.client_name for q in first.items] == ["Cyril Clarke", "Bert Clarke"]
    assert [q.client_name for q in second.items] == ["Alice Clarke"]
    assert first.total == 3 and first.has_next and not second.has_next
    with pytest.raises(submitted_queries.PageNotFound):
        submitted_queries.questionnaires_of(me.id, 3, size=2)


def test_a_page_number_beyond_the_last_is_not_found(client, sign_in_as):
    sign_in_as("frontline")
    assert client.get("/questionnaires/submitted/?page=2").status_code == 404
    assert client.get("/questionnaires/submitted/?page=0").status_code == 404


def _statements(db, action) -> int:
    seen = []

    def count(*_args):
        seen.append(1)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_the_list_and_detail_load_everything_up_front(db, demo_hub, now):
    """The number of queries does not grow with the number of questionnaires or referrals."""
    me = user("frontline")
    submit(me, now, yes=("smoke_alarms",))
    db.session.commit()
    db.session.expire_all()
    few = _statements(db, lambda: submitted_queries.questionnaires_of(me.id))
    for day in range(1, 4):
        submit(me, now + timedelta(days=day), yes=("smoke_alarms", "falls", "lonely", "repairs"))
    db.session.commit()
    db.session.expire_all()
    many = _statements(db, lambda: submitted_queries.questionnaires_of(me.id))
    assert many == few
    latest = submitted_queries.questionnaires_of(me.id).items[0]
    db.session.expire_all()
    assert _statements(db, lambda: submitted_queries.questionnaire_of(me.id, latest.id)) <= 3


# --- In a browser, on a phone ---------------------------------------------------------------


@pytest.mark.browser
def test_the_referrer_pages_pass_axe_on_a_phone(page, live_server, lived_questionnaire, demo_hub):
    worker = demo_hub["frontline"]
    page.goto(f"{live_server}/login")
    page.get_by_label("Email address", exact=True).fill(worker.email)
    page.get_by_label("Password", exact=True).fill(worker.password)
    page.get_by_role("button", name="Sign in").click()

    # On a phone the service navigation folds behind its "Menu" button.
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Your questionnaires").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your questionnaires")
    assert axe_violations(page) == [], page.url

    page.get_by_role("link", name="Edna Clarke").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edna Clarke")
    expect(page.get_by_text("Closed: Service provided")).to_be_visible()
    assert axe_violations(page) == [], page.url
