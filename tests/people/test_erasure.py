"""Subject access and erasure on request (``hub.people``), from the CLI."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from hub.audit import CLI, AuditEvent
from hub.models import Client, OutboxMessage
from hub.people import anonymise
from hub.referrals import lifecycle
from tests.factories import submit, user


def test_export_writes_everything_held_and_is_recorded(db, demo_hub, runner, now):
    submission = submit(user("frontline"), now, yes=("smoke_alarms",))
    db.session.commit()
    result = runner.invoke(args=["people", "export", str(submission.client_id)])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["details"]["family_name"] == "Clarke"
    assert record["details"]["date_of_birth"] == "1941-05-17"
    [questionnaire] = record["questionnaires"]
    assert questionnaire["reference"] == submission.reference
    assert [r["reference"] for r in questionnaire["referrals"]] == [
        submission.referrals[0].reference
    ]
    recorded = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "person_exported"))
    assert [(event.actor, event.person_id) for event in recorded] == [(CLI, submission.client_id)]


def test_export_of_an_unknown_client_says_so(db, runner):
    result = runner.invoke(args=["people", "export", "999"])
    assert result.exit_code != 0
    assert "No client with id 999" in result.output


def test_erasure_cancels_open_referrals_then_removes_the_details(db, demo_hub, runner, now):
    submission = submit(user("frontline"), now, yes=("smoke_alarms", "falls"))
    fire, falls = submission.referrals
    lifecycle.forward_referral(fire, user("hub"), now)
    lifecycle.forward_referral(falls, user("hub"), now)
    lifecycle.record_contact(falls, None, now + timedelta(days=1))
    lifecycle.close_referral(falls, None, now + timedelta(days=2), "service_provided", "Edna ok")
    db.session.commit()
    client_id = submission.client_id

    result = runner.invoke(
        args=["people", "erase", str(client_id), "--reason", "Asked by letter, 1 Dec"]
    )
    assert result.exit_code == 0, result.output
    assert "cancelled 1 open referral" in result.output
    db.session.expire_all()
    assert (fire.status, falls.status) == ("cancelled", "closed")
    client = db.session.get(Client, client_id)
    assert client.anonymised_at is not None
    assert (client.given_name, client.phone, client.postcode) == ("[removed]", None, "SW2")
    assert client.date_of_birth.year != 1941 or client.date_of_birth.month != 5
    # The partner that had the referral is told to stop (a reference, no details).
    told = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.key == f"referral_cancelled:{fire.id}")
    )
    assert told is not None and told.status == "pending"
    # Recorded in the audit trail (which outlives the details), not on the referrals' history.
    erased = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "person_erased"))
    assert [event.details for event in erased] == [{"reason": "Asked by letter, 1 Dec"}]
    assert all("Edna" not in json.dumps(event.details) for event in fire.events + falls.events)


def test_erasure_needs_a_reason_and_changes_nothing_without_one(db, demo_hub, runner, now):
    submission = submit(user("frontline"), now)
    db.session.commit()
    result = runner.invoke(args=["people", "erase", str(submission.client_id), "--reason", "  "])
    assert result.exit_code != 0
    assert "Enter the reason" in result.output
    db.session.expire_all()
    assert db.session.get(Client, submission.client_id).anonymised_at is None
    assert all(referral.status == "received" for referral in submission.referrals)


def test_erasure_keeps_the_figures(db, demo_hub, now):
    from hub.figures import report
    from hub.figures.filters import Filters

    submission = submit(user("frontline"), now - timedelta(days=40), yes=("smoke_alarms",))
    [fire] = submission.referrals
    lifecycle.forward_referral(fire, user("hub"), now - timedelta(days=39))
    lifecycle.record_contact(fire, None, now - timedelta(days=38))
    lifecycle.close_referral(fire, None, now - timedelta(days=37), "service_provided", None)
    db.session.commit()
    period = Filters((now - timedelta(days=60)).date(), now.date())
    before = report.figures(db.session, period, now)
    anonymise.erase(submission.client, user("admin"), now, "Asked")
    db.session.commit()
    assert report.figures(db.session, period, now) == before
