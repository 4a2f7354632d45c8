"""Secrets at rest: a one-time code or signed link is sealed in the outbox, hidden on the
mailbox, and whole in the message that is sent."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text

from hub.auth import accounts
from hub.models import OutboxMessage
from hub.referrals import lifecycle
from notifications import dispatch, sealed
from notifications.messages import to_partners
from partners import links
from tests.factories import submit, user
from tests.smtp_support import html_of, text_of

pytestmark = pytest.mark.both_databases

FALLS_SMS = "+447911123107"
SIGNED_LINK = re.compile(r"http://hub\.test/partner/links/[A-Za-z0-9_.\-]+")


@pytest.fixture
def falls(db, demo_hub, now):
    """A falls referral forwarded to NHS falls prevention (no accounts: signed links), which
    has an SMS duty number, and a one-time code asked for."""
    accounts.find_organisation("nhs-falls-prevention").sms_number = FALLS_SMS
    referral = submit(user("frontline"), now, yes=("falls",)).referrals[0]
    lifecycle.forward_referral(referral, user("hub"), now)
    code_row, code = links.issue_code(referral, now)
    to_partners.partner_link_code(referral, code_row, code, now)
    db.session.commit()
    return referral, code, links.link_url(referral, now)


def stored_texts(db) -> dict[str, str]:
    """Every message's stored columns as the database holds them, read with plain SQL."""
    rows = db.session.execute(
        text("SELECT key, subject, body, html, secrets FROM outbox_message")
    ).all()
    return {row.key: " ".join(str(value) for value in row[1:]) for row in rows}


def test_codes_and_signed_links_are_not_readable_at_rest_yet_are_sent(
    app, db, client, sign_in_as, falls, now, smtp_server, fake_twilio
):
    referral, code, link = falls
    stored = stored_texts(db)
    assert {f"partner_link_code:{1}", f"referral_forwarded:{referral.id}"} <= set(stored)
    assert f"referral_forwarded_sms:{referral.id}" in stored
    for key, words in stored.items():
        assert code not in words, key
        assert "/partner/links/" not in words, key  # not the link, nor its token
    code_message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.kind == "partner_link_code")
    )
    assert sealed.placeholder("code") in code_message.body and code_message.secrets

    assert dispatch.dispatch_due(now)["sent"] >= 4
    sent_code = next(m for m in smtp_server.messages if "Your code" in m["Subject"])
    assert code in text_of(sent_code) and code in html_of(sent_code)
    sent_link = next(m for m in smtp_server.messages if "New SAIL referral" in m["Subject"])
    assert link in text_of(sent_link) and f'href="{link}"' in html_of(sent_link)
    (sms,) = [m for m in fake_twilio.messages if m.to == FALLS_SMS]
    assert link in sms.body
    # Sending wrote no secret back.
    for key, words in stored_texts(db).items():
        assert code not in words and "/partner/links/" not in words, key

    # The admins' mailbox says what is hidden, and shows the rest.
    app.config["SMTP_HOST"] = None
    app.config["TWILIO_ACCOUNT_SID"] = None
    db.session.execute(text("UPDATE outbox_message SET provider_id = 'log-' || id"))
    db.session.commit()
    sign_in_as("admin")
    page = client.get("/admin/mailbox").get_data(as_text=True)
    assert code not in page and "/partner/links/" not in page
    assert "[one-time code hidden]" in page and "[link hidden]" in page
    assert referral.reference in page


def test_a_secret_that_cannot_be_opened_fails_its_message(app, db, falls, now, smtp_server):
    app.config["HUB_OUTBOX_KEY"] = "another key altogether"
    dispatch.dispatch_due(now)
    failed = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "failed"))
    assert {m.kind for m in failed} == {"partner_link_code", "referral_forwarded"}
    assert all(not SIGNED_LINK.search(text_of(m)) for m in smtp_server.messages)


def test_upgrading_seals_the_secrets_of_messages_already_queued(tmp_path):
    """The migration that adds ``secrets`` seals the codes and links of rows already there, and
    dispatch opens them as it opens new ones."""
    from datetime import datetime

    from flask_migrate import upgrade

    from hub import create_app
    from hub.extensions import db as _db
    from tests.conftest import TEST_CONFIG

    link = "http://hub.test/partner/links/eyJhIjoxfQ.abc-DEF_12"
    app = create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "old.db")},
        instance_path=str(tmp_path / "instance"),
    )
    with app.app_context():
        upgrade(revision="0006")  # the outbox before secrets were sealed
        columns = "key, kind, channel, recipient, subject, body, html, status, attempts, "
        columns += "created_at, next_attempt_at"
        moment = datetime(2026, 3, 2, 9, 0)
        with _db.engine.begin() as connection:
            for key, kind, body, html in (
                ("c", "partner_link_code", "Your code is:\n\n482913\n\nIt lasts", "<p>482913</p>"),
                ("l", "referral_forwarded", f"Open it:\n{link}\n", f'<a href="{link}">Open</a>'),
            ):
                connection.execute(
                    text(
                        f"INSERT INTO outbox_message ({columns}) VALUES (:key, :kind, 'email', "
                        "'p@example.org', 'Subject', :body, :html, 'pending', 0, :at, :at)"
                    ),
                    {"key": key, "kind": kind, "body": body, "html": html, "at": moment},
                )
        upgrade()
        rows = {m.key: m for m in _db.session.scalars(select(OutboxMessage))}
        code, linked = rows["c"], rows["l"]
        assert "482913" not in code.body + code.html and code.secrets
        assert "/partner/links/" not in linked.body + linked.html and linked.secrets
        assert sealed.shown(code.body) == "Your code is:\n\n[one-time code hidden]\n\nIt lasts"
        assert "482913" in sealed.revealed(code).html
        assert sealed.revealed(linked).body == f"Open it:\n{link}\n"
        assert sealed.revealed(linked).html == f'<a href="{link}">Open</a>'
        _db.session.remove()
