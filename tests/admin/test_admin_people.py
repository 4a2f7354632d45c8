"""``/admin/people``: an admin finds a person by reference or by name and date of birth, exports
everything held about them (a page and JSON), and erases them on request after confirming."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.audit import AuditEvent
from hub.models import Client
from hub.referrals import lifecycle
from tests.factories import submit, user
from tests.support import page_text


@pytest.fixture
def edna(db, demo_hub, now):
    submission = submit(user("frontline"), now, yes=("smoke_alarms",))
    db.session.commit()
    return submission


@pytest.mark.parametrize("role", ["frontline", "hub", "partner", "manager"])
def test_only_admins_reach_the_people_pages(client, sign_in_as, edna, role):
    sign_in_as(role)
    for path in (
        "/admin/people",
        f"/admin/people/{edna.client_id}/export",
        f"/admin/people/{edna.client_id}/export.json",
        f"/admin/people/{edna.client_id}/erase",
    ):
        assert client.get(path).status_code == 403, path


def test_finds_by_reference_and_lists_the_same_person(client, sign_in_as, edna, db, now):
    again = submit(user("frontline"), now, yes=("falls",))  # the same name and date of birth
    other = submit(user("frontline"), now, given_name="Mabel")
    db.session.commit()
    sign_in_as("admin")
    found = page_text(client.get(f"/admin/people?reference={edna.referrals[0].reference}"))
    assert "2 records found" in found
    assert edna.reference in found and again.reference in found
    assert other.reference not in found


def test_finds_by_name_and_date_of_birth(client, sign_in_as, edna):
    sign_in_as("admin")
    response = client.get(
        "/admin/people?given_name=edna&family_name=CLARKE&dob-day=17&dob-month=5&dob-year=1941"
    )
    assert "1 record found" in page_text(response)
    wrong = client.get("/admin/people?given_name=Edna&family_name=Clarke&dob-day=31&dob-month=2")
    assert wrong.status_code == 422
    assert "Enter a real date of birth" in page_text(wrong)


def test_export_page_and_json_show_everything_and_are_recorded(client, sign_in_as, edna, db):
    sign_in_as("admin")
    shown = page_text(client.get(f"/admin/people/{edna.client_id}/export"))
    assert "Clarke" in shown and "12 Acre Lane" in shown and edna.referrals[0].reference in shown
    response = client.get(f"/admin/people/{edna.client_id}/export.json")
    assert response.json["details"]["postcode"] == "SW2 5SG"
    assert response.headers["Cache-Control"] == "no-store"
    exported = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "person_exported"))
    assert [(e.actor, e.person_id) for e in exported] == [
        ("admin@demo.sail.example", edna.client_id)
    ] * 2
    assert client.get("/admin/people/99999/export").status_code == 404


def test_erasure_asks_a_reason_then_confirmation(client, sign_in_as, edna, db, now):
    lifecycle.forward_referral(edna.referrals[0], user("hub"), now)
    db.session.commit()
    sign_in_as("admin")
    path = f"/admin/people/{edna.client_id}/erase"
    assert "1 open referral" in page_text(client.get(path))

    blank = client.post(path, data={"reason": "  "})
    assert blank.status_code == 422
    assert "Enter the reason" in page_text(blank)

    asked = client.post(path, data={"reason": "Asked by phone"})
    assert "Are you sure you want to erase Edna Clarke" in page_text(asked)
    db.session.expire_all()
    assert db.session.get(Client, edna.client_id).anonymised_at is None

    done = client.post(path, data={"reason": "Asked by phone", "confirmed": "yes"})
    assert done.status_code == 302
    db.session.expire_all()
    erased = db.session.get(Client, edna.client_id)
    assert erased.anonymised_at is not None and erased.family_name == "[removed]"
    assert edna.referrals[0].status == "cancelled"
    assert "already been removed" in page_text(client.get(path))
