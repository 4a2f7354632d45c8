"""The audit trail: every view of a person's details and every export is recorded, one event
per request, and admins (only) read it at ``/admin/audit`` with filters and pages."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hub import audit
from hub.audit import AuditEvent
from hub.clock import utcnow
from hub.extensions import db
from hub.figures import exports
from hub.figures.filters import Filters
from hub.referrals import lifecycle
from tests.api_support import get
from tests.factories import submit, user
from tests.support import page_text


def events() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def only_view(actor_email: str, where: str, reference: str, client_id: int) -> None:
    found = events()
    assert len(found) == 1, [(e.action, e.details) for e in found]
    event = found[0]
    assert (event.actor, event.action, event.subject, event.person_id) == (
        actor_email,
        "viewed_person",
        reference,
        client_id,
    )
    assert event.details == {"where": where}


def test_the_hub_referral_page_records_one_view(client, sign_in_as, referral):
    hub = sign_in_as("hub")
    assert client.get(f"/hub/referrals/{referral.id}").status_code == 200
    only_view(hub.email, "hub referral page", referral.reference, referral.submission.client_id)


def test_a_page_not_shown_records_nothing(client, sign_in_as, referral):
    sign_in_as("partner")  # not forwarded to it: not found
    assert client.get(f"/partner/referrals/{referral.id}").status_code == 404
    sign_in_as("frontline")
    assert client.get(f"/hub/referrals/{referral.id}").status_code == 403
    assert events() == []


def test_the_partner_page_records_one_view(client, sign_in_as, referral):
    lifecycle.forward_referral(referral, user("hub"), utcnow() - timedelta(hours=1))
    db.session.commit()
    partner = sign_in_as("partner")
    assert client.get(f"/partner/referrals/{referral.id}").status_code == 200
    only_view(
        partner.email, "partner referral page", referral.reference, referral.submission.client_id
    )


def test_the_follow_up_page_records_one_view(client, sign_in_as, referral):
    hub = sign_in_as("hub")
    submission = referral.submission
    assert client.get(f"/hub/follow-ups/{submission.id}").status_code == 200
    only_view(hub.email, "follow-up page", submission.reference, submission.client_id)


def test_the_referrers_page_records_one_view(client, sign_in_as, referral):
    frontline = sign_in_as("frontline")
    submission = referral.submission
    assert client.get(f"/questionnaires/submitted/{submission.id}").status_code == 200
    only_view(
        frontline.email, "referrer's questionnaire page", submission.reference,
        submission.client_id,
    )  # fmt: skip


def test_the_api_records_one_view_per_get(client, referral, now):
    response = get(client, f"/api/v1/referrals/{referral.id}", "hub", now)
    assert response.status_code == 200
    only_view(
        "hub@demo.sail.example", "GET /api/v1/referrals/{id}", referral.reference,
        referral.submission.client_id,
    )  # fmt: skip
    submission = referral.submission
    response = get(client, f"/api/v1/submissions/{submission.id}", "frontline", now)
    assert response.status_code == 200
    last = events()[-1]
    assert (last.actor, last.subject, last.details) == (
        "frontline@demo.sail.example",
        submission.reference,
        {"where": "GET /api/v1/submissions/{id}"},
    )


def test_an_export_is_recorded_in_the_trail_too(demo_hub, now):
    period = Filters(start=now.date() - timedelta(days=30), end=now.date())
    exports.record_export(user("manager"), "referrals", "csv", period, 4, now)
    (event,) = events()
    assert (event.action, event.actor, event.subject) == (
        "exported",
        "manager@demo.sail.example",
        "referrals as csv",
    )
    assert event.details["rows"] == 4


@pytest.mark.parametrize("role", ["hub", "manager", "partner", "frontline"])
def test_only_admins_see_the_audit_trail(client, sign_in_as, role):
    sign_in_as(role)
    assert client.get("/admin/audit").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, demo_hub):
    response = client.get("/admin/audit")
    assert response.status_code == 302 and "/login" in response.location


@pytest.fixture
def trail(demo_hub, now):
    """Events over three days: views by hub staff and a partner, and account changes."""
    hub, partner = user("hub"), user("partner")
    first = submit(user("frontline"), now, yes=("smoke_alarms",))
    second = submit(user("frontline"), now, yes=("falls",), given_name="Other")
    audit.record(None, "user_deactivated", now - timedelta(days=2), subject="gone@example.org")
    for actor, when, submission in ((hub, now - timedelta(days=1), first), (partner, now, second)):
        person, reference = submission.client_id, submission.referrals[0].reference
        audit.record(actor, "viewed_person", when, person_id=person, subject=reference)
    db.session.commit()
    return {"first": first, "second": second}


def test_admins_see_events_newest_first_and_filter_them(client, sign_in_as, trail):
    sign_in_as("admin")
    text = page_text(client.get("/admin/audit"))
    assert "Audit trail" in text
    text = text.split("Newest first. Times are UK time.")[-1]  # the table
    partner_at = text.index("partner@demo.sail.example")
    hub_at = text.index("hub@demo.sail.example")
    cli_at = text.index("command line")
    assert partner_at < hub_at < cli_at  # newest first
    assert "Showing 1 to 3 of 3 events" in text

    by_who = page_text(client.get("/admin/audit?who=HUB@demo"))
    assert "hub@demo.sail.example" in by_who and "partner@demo" not in by_who
    by_action = page_text(client.get("/admin/audit?action=user_deactivated"))
    assert "gone@example.org" in by_action and "hub@demo" not in by_action
    # A person by any of their references: the questionnaire's finds the referral's view.
    first = trail["first"]
    by_person = page_text(client.get(f"/admin/audit?person={first.reference.lower()}"))
    assert "hub@demo.sail.example" in by_person and "partner@demo" not in by_person
    by_client = page_text(client.get(f"/admin/audit?person={trail['second'].client_id}"))
    assert "partner@demo.sail.example" in by_client and "hub@demo" not in by_client
    by_dates = page_text(client.get("/admin/audit?start=2026-02-28&end=2026-03-01"))
    assert "Showing 1 to 2 of 2 events" in by_dates and "partner@demo" not in by_dates


def test_a_bad_date_is_shown_as_an_error_and_ignored(client, sign_in_as, trail):
    sign_in_as("admin")
    response = client.get("/admin/audit?start=yesterday")
    assert response.status_code == 200
    text = page_text(response)
    assert "From must be a date like 2026-03-02" in text
    assert "Showing 1 to 3 of 3 events" in text


def test_the_trail_is_paged(client, sign_in_as, demo_hub, now):
    for minute in range(audit.PAGE_SIZE + 1):
        audit.record(None, "tokens_revoked", now + timedelta(minutes=minute), subject=f"u{minute}")
    db.session.commit()
    sign_in_as("admin")
    second = page_text(client.get("/admin/audit?action=tokens_revoked&page=2"))
    assert f"Showing {audit.PAGE_SIZE + 1} to {audit.PAGE_SIZE + 1}" in second
    assert " u0 " in f" {second} "
    assert client.get("/admin/audit?page=3").status_code == 404
    count = db.session.scalar(select(func.count(AuditEvent.id)))
    assert count == audit.PAGE_SIZE + 1


def test_an_area_and_an_organisation_of_one_slug_each_show_only_their_own_history(db, now):
    from hub import areas
    from hub.admin import organisations

    area = areas.create_area("croydon", "Croydon", "CR0", None, now)
    organisation = organisations.add("Croydon", None, now)
    assert organisation.slug == "croydon"
    assert [event.action for event in areas.history(area)] == ["area_created"]
    assert [event.action for event in organisations.history(organisation)] == ["organisation_added"]
