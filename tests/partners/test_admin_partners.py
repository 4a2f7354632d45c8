"""Admins manage partner agencies on ``/admin/partners`` and through ``/api/v1/admin/partners``:
add, change, pause and resume, with the same checks, each change in the audit trail with the
fields before and after, and shown as the partner's history."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub import areas as hub_areas
from hub.audit import AuditEvent
from tests.api_support import bearer
from tests.support import fresh, page_text, partner


@pytest.fixture
def areas(db, now):
    """Lambeth and Southwark: the demo hub's areas (``hub.areas``), made here without it."""
    hub_areas.ensure_demo_areas(now)
    db.session.commit()


def events(db, action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


FORM = {
    "name": "Nunhead Knitting Circle",
    "description": "A weekly circle.",
    "referral_email": "circle@example.org",
    "sms_number": "07911 123456",
    "sms_private": "yes",
    "url": "",
    "areas": ["southwark"],
    "taking_referrals": "yes",
    "active": "yes",
}


@pytest.mark.parametrize("role", ["frontline", "hub", "partner", "manager"])
def test_only_admins_reach_the_partner_pages(client, sign_in_as, role):
    sign_in_as(role)
    for path in (
        "/admin/partners",
        "/admin/partners/new",
        "/admin/partners/lfb-home-fire-safety",
        "/admin/partners/lfb-home-fire-safety/edit",
    ):
        assert client.get(path).status_code == 403, path
    assert client.post("/admin/partners/lfb-home-fire-safety/taking-referrals").status_code == 403


def test_the_list_shows_each_partner_taking_referrals_or_paused(client, sign_in_as, db, now):
    fire = partner("lfb-home-fire-safety")
    fire.taking_referrals = False
    db.session.commit()
    sign_in_as("admin")
    shown = page_text(client.get("/admin/partners"))
    assert "22 agencies" in shown
    assert "London Fire Brigade – Home Fire Safety Visits Paused Active" in shown
    assert "NHS Memory Service Taking referrals Active" in shown


def test_an_admin_adds_a_partner(client, sign_in_as, db, areas):
    admin = sign_in_as("admin")
    response = client.post("/admin/partners/new", data=FORM)
    assert response.status_code == 302
    added = partner("nunhead-knitting-circle")
    assert added.referral_email == "circle@example.org"
    assert added.sms_number == "+447911123456" and added.sms_private
    assert [area.slug for area in added.areas] == ["southwark"]
    assert added.oruk_id
    (created,) = events(db, "partner_created")
    assert created.actor == admin.email and created.subject == "nunhead-knitting-circle"
    shown = page_text(client.get(response.headers["Location"]))
    assert "Nunhead Knitting Circle was added" in shown
    assert "07911 123456 (private)" in shown
    assert "Added by admin@demo.sail.example" in shown


def test_bad_details_are_refused_with_every_answer_shown_again(client, sign_in_as, db, areas):
    sign_in_as("admin")
    bad = {**FORM, "name": "  ", "referral_email": "circle", "sms_number": "020 7946 0000"}
    response = client.post("/admin/partners/new", data=bad)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    shown = page_text(response)
    assert "There is a problem" in shown
    assert "Enter the partner agency’s name" in shown
    assert "Enter a referral email address in the correct format" in shown
    assert "cannot receive text messages" in shown
    assert 'value="circle"' in html and 'value="020 7946 0000"' in html
    assert 'value="southwark" checked' in html
    assert events(db, "partner_created") == []


def test_an_admin_changes_a_partner_and_sees_its_history(client, sign_in_as, db, areas):
    sign_in_as("admin")
    page = client.get("/admin/partners/carers-support/edit")
    assert 'value="referrals@carers-support.example.org"' in page.get_data(as_text=True)
    for legend in (
        "Who may see the SMS duty number?",
        "Areas the agency covers",
        "Is the agency taking referrals?",
        "Is the agency active?",
    ):
        assert legend in page_text(page)
    changed = {
        **FORM,
        "name": "Carers Support Service",
        "description": "Information, breaks and support for unpaid carers.",
        "referral_email": "duty@carers.example.org",
        "sms_number": "",
        "areas": ["lambeth"],
    }
    response = client.post("/admin/partners/carers-support/edit", data=changed)
    assert response.status_code == 302
    (event,) = events(db, "partner_changed")
    assert event.details == {
        "before": {
            "referral_email": "referrals@carers-support.example.org",
            "areas": ["lambeth", "southwark"],
        },
        "after": {"referral_email": "duty@carers.example.org", "areas": ["lambeth"]},
    }
    shown = page_text(client.get("/admin/partners/carers-support"))
    assert "Referral email: referrals@carers-support.example.org → duty@carers.example.org" in shown
    assert "Areas covered: lambeth, southwark → lambeth" in shown


def test_an_admin_pauses_and_resumes_a_partner(client, sign_in_as, db):
    sign_in_as("admin")
    response = client.post(
        "/admin/partners/lfb-home-fire-safety/taking-referrals", data={"taking_referrals": "no"}
    )
    assert response.status_code == 302
    fire = partner("lfb-home-fire-safety")
    assert not fresh(fire).taking_referrals
    assert "Paused" in page_text(client.get("/admin/partners/lfb-home-fire-safety"))
    client.post(
        "/admin/partners/lfb-home-fire-safety/taking-referrals", data={"taking_referrals": "yes"}
    )
    assert fresh(fire).taking_referrals
    assert [e.details["after"] for e in events(db, "partner_changed")] == [
        {"taking_referrals": False},
        {"taking_referrals": True},
    ]
    bad = client.post(
        "/admin/partners/lfb-home-fire-safety/taking-referrals", data={"taking_referrals": "maybe"}
    )
    assert bad.status_code == 400


def test_unknown_partners_are_404(client, sign_in_as):
    sign_in_as("admin")
    assert client.get("/admin/partners/no-such-agency").status_code == 404
    assert client.get("/admin/partners/" + "x" * 300).status_code == 404


# --- The admin API ------------------------------------------------------------------------------


def test_the_api_is_for_admin_tokens_only(client, demo_hub, now):
    assert client.get("/api/v1/admin/partners").status_code == 401
    hub = client.get("/api/v1/admin/partners", headers=bearer("hub", now))
    assert hub.status_code == 403


def test_the_api_lists_adds_shows_and_changes_partners(client, db, demo_hub, now, areas):
    headers = bearer("admin", now)
    listed = client.get("/api/v1/admin/partners", headers=headers)
    assert len(listed.json["items"]) == 22
    body = {
        "name": "Brixton Book Club",
        "referral_email": "books@example.org",
        "areas": ["lambeth"],
    }
    added = client.post("/api/v1/admin/partners", json=body, headers=headers)
    assert added.status_code == 201, added.json
    assert added.json["slug"] == "brixton-book-club"
    assert added.headers["Location"].endswith("/api/v1/admin/partners/brixton-book-club")
    shown = client.get("/api/v1/admin/partners/brixton-book-club", headers=headers).json
    assert shown["areas"] == ["lambeth"] and shown["taking_referrals"] is True
    changed = client.patch(
        "/api/v1/admin/partners/brixton-book-club",
        json={"taking_referrals": False, "sms_number": "07911 123456"},
        headers=headers,
    )
    assert changed.status_code == 200
    assert changed.json["taking_referrals"] is False
    assert changed.json["sms_number"] == "+447911123456"
    (event,) = events(db, "partner_changed")
    assert event.actor == "admin@demo.sail.example"
    assert event.details["after"] == {"sms_number": "+447911123456", "taking_referrals": False}


def test_the_api_refuses_bad_details_naming_the_fields(client, db, demo_hub, now):
    headers = bearer("admin", now)
    bad = {
        "name": "",
        "referral_email": "nope",
        "sms_number": "020 7946 0000",
        "areas": ["atlantis"],
        "active": "yes",
        "colour": "blue",
    }
    response = client.post("/api/v1/admin/partners", json=bad, headers=headers)
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {
        "name",
        "referral_email",
        "sms_number",
        "areas",
        "active",
        "colour",
    }
    patched = client.patch(
        "/api/v1/admin/partners/carers-support", json={"name": "x" * 201}, headers=headers
    )
    assert patched.status_code == 422 and "name" in patched.json["error"]["fields"]
    missing = client.patch("/api/v1/admin/partners/nobody", json={}, headers=headers)
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    assert events(db, "partner_created") == [] and events(db, "partner_changed") == []


def test_an_oruk_id_belongs_to_one_partner(client, db, demo_hub, now):
    taken = partner("carers-support").oruk_id
    response = client.patch(
        "/api/v1/admin/partners/southwark-carers",
        json={"oruk_id": taken},
        headers=bearer("admin", now),
    )
    assert response.status_code == 422
    assert "already has the Open Referral UK id" in response.json["error"]["fields"]["oruk_id"]
