"""The admin's message texts and development mailbox, and the Messages section of the hub's
referral page: who may see them, what they show, and that a referral shows only its own."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import event

from hub.admin.message_words import audience_words
from hub.clock import utcnow
from hub.extensions import db as _db
from hub.models import OutboxMessage
from hub.referrals import lifecycle
from notifications import dispatch, kinds, outbox
from notifications.messages import previews
from tests.factories import submit, user
from tests.support import page_text

ADMIN_PAGES = ("/admin/messages", "/admin/mailbox")


def without_credentials(app) -> None:
    app.config.update(
        SMTP_HOST=None, TWILIO_ACCOUNT_SID=None, TWILIO_AUTH_TOKEN=None, TWILIO_FROM_NUMBER=None
    )


def queue(db, now, key: str, channel: str = "email", referral_id=None, **fields):
    values = {
        "kind": "referral_forwarded",
        "recipient": "referrals@example.org" if channel == "email" else "+447700900123",
        "subject": f"Subject {key}" if channel == "email" else None,
        "body": f"Body of {key}",
        **fields,
    }
    message = outbox.queue(key=key, channel=channel, referral_id=referral_id, now=now, **values)
    db.session.commit()
    return message


# --- Who may see the admin pages ---------------------------------------------------------------


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, demo_hub, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["frontline", "hub", "partner", "manager"])
def test_only_admins_may_open_the_admin_pages(client, sign_in_as, role):
    sign_in_as(role)
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 403, path
    assert "Message texts" not in page_text(client.get("/", follow_redirects=True))


def test_an_admin_opens_both_from_the_admin_index(client, sign_in_as):
    sign_in_as("admin")
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert 'href="/admin"' in home
    index = client.get("/admin").get_data(as_text=True)
    assert 'href="/admin/messages"' in index and 'href="/admin/mailbox"' in index
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 200, path


# --- Message texts ------------------------------------------------------------------------------


def test_the_message_texts_show_every_preview(app, client, sign_in_as):
    sign_in_as("admin")
    response = client.get("/admin/messages")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = page_text(response)
    assert "samples with made-up references" in text
    assert "never a client’s name" in text
    with app.app_context():
        shown = previews.previews()
    assert shown
    for preview in shown:
        assert str(escape(kinds.about(preview.kind))) in html, preview.kind
        assert str(escape(preview.audience)) in html, preview.kind
        assert str(escape(preview.when)) in html, preview.kind
        if preview.subject:
            assert str(escape(preview.subject)) in html, preview.kind
        assert f'<pre class="govuk-body hub-message-text">{escape(preview.body)}</pre>' in html
        if preview.html:
            # In a sandbox that runs no script, escaped into its srcdoc.
            assert f'sandbox="" loading="lazy" srcdoc="{escape(preview.html)}"' in html


def test_every_kind_has_words_and_an_unknown_kind_keeps_its_name():
    for kind in (
        "referral_forwarded",
        "referral_cancelled",
        "partner_link_code",
        "referrer_forwarded",
        "referrer_all_closed",
        "client_forwarded",
        "failed_digest",
    ):
        assert kind in kinds.KINDS and kinds.about(kind) != kind
    # An old row of the alert the failure digest replaced is still named in words.
    assert kinds.about("message_failed") != "message_failed"
    assert kinds.about("something_new") == "something_new"
    assert audience_words("referral_forwarded", "sms") == "Partner agency by SMS"
    assert audience_words("referrer_forwarded", "email") == "Referrer by email"
    assert audience_words("message_failed", "email") == "Hub staff by email"
    assert audience_words("failed_digest", "sms") == "Hub staff by SMS"
    assert audience_words("client_forwarded", "sms") == "Client by SMS"


# --- The development mailbox ---------------------------------------------------------------------


def test_the_mailbox_shows_log_channel_messages_and_not_real_ones(
    app, client, db, sign_in_as, now, smtp_server
):
    sign_in_as("admin")
    smtp_host = app.config["SMTP_HOST"]
    without_credentials(app)
    queue(db, now, "to-the-log", kind="referrer_all_closed", recipient="referrer@example.org")
    queue(db, now, "sms-to-the-log", channel="sms", body="Text to the log")
    assert dispatch.dispatch_due(now)["sent"] == 2

    text = page_text(client.get("/admin/mailbox"))
    assert "is live" not in text and "are live" not in text

    app.config["SMTP_HOST"] = smtp_host
    queue(db, now + timedelta(minutes=1), "over-smtp")
    assert dispatch.dispatch_due(now + timedelta(minutes=1))["sent"] == 1
    assert len(smtp_server.messages) == 1

    response = client.get("/admin/mailbox")
    assert response.status_code == 200
    text = page_text(response)
    assert "Subject to-the-log" in text and "Body of to-the-log" in text
    assert "referrer@example.org" in text
    assert "All referrals closed" in text and "Referrer by email" in text
    assert "Text to the log" in text and "Partner agency by SMS" in text
    assert "Subject over-smtp" not in text and "Body of over-smtp" not in text
    assert "Email is live" in text
    assert "Only messages sent without credentials appear here" in text
    assert "2 Mar 2026, 09:00" in text  # UK time (GMT in March)


def test_an_empty_mailbox_says_so(app, client, sign_in_as):
    without_credentials(app)
    sign_in_as("admin")
    text = page_text(client.get("/admin/mailbox"))
    assert "The mailbox is empty" in text
    assert "is live" not in text


def test_the_mailbox_shows_25_a_page_newest_first(app, client, db, sign_in_as, now):
    without_credentials(app)
    sign_in_as("admin")
    for number in range(1, 31):
        queue(db, now, f"message-{number:02}")
    assert dispatch.dispatch_due(now)["sent"] == 30

    first = client.get("/admin/mailbox")
    shown = re.findall(r">Subject message-(\d\d)</h2>", first.get_data(as_text=True))
    assert shown == [f"{n:02}" for n in range(30, 5, -1)]
    assert "Showing 1 to 25 of 30 messages" in page_text(first)
    assert 'href="/admin/mailbox?page=2"' in first.get_data(as_text=True)

    second = client.get("/admin/mailbox?page=2")
    shown = re.findall(r">Subject message-(\d\d)</h2>", second.get_data(as_text=True))
    assert shown == ["05", "04", "03", "02", "01"]
    assert client.get("/admin/mailbox?page=3").status_code == 404


def shown_subjects(response) -> list[str]:
    body = response.get_data(as_text=True)
    return re.findall(r'margin-bottom-2">(?:Subject )?([^<>]+)</h2>', body)


@pytest.fixture
def mixed_mailbox(app, db, now):
    """Four messages to the log: two emails about a forwarded referral (one to the LFB, one to
    Age UK, which was later marked delivered), an SMS about one, and an email to a referrer."""
    without_credentials(app)
    queue(db, now, "lfb-email", recipient="Referrals@LFB.example.org")
    queue(db, now, "ageuk-email", recipient="duty@ageuk.example.org")
    queue(db, now, "lfb-sms", channel="sms", body="Text to the LFB")
    queue(db, now, "referrer", kind="referrer_all_closed", recipient="worker@council.example.org")
    assert dispatch.dispatch_due(now)["sent"] == 4
    delivered = db.session.scalar(
        _db.select(OutboxMessage).where(OutboxMessage.key == "ageuk-email")
    )
    delivered.status = "delivered"
    db.session.commit()


def test_the_mailbox_filters_by_kind_channel_status_and_recipient(
    client, sign_in_as, mixed_mailbox
):
    sign_in_as("admin")
    everything = client.get("/admin/mailbox")
    assert "Showing 1 to 4 of 4 messages" in page_text(everything)

    by_kind = client.get("/admin/mailbox?kind=referrer_all_closed")
    assert shown_subjects(by_kind) == ["referrer"]
    assert '<option value="referrer_all_closed" selected>' in by_kind.get_data(as_text=True)
    by_channel = page_text(client.get("/admin/mailbox?channel=sms"))
    assert "Showing 1 to 1 of 1 messages" in by_channel and "Text to the LFB" in by_channel
    by_status = client.get("/admin/mailbox?status=Delivered")
    assert shown_subjects(by_status) == ["ageuk-email"]
    # Part of the address, in any case; the typed text comes back.
    by_recipient = client.get("/admin/mailbox?recipient=lfb.EXAMPLE")
    assert shown_subjects(by_recipient) == ["lfb-email"]
    assert 'value="lfb.EXAMPLE"' in by_recipient.get_data(as_text=True)
    together = page_text(client.get("/admin/mailbox?channel=email&status=Sent&recipient=example"))
    assert "Showing 1 to 2 of 2 messages" in together

    none = page_text(client.get("/admin/mailbox?recipient=nobody%25"))
    assert "No message in the mailbox matches these filters" in none
    assert "The mailbox is empty" not in none


def test_each_message_text_is_folded_away(client, sign_in_as, mixed_mailbox):
    sign_in_as("admin")
    body = client.get("/admin/mailbox?channel=sms").get_data(as_text=True)
    details = body[body.index('<details class="govuk-details') : body.index("</details>")]
    assert "Message text" in details and "Text to the LFB" in details
    assert "<details" in body and " open" not in details.split(">", 1)[0]


def test_a_filter_not_in_the_list_is_an_error_and_shows_everything(
    client, sign_in_as, mixed_mailbox
):
    sign_in_as("admin")
    response = client.get("/admin/mailbox?kind=nonsense&channel=fax")
    assert response.status_code == 200
    text = page_text(response)
    assert "There is a problem" in text
    assert "Select what the message is about from the list" in text
    assert "Select email or SMS" in text
    assert "Showing 1 to 4 of 4 messages" in text
    assert "<title>Error: " in response.get_data(as_text=True)


def test_the_page_links_keep_the_filters(app, client, db, sign_in_as, now):
    without_credentials(app)
    sign_in_as("admin")
    for number in range(1, 31):
        queue(db, now, f"message-{number:02}", recipient=f"r{number}@example.org")
    queue(db, now, "sms", channel="sms")
    assert dispatch.dispatch_due(now)["sent"] == 31
    first = client.get("/admin/mailbox?channel=email&recipient=example")
    body = first.get_data(as_text=True)
    assert "Showing 1 to 25 of 30 messages" in page_text(first)
    assert 'href="/admin/mailbox?page=2&amp;channel=email&amp;recipient=example"' in body
    second = client.get("/admin/mailbox?page=2&channel=email&recipient=example")
    assert "Showing 26 to 30 of 30 messages" in page_text(second)


# --- Messages on the hub's referral page --------------------------------------------------------


@pytest.fixture
def forwarded(db, demo_hub):
    """A smoke alarm referral forwarded an hour ago (its partner's email queued), and another
    referral of the same questionnaire with a message of its own."""
    past = utcnow() - timedelta(hours=3)
    smoke, falls = submit(user("frontline"), past, yes=("smoke_alarms", "falls")).referrals
    lifecycle.forward_referral(smoke, user("hub"), past + timedelta(hours=1))
    db.session.commit()
    queue(
        db,
        past,
        "falls-only",
        referral_id=falls.id,
        kind="referral_cancelled",
        recipient="falls-only@example.org",
    )
    return smoke, falls


def set_state(db, message, **fields) -> None:
    row = db.session.get(OutboxMessage, message.id)
    for name, value in fields.items():
        setattr(row, name, value)
    db.session.commit()


def message_rows(response) -> list[str]:
    """The text of each row of the page's Messages table, in order."""
    html = response.get_data(as_text=True)
    region = html[html.index('aria-label="Messages, oldest first"') :]
    region = region[region.index("<tbody") : region.index("</tbody>")]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", region, flags=re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]


def test_the_referral_page_lists_its_messages_oldest_first(client, db, sign_in_as, forwarded):
    smoke, _ = forwarded
    later = utcnow() - timedelta(hours=1)
    sms = queue(db, later, "sms-fails", channel="sms", referral_id=smoke.id, recipient="+1")
    set_state(db, sms, status="failed", attempts=1, last_error="Twilio error 30003: undelivered")
    retry = queue(
        db, later + timedelta(minutes=5), "retrying", referral_id=smoke.id, recipient="retry@x.org"
    )
    set_state(db, retry, attempts=2, last_error="SMTP 451: try later")
    delivered = queue(
        db,
        later + timedelta(minutes=10),
        "delivered",
        referral_id=smoke.id,
        kind="odd_kind",
        recipient="delivered@x.org",
    )
    set_state(db, delivered, status="delivered", attempts=1, sent_at=later)

    sign_in_as("hub")
    response = client.get(f"/hub/referrals/{smoke.id}")
    assert response.status_code == 200
    rows = message_rows(response)
    # The partner's forwarding email, queued when it was forwarded two hours ago, comes first.
    (forwarding,) = [row for row in rows if "referrals@lfb-home-fire-safety.example.org" in row]
    assert rows.index(forwarding) < len(rows) - 3
    assert "Partner agency by email referrals@lfb-home-fire-safety.example.org" in forwarding
    assert "New referral for the partner" in forwarding and "Waiting to send" in forwarding
    failed, retrying, done = rows[-3:]
    assert "Partner agency by SMS +1" in failed and "Failed" in failed
    assert "Last error: Twilio error 30003: undelivered" in failed
    assert "retry@x.org" in retrying and "Waiting to send" in retrying
    assert "Will be tried again" in retrying and "Last error: SMTP 451: try later" in retrying
    assert "delivered@x.org" in done and "Delivered" in done
    assert "odd_kind" in done  # a kind without words keeps its name
    assert "Last error" not in forwarding + done
    assert 'govuk-tag govuk-tag--red">Failed<' in response.get_data(as_text=True)
    # the other referral's message is on its own page only
    assert "falls-only@example.org" not in page_text(response)
    assert not any("Referral cancelled" in row for row in rows)


def test_a_referral_without_messages_says_so(client, db, sign_in_as, forwarded):
    _, falls = forwarded
    other = submit(user("frontline"), utcnow(), yes=("lonely",)).referrals[0]
    db.session.commit()
    sign_in_as("manager")
    assert "Messages No messages yet" in page_text(client.get(f"/hub/referrals/{other.id}"))
    text = page_text(client.get(f"/hub/referrals/{falls.id}"))
    assert "falls-only@example.org" in text and "Referral cancelled: stop work" in text


def statements_for(client, path: str) -> list[str]:
    """The SQL statements one request runs."""
    seen = []

    def count(_connection, _cursor, statement, *_):
        seen.append(statement)

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return seen


def outbox_reads(statements: list[str]) -> int:
    """Statements that read the outbox (not the ones a new pooled connection runs first)."""
    return sum("outbox_message" in statement for statement in statements)


def test_the_messages_cost_one_query_however_many(client, db, sign_in_as, forwarded):
    smoke, _ = forwarded
    sign_in_as("hub")
    path = f"/hub/referrals/{smoke.id}"
    assert outbox_reads(statements_for(client, path)) == 1
    for number in range(6):
        queue(db, utcnow(), f"more-{number}", referral_id=smoke.id)
    assert outbox_reads(statements_for(client, path)) == 1
