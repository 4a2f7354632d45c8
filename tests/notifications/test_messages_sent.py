"""What the hub sends, and to whom: partners by email and SMS when a referral is forwarded, the
referrer when their questionnaire has been forwarded and when its last referral closes, the
client (only if they asked to hear by SMS or email), and hub staff when a message fails for
good. Every kind has a sample on the admins' page, built from the same templates."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import template_rendered
from jinja2 import StrictUndefined
from sqlalchemy import select

from hub.auth import accounts
from hub.jobs import schedule
from hub.models import OutboxMessage
from hub.referrals import lifecycle
from notifications import dispatch, receipts
from notifications.messages import previews, to_hub_staff
from partners import links
from tests.factories import submit, user
from tests.smtp_support import html_of, text_of

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "notifications"


# --- Samples -------------------------------------------------------------------------------------


def test_every_template_has_a_sample_and_every_variable_is_given(app):
    rendered: list[str] = []

    def record(sender, template, context, **extra):
        rendered.append(template.name)

    with app.app_context():
        lenient = app.jinja_env.undefined
        app.jinja_env.undefined = StrictUndefined  # a missing variable raises
        template_rendered.connect(record, app)
        try:
            shown = previews.previews()
        finally:
            template_rendered.disconnect(record, app)
            # The app is shared by the worker's later tests: GOV.UK's templates need leniency.
            app.jinja_env.undefined = lenient
    expected = {
        f"notifications/{path.name}"
        for path in TEMPLATES.iterdir()
        if not path.name.startswith("_")
    }
    assert expected <= set(rendered)
    kinds = {(preview.kind, preview.channel) for preview in shown}
    assert len(kinds) == len(shown)  # one sample per kind and channel
    for preview in shown:
        assert preview.audience in (
            "Partner agency",
            "Referrer",
            "Client",
            "Hub staff",
            "Account holder",
        )
        assert preview.when and preview.body
        if preview.channel == "email":
            assert preview.subject and preview.html
        else:
            assert preview.subject is None and preview.html is None


# --- Helpers -------------------------------------------------------------------------------------

CLIENT_DETAILS = (
    "Edna",
    "Clarke",
    "020 7946 0123",
    "7946 0123",
    "SW2 5SG",
    "Acre Lane",
    "1941",
    "17 May",
    "07911 123456",
    "7911 123456",
    "+447911123456",
    "edna@example.org",
)
MOBILE = "07911 123456"


# Demo partners have no SMS duty number (any valid mobile may be someone's): give two one here.
FALLS_SMS = "+447911123107"
FIRE_SMS = "+447911123101"


@pytest.fixture
def demo_hub(demo_hub, db):
    for slug, number in (("nhs-falls-prevention", FALLS_SMS), ("lfb-home-fire-safety", FIRE_SMS)):
        accounts.find_organisation(slug).sms_number = number
    db.session.commit()
    return demo_hub


def outbox_messages(db, **filters) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(OutboxMessage).filter_by(**filters).order_by(OutboxMessage.id))
    )


def assert_no_client_details(*texts: str | None) -> None:
    for text in texts:
        for detail in CLIENT_DETAILS:
            assert detail not in (text or ""), detail


def forward_one(db, now, yes=("smoke_alarms",), **details):
    submission = submit(user("frontline"), now, yes=yes, **details)
    db.session.commit()
    for referral in submission.referrals:
        lifecycle.forward_referral(referral, user("hub"), now)
    db.session.commit()
    return submission


# --- To partners ---------------------------------------------------------------------------------


def test_forwarding_to_a_partner_with_a_duty_number_queues_an_email_and_an_sms(db, demo_hub, now):
    submission = forward_one(db, now, yes=("falls",))  # NHS falls prevention: SMS, no accounts
    (falls,) = submission.referrals
    partner_messages = outbox_messages(db, referral_id=falls.id, kind="referral_forwarded")
    assert [(m.channel, m.key, m.recipient) for m in partner_messages] == [
        ("email", f"referral_forwarded:{falls.id}", "referrals@nhs-falls-prevention.example.org"),
        ("sms", f"referral_forwarded_sms:{falls.id}", FALLS_SMS),
    ]


def test_a_partner_without_a_duty_number_gets_no_sms(db, demo_hub, now):
    (smoking,) = forward_one(db, now, yes=("smoking",)).referrals
    assert smoking.partner.slug == "stop-smoking-service"
    assert [m.channel for m in outbox_messages(db, kind="referral_forwarded")] == ["email"]


def test_the_partner_sms_goes_through_twilio_with_reference_deadline_and_link(
    db, demo_hub, now, fake_twilio, smtp_server
):
    (falls,) = forward_one(db, now, yes=("falls",)).referrals
    dispatch.dispatch_due(now)
    (sms,) = [s for s in fake_twilio.messages if s.to == FALLS_SMS]
    assert falls.reference in sms.body
    assert "16 Mar 2026 09:00" in sms.body  # 14 days on, UK time
    assert "Strength and balance" in sms.body  # what kind of referral: the agency's service
    # The same kind of link as the email: a signed one, as the agency has no accounts.
    (link,) = re.findall(r"http://hub\.test/partner/links/\S+", sms.body)
    assert link.startswith("http://hub.test/partner/links/")
    assert links.read_link_token(link.rsplit("/", 1)[1], now) == falls.id
    assert len(sms.body) <= 3 * 153 and sms.body.isascii()  # at most 3 GSM segments
    assert_no_client_details(sms.body)
    (message,) = outbox_messages(db, channel="sms", kind="referral_forwarded")
    assert message.status == "sent" and message.provider_id == sms.sid


def test_a_partner_with_accounts_gets_the_portal_page_by_sms(db, demo_hub, now):
    (smoke,) = forward_one(db, now, yes=("smoke_alarms",)).referrals
    (sms,) = outbox_messages(db, channel="sms", kind="referral_forwarded")
    assert f"http://hub.test/partner/referrals/{smoke.id}" in sms.body


# --- To the referrer -----------------------------------------------------------------------------


def test_forward_all_tells_the_referrer_once(db, demo_hub, now, smtp_server):
    submission = submit(user("frontline"), now, yes=("smoke_alarms", "falls", "lonely"))
    db.session.commit()
    lifecycle.forward_all(submission, user("hub"), now)
    db.session.commit()
    (told,) = outbox_messages(db, kind="referrer_forwarded")
    assert told.key == f"referrer_forwarded:{submission.id}"
    assert told.recipient == "frontline@demo.sail.example"
    assert told.referral_id == submission.referrals[-1].id  # the forward that completed it

    dispatch.dispatch_due(now)
    (email,) = [m for m in smtp_server.messages if m["To"] == "frontline@demo.sail.example"]
    assert email["Subject"] == f"SAIL questionnaire {submission.reference}: passed on to 3 agencies"
    text, html = text_of(email), html_of(email)
    for body in (text, html):
        assert submission.reference in body
        assert "London Fire Brigade" in body and "NHS Falls Prevention Service" in body
        assert f"http://hub.test/questionnaires/submitted/{submission.id}" in body
        for referral in submission.referrals:
            assert referral.reference in body
    assert "Monday 16 March 2026" in text
    assert_no_client_details(text, html, email["Subject"])

    # Forwarding again (nothing waits) or a later change sends nothing more.
    lifecycle.forward_all(submission, user("hub"), now)
    lifecycle.accept_referral(submission.referrals[0], user("hub"), now)
    db.session.commit()
    assert len(outbox_messages(db, kind="referrer_forwarded")) == 1


def test_the_referrer_hears_only_when_nothing_waits_at_the_hub(db, demo_hub, now):
    submission = submit(user("frontline"), now, yes=("smoke_alarms", "falls"))
    smoke, falls = submission.referrals
    lifecycle.forward_referral(smoke, user("hub"), now)
    db.session.commit()
    assert outbox_messages(db, kind="referrer_forwarded") == []
    # The other flag is cancelled rather than forwarded: the questionnaire has been dealt with.
    lifecycle.cancel_referral(falls, user("hub"), now, "Duplicate")
    db.session.commit()
    (told,) = outbox_messages(db, kind="referrer_forwarded")
    assert told.referral_id == falls.id
    assert "London Fire Brigade" in told.body and "NHS Falls" not in told.body


def test_an_inactive_referrer_is_not_emailed(db, demo_hub, now):
    frontline = user("frontline")
    submission = submit(frontline, now, yes=("smoke_alarms",))
    frontline.active = False
    db.session.commit()
    lifecycle.forward_all(submission, user("hub"), now)
    db.session.commit()
    assert outbox_messages(db, kind="referrer_forwarded") == []


def close(referral, now):
    hub = user("hub")
    lifecycle.record_contact(referral, hub, now)
    lifecycle.close_referral(referral, hub, now, "service_provided")


def test_the_referrer_hears_when_the_last_referral_closes_not_before(db, demo_hub, now):
    submission = forward_one(db, now, yes=("smoke_alarms", "falls", "lonely"))
    smoke, falls, lonely = submission.referrals
    later = now + timedelta(days=3)
    close(smoke, later)
    lifecycle.decline_referral(falls, user("hub"), later, "Outside our area")
    db.session.commit()
    close(lonely, later)
    db.session.commit()
    assert outbox_messages(db, kind="referrer_all_closed") == []  # declined waits for the hub

    lifecycle.close_declined(falls, user("hub"), later, "Nothing else suits")
    db.session.commit()
    (told,) = outbox_messages(db, kind="referrer_all_closed")
    assert told.key == f"referrer_all_closed:{submission.id}"
    assert told.referral_id == falls.id and told.recipient == "frontline@demo.sail.example"
    assert submission.reference in told.body
    assert f"http://hub.test/questionnaires/submitted/{submission.id}" in told.body
    assert_no_client_details(told.body, told.html, told.subject)

    # Reopened and closed again: still one message.
    lifecycle.reopen_referral(smoke, user("hub"), later, "Closed by mistake")
    lifecycle.close_referral(smoke, user("hub"), later, "service_provided")
    db.session.commit()
    assert len(outbox_messages(db, kind="referrer_all_closed")) == 1


def test_a_rerouted_referral_is_finished_once_its_new_one_closes(db, demo_hub, now):
    submission = forward_one(db, now, yes=("scams",))
    (scams,) = submission.referrals
    lifecycle.decline_referral(scams, user("hub"), now, "Outside our area")
    new = lifecycle.reroute_referral(
        scams, accounts.find_organisation("london-trading-standards"), user("hub"), now
    )
    lifecycle.forward_referral(new, user("hub"), now)
    db.session.commit()
    assert outbox_messages(db, kind="referrer_all_closed") == []
    close(new, now + timedelta(days=2))
    db.session.commit()
    (told,) = outbox_messages(db, kind="referrer_all_closed")
    assert told.referral_id == new.id


def test_withdrawing_consent_cancels_all_and_tells_the_referrer(db, demo_hub, now):
    submission = forward_one(
        db, now, yes=("smoke_alarms", "falls"), preferred_contact="sms", phone=MOBILE
    )
    assert len(outbox_messages(db, kind="client_forwarded")) == 1
    later = now + timedelta(days=1)
    lifecycle.withdraw_consent(submission.client, user("hub"), later, "Phoned us")
    db.session.commit()
    (told,) = outbox_messages(db, kind="referrer_all_closed")
    assert told.referral_id == submission.referrals[-1].id
    assert len(outbox_messages(db, kind="client_forwarded")) == 1  # nothing more to the client


# --- To the client -------------------------------------------------------------------------------


def test_a_client_who_prefers_sms_gets_one(db, demo_hub, now, fake_twilio, smtp_server):
    submission = submit(
        user("frontline"), now, yes=("smoke_alarms", "falls"), preferred_contact="sms", phone=MOBILE
    )
    db.session.commit()
    lifecycle.forward_all(submission, user("hub"), now)
    db.session.commit()
    (told,) = outbox_messages(db, kind="client_forwarded")
    assert told.channel == "sms" and told.recipient == "+447911123456"
    assert told.key == f"client_forwarded:{submission.id}"
    dispatch.dispatch_due(now)
    (sms,) = [s for s in fake_twilio.messages if s.to == "+447911123456"]
    assert "Age UK Lambeth and Southwark" in sms.body  # who it is from
    assert "London Fire Brigade - Home Fire Safety Visits, by Monday 16 March 2026" in sms.body
    assert "NHS Falls Prevention Service, by Monday 16 March 2026" in sms.body
    assert submission.reference in sms.body
    assert_no_client_details(sms.body)


def test_a_client_who_prefers_email_gets_one(db, demo_hub, now, smtp_server):
    submission = forward_one(
        db, now, yes=("smoke_alarms",), preferred_contact="email", email="edna@example.org"
    )
    (told,) = outbox_messages(db, kind="client_forwarded")
    assert told.channel == "email" and told.recipient == "edna@example.org"
    dispatch.dispatch_due(now)
    (email,) = [m for m in smtp_server.messages if m["To"] == "edna@example.org"]
    text, html = text_of(email), html_of(email)
    for body in (text, html):
        assert "London Fire Brigade" in body and "Monday 16 March 2026" in body
        assert "Age UK Lambeth and Southwark" in body and submission.reference in body
        assert "client's details are on the hub" not in body  # not the partners' footer
    assert_no_client_details(text, html, email["Subject"])


@pytest.mark.parametrize(
    "details",
    [
        {"preferred_contact": "phone", "email": "edna@example.org"},
        {"preferred_contact": "letter", "email": "edna@example.org", "phone": MOBILE},
    ],
)
def test_a_client_who_prefers_phone_or_letter_gets_nothing(db, demo_hub, now, details):
    forward_one(db, now, **details)
    assert outbox_messages(db, kind="client_forwarded") == []
    assert len(outbox_messages(db, kind="referrer_forwarded")) == 1


def test_a_client_who_withdrew_consent_gets_nothing(db, demo_hub, now):
    first = submit(user("frontline"), now, yes=("smoke_alarms",))
    db.session.commit()
    lifecycle.withdraw_consent(first.client, user("hub"), now, "Phoned us")
    db.session.commit()
    second = submit(user("frontline"), now, yes=("falls",), preferred_contact="sms", phone=MOBILE)
    db.session.commit()
    # The person withdrew: their client record may be shared or stamped; either way, no message.
    second.client.consent_withdrawn_at = now
    lifecycle.forward_all(second, user("hub"), now)
    db.session.commit()
    assert outbox_messages(db, kind="client_forwarded") == []


# --- To hub staff, when a message fails for good -------------------------------------------------


@pytest.fixture
def two_hub_users(db, demo_hub, now):
    hub = accounts.find_organisation("age-uk-lambeth-southwark")
    accounts.create_user("hub2@demo.sail.example", "hub", hub, "second-hub-password", now, "Kim")
    gone = accounts.create_user("gone@demo.sail.example", "hub", hub, "gone-hub-password", now)
    gone.active = False
    db.session.commit()
    return ["hub@demo.sail.example", "hub2@demo.sail.example"]


def test_hub_staff_recipients_are_the_active_hub_users_or_the_shared_mailbox(
    app, db, two_hub_users
):
    assert to_hub_staff.hub_staff_recipients() == two_hub_users
    app.config["HUB_ALERT_EMAIL"] = "hub-team@hub.test"
    assert to_hub_staff.hub_staff_recipients() == ["hub-team@hub.test"]


def digest(now):
    return to_hub_staff.failed_digest_job(now)


def test_a_refused_sms_goes_in_the_hourly_digest_to_each_hub_user(
    db, two_hub_users, now, fake_twilio, smtp_server
):
    fake_twilio.invalid.add(FALLS_SMS)
    (falls,) = forward_one(db, now, yes=("falls",)).referrals
    assert dispatch.dispatch_due(now)["failed"] == 1
    assert outbox_messages(db, kind="message_failed") == []  # no alert per message
    assert digest(now) == {"failed for good": 1, "digests": 2}
    digests = outbox_messages(db, kind="failed_digest")
    assert sorted(d.recipient for d in digests) == sorted(two_hub_users)
    assert {d.key for d in digests} == {f"failed_digest:2026-03-02T09:{r}" for r in two_hub_users}
    for sent in digests:
        assert sent.channel == "email" and sent.referral_id is None
        assert sent.subject == "Not sent: 1 SAIL message failed"
        for body in (sent.body, sent.html):
            assert "1 × New referral for the partner (SMS)" in body
            assert falls.reference in body
            assert "http://hub.test/hub/messages" in body
            assert FALLS_SMS not in body and "21211" not in body  # no recipient, no error
            assert_no_client_details(body)

    # Told once: the same hour again, or a later one, adds nothing for it.
    assert digest(now + timedelta(minutes=5))["digests"] == 0
    assert digest(now + timedelta(hours=2))["digests"] == 0
    assert dispatch.dispatch_due(now + timedelta(minutes=1))["sent"] == 2
    assert {m["To"] for m in smtp_server.messages} >= set(two_hub_users)


def test_at_most_one_digest_an_hour(db, two_hub_users, now, fake_twilio, smtp_server):
    fake_twilio.invalid.add(FALLS_SMS)
    forward_one(db, now, yes=("falls",))
    dispatch.dispatch_due(now)
    digest(now)
    smtp_server.mailbox.refuse.add("referrals@nhs-falls-prevention.example.org")
    forward_one(db, now + timedelta(minutes=10), yes=("falls",))
    dispatch.dispatch_due(now + timedelta(minutes=10))
    assert digest(now + timedelta(minutes=20)) == {"failed for good": 0, "digests": 0}
    # The next hour's digest takes those that failed since.
    assert digest(now + timedelta(hours=1))["failed for good"] >= 1
    assert len(outbox_messages(db, kind="failed_digest")) == 4


def test_a_failed_receipt_goes_in_the_digest(db, two_hub_users, now, fake_twilio, smtp_server):
    (smoke,) = forward_one(db, now, yes=("smoke_alarms",)).referrals
    dispatch.dispatch_due(now)
    (sms,) = outbox_messages(db, channel="sms", kind="referral_forwarded")
    later = now + timedelta(minutes=5)
    assert receipts.apply_receipt(sms.provider_id, "undelivered", "30003", later) == "failed"
    db.session.commit()
    assert receipts.apply_receipt(sms.provider_id, "failed", "30003", later) == "unchanged"
    db.session.commit()
    assert digest(later) == {"failed for good": 1, "digests": 2}
    assert smoke.reference in outbox_messages(db, kind="failed_digest")[0].body


def test_a_failed_digest_is_in_no_digest(app, db, demo_hub, now, fake_twilio, smtp_server):
    app.config["HUB_ALERT_EMAIL"] = "hub-team@hub.test"
    smtp_server.mailbox.refuse.add("hub-team@hub.test")
    fake_twilio.invalid.add(FALLS_SMS)
    forward_one(db, now, yes=("falls",))
    dispatch.dispatch_due(now)
    digest(now)
    (sent,) = outbox_messages(db, kind="failed_digest")
    assert sent.recipient == "hub-team@hub.test"
    dispatch.dispatch_due(now + timedelta(minutes=1))
    assert outbox_messages(db, kind="failed_digest", status="failed") == [sent]
    assert digest(now + timedelta(hours=1)) == {"failed for good": 0, "digests": 0}
    assert len(outbox_messages(db, kind="failed_digest")) == 1


def test_with_email_down_the_digest_goes_by_sms_to_the_duty_mobile(
    app, db, demo_hub, now, fake_twilio, smtp_server
):
    """A day of SMTP failure, the jobs run every 30 minutes: every email fails for
    good after a day, hub staff hear by SMS on the duty mobile, at most once an hour."""
    app.config["HUB_ALERT_SMS"] = "+447700900123"
    smtp_server.stop()
    for _ in range(3):
        forward_one(db, now, yes=("smoke_alarms", "falls"))
    emails = {m.id for m in outbox_messages(db, channel="email")}
    moment = now
    while moment <= now + timedelta(hours=31):  # a day, then up to 6 hours to the next try
        schedule.run_due(moment)
        moment += timedelta(minutes=30)
    failed = outbox_messages(db, channel="email", status="failed")
    assert emails <= {m.id for m in failed}  # and the SLA watch's later ones that failed too
    digests = outbox_messages(db, kind="failed_digest")
    assert digests and outbox_messages(db, kind="message_failed") == []
    hours = {d.created_at.replace(minute=0) for d in digests}
    assert len(hours) == len(digests)  # at most one an hour
    assert {(d.channel, d.recipient, d.status) for d in digests} == {
        ("sms", "+447700900123", "sent")
    }
    told = sum(int(re.search(r"(\d+) messages? could", d.body).group(1)) for d in digests)
    assert told == len(failed)
    assert any("email is not working" in sms.body for sms in fake_twilio.messages)


def test_the_duty_mobile_must_be_a_uk_mobile(monkeypatch, tmp_path):
    from hub.config import from_environment

    monkeypatch.setenv("HUB_ALERT_SMS", "020 7946 0000")
    with pytest.raises(RuntimeError, match="HUB_ALERT_SMS"):
        from_environment(str(tmp_path))
    monkeypatch.setenv("HUB_ALERT_SMS", "07911 123456")
    assert from_environment(str(tmp_path))["HUB_ALERT_SMS"] == "+447911123456"


def test_every_kind_of_message_has_words_for_the_failure_alert(app):
    """An alert names the failed message in words, whatever kind it was (not its code)."""
    from notifications import kinds

    for kind in set(kinds.KINDS) - {"failed_digest"}:
        for channel in ("email", "sms"):
            words = kinds.failed_words(kind, channel, "An Agency", "A Referrer")
            assert kind not in words, words


def test_production_starts_with_only_a_secret_key_and_seals_with_a_key_from_it(
    monkeypatch, tmp_path
):
    """The contract asks production for ``SECRET_KEY`` alone: the outbox's key is derived from it
    unless ``HUB_OUTBOX_KEY`` is set, and a key of its own is used when it is."""
    from hub.config import from_environment

    monkeypatch.setenv("HUB_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "production-secret")
    monkeypatch.delenv("HUB_OUTBOX_KEY", raising=False)
    derived = from_environment(str(tmp_path))["HUB_OUTBOX_KEY"]
    assert derived and "production-secret" not in derived
    monkeypatch.setenv("HUB_OUTBOX_KEY", "an-outbox-key-of-its-own")
    assert from_environment(str(tmp_path))["HUB_OUTBOX_KEY"] == "an-outbox-key-of-its-own"
