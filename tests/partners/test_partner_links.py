"""Signed links to one referral for partners without accounts, and their one-time codes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_login import current_user
from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from hub.auth import accounts
from hub.auth.access import referrals_visible_to
from hub.clock import utcnow
from hub.models import OutboxMessage, PartnerLinkCode, Referral, User
from hub.referrals import lifecycle
from notifications import dispatch, sealed
from partners import links
from tests.factories import submit, user
from tests.smtp_support import text_of
from tests.support import axe_violations, page_text, sign_in

FALLS_EMAIL = "referrals@nhs-falls-prevention.example.org"
MASKED = "r•••@nhs-falls-prevention.example.org"
CLIENT_DETAILS = ("Edna", "Clarke", "020 7946 0123", "SW2 5SG", "Acre Lane", "17 May 1941")


@pytest.fixture
def referrals(db, demo_hub):
    """Two falls referrals to NHS falls prevention (no accounts, codes allowed) and one to the
    fire brigade (has accounts), all forwarded a day ago by the real clock, as the views read
    it."""
    past = utcnow() - timedelta(days=1)
    first = submit(user("frontline"), past, yes=("smoke_alarms", "falls"))
    second = submit(user("frontline"), past, yes=("falls",), given_name="Bert")
    smoke, falls = first.referrals
    other_falls = second.referrals[0]
    for referral in (smoke, falls, other_falls):
        lifecycle.forward_referral(referral, user("hub"), past)
    db.session.commit()
    return {"smoke": smoke, "falls": falls, "other_falls": other_falls}


def link_for(referral, when=None) -> str:
    return links.link_path(referral, when or utcnow())


# --- Tokens -----------------------------------------------------------------------------------


def test_a_token_opens_its_referral_until_it_expires(db, referrals, now):
    falls = referrals["falls"]
    token = links.make_link_token(falls, now)
    assert links.read_link_token(token, now) == falls.id
    assert links.read_link_token(token, now + timedelta(days=28)) == falls.id
    with pytest.raises(links.LinkExpired):
        links.read_link_token(token, now + timedelta(days=28, seconds=1))
    assert links.link_url(falls, now) == f"http://hub.test/partner/links/{token}"


def test_tampered_unknown_and_reassigned_tokens_are_refused(app, db, referrals, now):
    falls = referrals["falls"]
    token = links.make_link_token(falls, now)
    with pytest.raises(links.LinkTampered):
        links.read_link_token(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), now)
    with pytest.raises(links.LinkTampered):
        links.read_link_token("not-a-token", now)
    other_key = URLSafeSerializer("another-secret", salt=links.SALT)
    with pytest.raises(links.LinkTampered):
        links.read_link_token(other_key.dumps([falls.id, falls.partner_id, 0]), now)
    ours = URLSafeSerializer(app.config["SECRET_KEY"], salt=links.SALT)
    stamp = int(now.timestamp())  # naive UTC read as local: only "recent" matters here
    with pytest.raises(links.LinkUnknown):
        links.read_link_token(ours.dumps([999999, falls.partner_id, stamp]), now)
    with pytest.raises(links.LinkReassigned):
        links.read_link_token(ours.dumps([falls.id, falls.partner_id + 1000, stamp]), now)
    waiting = submit(user("frontline"), now, yes=("falls",)).referrals[0]
    db.session.commit()
    with pytest.raises(links.LinkUnknown):  # never forwarded: no partner holds it
        links.read_link_token(links.make_link_token(waiting, now), now)


# --- Pages ------------------------------------------------------------------------------------


def test_the_link_page_shows_only_the_reference_and_the_agency(client, referrals):
    falls = referrals["falls"]
    response = client.get(link_for(falls))
    assert response.status_code == 200
    text = page_text(response)
    assert f"Referral {falls.reference}" in text
    assert "NHS" in text and "Falls" in text
    assert f"Email a code to {MASKED}" in text
    for detail in CLIENT_DETAILS:
        assert detail not in text
    assert "Would you like" not in text  # not even what the referral is about
    assert f'href="/login?next=/partner/referrals/{falls.id}"' in response.get_data(as_text=True)


def test_an_agency_without_codes_is_only_offered_sign_in(client, referrals):
    smoke = referrals["smoke"]  # the fire brigade has accounts and no email codes
    text = page_text(client.get(link_for(smoke)))
    assert "Sign in" in text and "Email a code" not in text
    assert client.post(link_for(smoke) + "/send-code").status_code == 404
    assert client.get(link_for(smoke) + "/code").status_code == 404


@pytest.mark.parametrize(
    "mangle, status, title",
    [
        (lambda path: path[:-3], 400, "This link is not complete"),
        (lambda path: path + "x", 400, "This link is not complete"),
    ],
)
def test_a_tampered_link_gets_a_clear_page(client, referrals, mangle, status, title):
    response = client.get(mangle(link_for(referrals["falls"])))
    assert response.status_code == status
    assert title in page_text(response)
    assert "Traceback" not in response.get_data(as_text=True)


def test_an_expired_link_gets_a_clear_page(client, referrals):
    old = link_for(referrals["falls"], utcnow() - timedelta(days=29))
    for response in (client.get(old), client.post(old + "/send-code"), client.get(old + "/code")):
        assert response.status_code == 410
        assert "This link has expired" in page_text(response)


def test_a_link_to_a_referral_no_longer_there_gets_a_clear_page(app, client, referrals):
    ours = URLSafeSerializer(app.config["SECRET_KEY"], salt=links.SALT)
    stamp = int(utcnow().timestamp())
    response = client.get(f"/partner/links/{ours.dumps([999999, 1, stamp])}")
    assert response.status_code == 404
    assert "There is no referral at this link" in page_text(response)


def test_the_agencys_own_signed_in_user_goes_straight_to_the_referral(client, referrals):
    sign_in(client, "partner@demo.sail.example", "demo-partner-password")  # the fire brigade
    smoke = referrals["smoke"]
    response = client.get(link_for(smoke))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/partner/referrals/{smoke.id}"


# --- Codes ------------------------------------------------------------------------------------


def code_from_email(smtp_server) -> str:
    dispatch.dispatch_due(utcnow())
    message = smtp_server.messages[-1]
    assert message["To"] == FALLS_EMAIL
    return re.search(r"^(\d{6})\r?$", text_of(message), re.MULTILINE).group(1)


@pytest.mark.both_databases  # locks the referral and its code: FOR UPDATE
def test_the_code_arrives_by_email_and_signs_the_visitor_in_to_that_referral_only(
    app, db, client, referrals, smtp_server
):
    falls, other = referrals["falls"], referrals["other_falls"]
    link = link_for(falls)
    response = client.post(link + "/send-code")
    assert response.status_code == 302
    assert response.headers["Location"] == link + "/code"
    page = page_text(client.get(link + "/code"))
    assert "Enter the code" in page and MASKED in page

    (queued,) = db.session.scalars(select(OutboxMessage).filter_by(kind="partner_link_code"))
    assert queued.key.startswith("partner_link_code:") and queued.recipient == FALLS_EMAIL
    code = code_from_email(smtp_server)
    email = smtp_server.messages[-1]
    assert falls.reference in email["Subject"]
    assert "15 minutes" in text_of(email)
    stored = db.session.scalar(select(PartnerLinkCode))
    assert code not in stored.code_hash and len(stored.code_hash) == 64

    response = client.post(link + "/code", data={"code": code[:3] + " " + code[3:]})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/partner/referrals/{falls.id}"

    stand_in = db.session.scalar(select(User).where(User.link_referral_id == falls.id))
    assert stand_in.role == "partner" and stand_in.organisation_id == falls.partner_id
    assert stand_in.email == f"link-{falls.id}@nhs-falls-prevention.link.invalid"
    assert stand_in.name == f"Signed link (code sent to {MASKED})"
    visible = set(db.session.scalars(select(Referral.id).where(referrals_visible_to(stand_in))))
    assert visible == {falls.id}
    with client:
        assert client.get(f"/partner/referrals/{falls.id}").status_code == 200
        assert current_user.id == stand_in.id
    assert client.get(f"/partner/referrals/{other.id}").status_code == 404  # same agency
    assert client.get(f"/partner/referrals/{referrals['smoke'].id}").status_code == 404

    # The code works once: a second visitor with it gets nowhere.
    stranger = app.test_client()
    response = stranger.post(link + "/code", data={"code": code})
    assert response.status_code == 200
    assert "This code has already been used" in page_text(response)


def test_five_wrong_guesses_kill_the_code(db, client, referrals, smtp_server):
    link = link_for(referrals["falls"])
    client.post(link + "/send-code")
    code = code_from_email(smtp_server)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        text = page_text(client.post(link + "/code", data={"code": wrong}))
        assert f"The code is not correct. You have {left} more tr" in text
    text = page_text(client.post(link + "/code", data={"code": wrong}))
    assert "You have entered a wrong code too many times. Request a new code." in text
    text = page_text(client.post(link + "/code", data={"code": code}))
    assert "too many times" in text  # the right code is dead too
    stand_ins = select(func.count(User.id)).where(User.link_referral_id.is_not(None))
    assert db.session.scalar(stand_ins) == 0  # nobody got in
    assert db.session.scalar(select(PartnerLinkCode.failed_guesses)) == 5
    # A new code works.
    client.post(link + "/send-code")
    fresh = code_from_email(smtp_server)
    assert client.post(link + "/code", data={"code": fresh}).status_code == 302


def test_a_code_must_look_like_a_code_and_expires(db, client, referrals, smtp_server):
    falls = referrals["falls"]
    link = link_for(falls)
    assert "Enter the code from the email" in page_text(client.post(link + "/code", data={}))
    text = page_text(client.post(link + "/code", data={"code": "12ab"}))
    assert "The code must be 6 digits" in text
    assert "Request a code first" in page_text(client.post(link + "/code", data={"code": "123456"}))
    client.post(link + "/send-code")
    code = code_from_email(smtp_server)
    row = db.session.scalar(select(PartnerLinkCode))
    row.expires_at = utcnow() - timedelta(seconds=1)  # as if 15 minutes had passed
    db.session.commit()
    assert "The code has expired" in page_text(client.post(link + "/code", data={"code": code}))


def test_at_most_five_codes_an_hour(db, client, referrals):
    link = link_for(referrals["falls"])
    for _ in range(5):
        assert client.post(link + "/send-code").status_code == 302
    response = client.post(link + "/send-code")
    assert response.status_code == 429
    assert "5 codes have been sent for this referral in the last hour" in page_text(response)
    assert db.session.scalar(select(func.count(PartnerLinkCode.id))) == 5
    assert (
        db.session.scalar(select(func.count(OutboxMessage.id)).filter_by(kind="partner_link_code"))
        == 5
    )


def test_a_code_replaces_whoever_was_signed_in(db, client, sign_in_as, referrals, smtp_server):
    sign_in_as("hub")
    falls = referrals["falls"]
    link = link_for(falls)
    client.post(link + "/send-code")
    code = code_from_email(smtp_server)
    with client:
        client.post(link + "/code", data={"code": code})
        client.get(f"/partner/referrals/{falls.id}")
        assert current_user.link_referral_id == falls.id


def test_a_stand_in_user_cannot_sign_in_with_a_password(app, db, client, referrals, now):
    falls = referrals["falls"]
    stand_in = links.stand_in_user(falls, now)
    stand_in.password_hash = generate_password_hash("a-known-password", "pbkdf2:sha256:1")
    db.session.commit()
    assert accounts.authenticate(stand_in.email, "a-known-password") is None
    response = client.post("/login", data={"email": stand_in.email, "password": "a-known-password"})
    assert response.status_code == 200
    assert "Enter a correct email address and password" in page_text(response)


def test_a_stand_in_user_is_made_once_per_referral(db, referrals, now):
    falls = referrals["falls"]
    assert links.stand_in_user(falls, now).id == links.stand_in_user(falls, now).id
    other = links.stand_in_user(referrals["other_falls"], now)
    assert other.link_referral_id == referrals["other_falls"].id


# --- Forwarding emails carry the link ---------------------------------------------------------


def test_the_forwarding_email_link_opens_the_link_page(db, client, referrals):
    falls = referrals["falls"]
    message = db.session.scalar(
        select(OutboxMessage).filter_by(key=f"referral_forwarded:{falls.id}")
    )
    # Sealed in the outbox (notifications.sealed), opened as dispatch opens it to send.
    sent = sealed.revealed(message)
    url = re.search(r"http://hub\.test(/partner/links/\S+)", sent.body).group(1)
    # Issued a day ago (when forwarded): still good for another 27 days.
    assert client.get(url).status_code == 200


# --- In a browser -----------------------------------------------------------------------------


def test_link_pages_work_in_a_browser_and_pass_axe(live_server, page, referrals, smtp_server):
    falls = referrals["falls"]
    page.goto(live_server + link_for(falls))
    assert page.get_by_role("heading", name=f"Referral {falls.reference}").is_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name=f"Email a code to {MASKED}").click()
    page.get_by_role("heading", name="Enter the code").wait_for()
    assert axe_violations(page) == []
    code = code_from_email(smtp_server)
    page.get_by_label("Code").fill(f"{(int(code) + 1) % 1_000_000:06d}")  # a wrong one
    page.get_by_role("button", name="Continue").click()
    page.get_by_text("There is a problem").wait_for()
    assert axe_violations(page) == []
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"**/partner/referrals/{falls.id}")
    page.goto(live_server + link_for(falls, utcnow() - timedelta(days=40)))
    assert page.get_by_role("heading", name="This link has expired").is_visible()
    assert axe_violations(page) == []
