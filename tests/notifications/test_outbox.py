"""The outbox and sending: messages are queued with the change that causes them, sent later
over real SMTP (aiosmtpd on loopback), retried with backoff, and never sent twice."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from hub.models import OutboxMessage
from hub.referrals import lifecycle
from notifications import channels, dispatch, outbox
from tests.factories import submit, user
from tests.smtp_support import html_of, text_of

# Claiming messages (FOR UPDATE SKIP LOCKED) and queueing each once (ON CONFLICT DO NOTHING).
pytestmark = pytest.mark.both_databases

CLIENT_DETAILS = ("Edna", "Clarke", "020 7946 0123", "7946 0123", "SW2 5SG", "Acre Lane", "1941")


def messages(db, **filters) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).filter_by(**filters)))


@pytest.fixture
def forwarded(db, demo_hub, now):
    """A questionnaire's smoke alarm flag (fire brigade: has accounts) and falls flag (NHS
    falls prevention: no accounts), both forwarded at ``now``."""
    submission = submit(user("frontline"), now, yes=("smoke_alarms", "falls"))
    smoke, falls = submission.referrals
    for referral in (smoke, falls):
        lifecycle.forward_referral(referral, user("hub"), now)
    # Only the two partner emails: the SMS and the referrer's email that forwarding also
    # queues are tests/test_messages_sent.py's.
    db.session.execute(delete(OutboxMessage).where(~OutboxMessage.key.like("referral_forwarded:%")))
    db.session.commit()
    return {"smoke": smoke, "falls": falls}


def test_forwarding_queues_one_email_in_the_same_transaction(db, demo_hub, now):
    smoke = submit(user("frontline"), now, yes=("smoke_alarms",)).referrals[0]
    db.session.commit()
    lifecycle.forward_referral(smoke, user("hub"), now)
    assert len(messages(db, kind="referral_forwarded", channel="email")) == 1
    db.session.rollback()  # the forward and its email go together
    assert messages(db) == []
    assert db.session.get(type(smoke), smoke.id).status == "received"

    lifecycle.forward_referral(smoke, user("hub"), now)
    db.session.commit()
    (message,) = messages(db, kind="referral_forwarded", channel="email")
    assert message.key == f"referral_forwarded:{smoke.id}"
    assert message.kind == "referral_forwarded"
    assert message.channel == "email"
    assert message.recipient == "referrals@lfb-home-fire-safety.example.org"
    assert message.status == "pending" and message.next_attempt_at == now
    assert message.referral_id == smoke.id


def test_the_same_key_never_queues_twice(db, forwarded, now):
    smoke = forwarded["smoke"]
    again = outbox.queue(
        key=f"referral_forwarded:{smoke.id}",
        kind="referral_forwarded",
        channel="email",
        recipient="someone@example.org",
        subject="Again",
        body="Again",
        now=now,
    )
    db.session.commit()
    assert again.recipient == "referrals@lfb-home-fire-safety.example.org"  # the first stands
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 2


def test_dispatch_sends_over_smtp_once_without_client_details(db, forwarded, now, smtp_server):
    smoke = forwarded["smoke"]
    summary = dispatch.dispatch_due(now)
    assert summary == {"sent": 2, "to retry": 0, "failed": 0}
    received = {m["To"]: m for m in smtp_server.messages}
    assert set(received) == {
        "referrals@lfb-home-fire-safety.example.org",
        "referrals@nhs-falls-prevention.example.org",
    }

    fire = received["referrals@lfb-home-fire-safety.example.org"]
    assert fire["Subject"] == f"New SAIL referral {smoke.reference}"
    assert fire["From"] == "sail-hub@hub.test"
    body = text_of(fire)
    assert smoke.reference in body
    # The fire brigade has accounts: the link is the portal page.
    assert f"http://hub.test/partner/referrals/{smoke.id}" in body
    assert "Would you like a free home fire safety visit" in body
    assert "16 March 2026 at 09:00" in body  # 14 days on, London time (GMT in March)
    falls_body = text_of(received["referrals@nhs-falls-prevention.example.org"])
    # NHS falls prevention has no accounts: a signed link.
    assert "http://hub.test/partner/links/" in falls_body
    for message in smtp_server.messages:
        for text in (text_of(message), html_of(message)):
            for detail in CLIENT_DETAILS:
                assert detail not in text

    for message in messages(db):
        assert message.status == "sent" and message.sent_at == now and message.attempts == 1
        assert message.provider_id.startswith("<") and message.provider_id.endswith(">")
    assert fire["Message-ID"] in {m.provider_id for m in messages(db)}

    assert dispatch.dispatch_due(now + timedelta(hours=1)) == {
        "sent": 0,
        "to retry": 0,
        "failed": 0,
    }
    assert len(smtp_server.messages) == 2


def test_smtp_down_is_retried_with_backoff_then_sent_once(db, forwarded, now, smtp_server):
    smtp_server.stop()
    # The first message finds the server down; the second is not tried, nor counted as tried.
    assert dispatch.dispatch_due(now) == {"sent": 0, "to retry": 1, "failed": 0, "not tried": 1}
    first, second = sorted(messages(db), key=lambda m: m.id)
    assert (first.status, first.attempts, second.status, second.attempts) == (
        "pending", 1, "pending", 0
    )  # fmt: skip
    assert {m.next_attempt_at for m in messages(db)} == {now + timedelta(minutes=1)}
    assert first.last_error and not second.last_error
    # Not due yet, and the channel is paused: nothing is tried.
    assert dispatch.dispatch_due(now + timedelta(seconds=30)) == {
        "sent": 0, "to retry": 0, "failed": 0, "channels paused": 1
    }  # fmt: skip

    later = now + timedelta(minutes=1)
    assert dispatch.dispatch_due(later)["to retry"] == 1
    # The second failure in a row pauses the channel 5 minutes; the message waits as long.
    assert {m.next_attempt_at for m in messages(db)} == {later + timedelta(minutes=5)}

    smtp_server.start()
    back = later + timedelta(minutes=5)
    assert dispatch.dispatch_due(back) == {"sent": 2, "to retry": 0, "failed": 0}
    assert dispatch.dispatch_due(back + timedelta(hours=1))["sent"] == 0
    assert len(smtp_server.messages) == 2
    assert sorted(m.attempts for m in messages(db)) == [1, 3]
    assert {m.status for m in messages(db)} == {"sent"}


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
@pytest.mark.committed  # the other connection locks a row the test wrote
def test_two_dispatchers_never_claim_the_same_message(db, forwarded, now):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite has one writer at a time")
    first, second = messages(db)
    with db.engine.connect() as other:  # another dispatcher, mid-claim on the first message
        other.execute(
            select(OutboxMessage.id).where(OutboxMessage.id == first.id).with_for_update()
        )
        claimed = dispatch.claim_due(now, limit=10)  # does not wait for it, does not take it
        assert [m.id for m in claimed] == [second.id]
        other.rollback()
    assert [m.id for m in dispatch.claim_due(now, limit=10)] == [first.id]


def test_backoff_grows_then_settles_at_six_hours():
    assert [dispatch.backoff(n) for n in range(1, 7)] == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=6),
        timedelta(hours=6),
    ]


def test_a_day_of_failures_marks_the_message_failed(db, forwarded, now, smtp_server):
    smtp_server.stop()
    moment = now
    while pending := messages(db, status="pending"):
        dispatch.dispatch_due(moment)
        moment = min(m.next_attempt_at for m in pending)
    failed = messages(db, kind="referral_forwarded")
    assert {m.status for m in failed} == {"failed"}
    # Each at its first try after a day, tried by itself or put back untried after another.
    for message in failed:
        assert now + timedelta(hours=24) <= message.failed_at <= now + timedelta(hours=30)
    tried = {m.id: m.attempts for m in messages(db, kind="referral_forwarded")}
    dispatch.dispatch_due(moment + timedelta(days=1))  # only hub staff's alerts are tried
    db.session.expire_all()
    assert {m.id: m.attempts for m in messages(db, kind="referral_forwarded")} == tried


def test_a_refused_recipient_fails_at_once(db, forwarded, now, smtp_server):
    smtp_server.mailbox.refuse.add("referrals@nhs-falls-prevention.example.org")
    assert dispatch.dispatch_due(now) == {"sent": 1, "to retry": 0, "failed": 1}
    (failed,) = messages(db, status="failed")
    assert failed.recipient == "referrals@nhs-falls-prevention.example.org"
    assert "550" in failed.last_error and failed.attempts == 1


def test_messages_stuck_sending_are_put_back(db, forwarded, now, smtp_server):
    claimed = dispatch.claim_due(now, limit=1)  # a dispatcher that died after claiming
    assert len(claimed) == 1 and claimed[0].status == "sending"
    assert dispatch.sweep_stuck(now + timedelta(minutes=9))["put back"] == 0
    # The other message is still pending; only the claimed one is stuck.
    assert dispatch.sweep_stuck(now + timedelta(minutes=10))["put back"] == 1
    assert {m.status for m in messages(db)} == {"pending"}
    assert dispatch.dispatch_due(now + timedelta(minutes=10))["sent"] == 2
    assert len(smtp_server.messages) == 2


def test_without_smtp_email_goes_to_the_log(app, db, forwarded, now, caplog, monkeypatch):
    app.config["SMTP_HOST"] = None
    # Alembic's logging setup (the migrations ran in this process) disables existing loggers.
    monkeypatch.setattr(logging.getLogger("notifications.channels"), "disabled", False)
    with caplog.at_level(logging.INFO, logger="notifications.channels"):
        assert dispatch.dispatch_due(now)["sent"] == 2
    assert {m.provider_id for m in messages(db)} == {f"log-{m.id}" for m in messages(db)}
    assert forwarded["smoke"].reference in caplog.text


def test_a_partner_without_an_email_gets_no_message(db, demo_hub, now):
    from hub.auth.accounts import find_organisation

    find_organisation("lfb-home-fire-safety").referral_email = None
    smoke = submit(user("frontline"), now, yes=("smoke_alarms",)).referrals[0]
    lifecycle.forward_referral(smoke, user("hub"), now)
    db.session.commit()
    assert smoke.status == "forwarded"
    assert messages(db, channel="email", kind="referral_forwarded") == []


def test_withdrawing_consent_tells_each_partner_that_had_the_referral(db, demo_hub, now):
    submission = submit(user("frontline"), now, yes=("smoke_alarms", "falls", "lonely"))
    smoke, falls, lonely = submission.referrals
    lifecycle.forward_referral(smoke, user("hub"), now)
    lifecycle.forward_referral(falls, user("hub"), now)
    db.session.commit()
    later = now + timedelta(days=1)
    cancelled = lifecycle.withdraw_consent(submission.client, user("hub"), later, "Phoned us")
    db.session.commit()
    assert {r.id for r in cancelled} == {smoke.id, falls.id, lonely.id}
    notices = messages(db, kind="referral_cancelled")
    assert {m.key for m in notices} == {
        f"referral_cancelled:{smoke.id}",
        f"referral_cancelled:{falls.id}",
    }  # the lonely flag never reached its partner
    for notice in notices:
        assert "do not contact the client" in notice.body
        assert notice.next_attempt_at == later
        for detail in CLIENT_DETAILS:
            assert detail not in notice.body and detail not in notice.html


def test_jobs_run_due_prints_what_it_did_and_is_idempotent(runner, forwarded, smtp_server):
    result = runner.invoke(args=["jobs", "run-due", "--now", "2026-03-02T09:00:00Z"])
    assert result.exit_code == 0, result.output
    # After 08:00 London the day's digests go too: one to each of the two agencies waiting.
    assert result.output.splitlines() == [
        "watch: 0 warned, 0 not forwarded in time, 0 chased, 0 escalated",
        "follow-ups due: 0 questionnaires due, 0 messages",
        "partner digests: 2 digests",
        "sweep: 0 put back, 0 receipts dropped",
        "failure digest: 0 failed for good, 0 digests",
        "dispatch email: 4 sent, 0 to retry, 0 failed",
        "dispatch sms: 0 sent, 0 to retry, 0 failed",
        "retention: 0 drafts deleted, 0 people anonymised",
        # The figures' counts for the questionnaire's UTC date: the two London days it can be.
        "figures: 2 days counted",
        "exports: 0 built, 0 expired",
    ]
    again = runner.invoke(args=["jobs", "run-due", "--now", "2026-03-02T09:00:00Z"])
    assert again.output.splitlines() == [
        "watch: 0 warned, 0 not forwarded in time, 0 chased, 0 escalated",
        "follow-ups due: 0 questionnaires due, 0 messages",
        "partner digests: 0 digests",
        "sweep: 0 put back, 0 receipts dropped",
        "failure digest: 0 failed for good, 0 digests",
        "dispatch email: 0 sent, 0 to retry, 0 failed",
        "dispatch sms: 0 sent, 0 to retry, 0 failed",
        "retention: 0 drafts deleted, 0 people anonymised",
        "figures: 0 days counted",
        "exports: 0 built, 0 expired",
    ]
    assert len(smtp_server.messages) == 4


def test_jobs_run_due_refuses_a_bad_time(runner):
    result = runner.invoke(args=["jobs", "run-due", "--now", "next tuesday"])
    assert result.exit_code == 2
    assert "not an ISO 8601 time" in result.output


def queue_emails(db, now, count: int) -> None:
    for number in range(count):
        outbox.queue(
            key=f"group:{number}",
            kind="referral_forwarded",
            channel="email",
            recipient=f"p{number}@example.org",
            subject="Referral forwarded",
            body="Body",
            now=now,
        )
    db.session.commit()


def test_results_are_recorded_in_groups_with_no_transaction_open_during_a_send(
    app, db, now, monkeypatch
):
    app.config["SMTP_HOST"] = None  # the log channel
    queue_emails(db, now, 5)
    monkeypatch.setattr(dispatch, "RECORD_EVERY", 2)
    seen = []  # at each send: a transaction open?, and how many recorded as sent so far
    send = channels.LogChannel.send

    def watched(channel, message):
        open_now = db.session().in_transaction()
        recorded = db.session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.status == "sent")
        )
        db.session.rollback()  # the count above is ours, not dispatch's
        seen.append((open_now, recorded))
        return send(channel, message)

    monkeypatch.setattr(channels.LogChannel, "send", watched)
    assert dispatch.dispatch_due(now) == {"sent": 5, "to retry": 0, "failed": 0}
    # Committed two at a time, the last one at the end; never a transaction during a send.
    assert seen == [(False, 0), (False, 0), (False, 2), (False, 2), (False, 4)]
    assert {m.status for m in messages(db)} == {"sent"}


def test_an_interrupted_batch_records_what_it_sent(app, db, now, monkeypatch):
    app.config["SMTP_HOST"] = None
    queue_emails(db, now, 4)
    send = channels.LogChannel.send
    calls = []

    def dies_on_the_third(channel, message):
        calls.append(message.id)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return send(channel, message)

    monkeypatch.setattr(channels.LogChannel, "send", dies_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        dispatch.dispatch_due(now)
    statuses = {m.key: m.status for m in messages(db)}
    assert statuses == {
        "group:0": "sent",
        "group:1": "sent",
        "group:2": "sending",  # claimed, never recorded: the sweeper puts them back
        "group:3": "sending",
    }
