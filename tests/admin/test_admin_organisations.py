"""``/admin/organisations``: the organisations that refer, listed, added (the slug from the
name), renamed (the slug kept), deactivated with their users and reactivated; each change
recorded and shown as the organisation's history. Partners and the hub are not theirs."""

from __future__ import annotations

import re

from sqlalchemy import select

from hub.audit import AuditEvent
from hub.auth import accounts
from hub.models import Organisation
from tests.support import fresh, page_text


def page_text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_list_shows_the_organisations_that_refer_only(client, sign_in_as):
    sign_in_as("admin")
    html = client.get("/admin/organisations").get_data(as_text=True)
    shown = page_text_of(html.split("<main", 1)[1].split("</main>", 1)[0])
    assert "Lambeth Council Adult Social Care" in shown
    assert "Peckham Good Neighbours (VCS)" in shown
    assert "Age UK Lambeth and Southwark" not in shown  # the hub
    assert "Fire" not in shown  # a partner agency
    hub = accounts.find_organisation("age-uk-lambeth-southwark")
    partner = accounts.find_organisation("lfb-home-fire-safety")
    assert client.get(f"/admin/organisations/{hub.id}").status_code == 404
    assert client.get(f"/admin/organisations/{partner.id}/deactivate").status_code == 404


def test_an_admin_adds_an_organisation_with_a_slug_from_its_name(client, sign_in_as, db):
    admin = sign_in_as("admin")
    response = client.post("/admin/organisations/new", data={"name": "  St Giles’ Trust  "})
    assert response.status_code == 302
    added = db.session.scalar(select(Organisation).where(Organisation.name == "St Giles’ Trust"))
    assert added.slug == "st-giles-trust" and added.kind == "referrer" and added.active
    page = page_text(client.get(response.location))
    assert "St Giles’ Trust is added" in page
    assert "Added an organisation" in page and admin.email in page


def test_a_bad_or_taken_name_is_refused_with_the_name_shown_again(client, sign_in_as, db):
    sign_in_as("admin")
    before = db.session.query(Organisation).count()
    blank = client.post("/admin/organisations/new", data={"name": "   "})
    assert blank.status_code == 422 and "Enter the organisation’s name" in page_text(blank)
    symbols = client.post("/admin/organisations/new", data={"name": "!!!"})
    assert "Enter a name with letters or numbers in it" in page_text(symbols)
    assert 'value="!!!"' in symbols.get_data(as_text=True)
    taken = client.post(
        "/admin/organisations/new", data={"name": "Lambeth council adult social care"}
    )
    assert taken.status_code == 422
    assert "There is already an organisation called Lambeth Council" in page_text(taken)
    long = client.post("/admin/organisations/new", data={"name": "x" * 201})
    assert long.status_code == 422 and "200 characters or fewer" in page_text(long)
    assert db.session.query(Organisation).count() == before


def test_renaming_keeps_the_slug_and_records_before_and_after(client, sign_in_as, db):
    sign_in_as("admin")
    organisation = accounts.find_organisation("peckham-good-neighbours")
    response = client.post(
        f"/admin/organisations/{organisation.id}", data={"name": "Peckham Neighbours"}
    )
    assert response.status_code == 302
    renamed = fresh(organisation)
    assert renamed.name == "Peckham Neighbours" and renamed.slug == "peckham-good-neighbours"
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.subject == "peckham-good-neighbours")
    )
    assert event.action == "organisation_renamed"
    assert event.details == {
        "before": {"name": "Peckham Good Neighbours (VCS)"},
        "after": {"name": "Peckham Neighbours"},
    }
    page = page_text(client.get(response.location))
    assert "Name: Peckham Good Neighbours (VCS) to Peckham Neighbours" in page


def test_deactivating_an_organisation_deactivates_its_users(client, sign_in_as, db, demo_hub):
    sign_in_as("admin")
    organisation = accounts.find_organisation("lambeth-adult-social-care")
    frontline = accounts.find_user(demo_hub["frontline"].email)
    confirm = page_text(client.get(f"/admin/organisations/{organisation.id}/deactivate"))
    assert "its 1 active user will be deactivated" in confirm
    done = client.post(f"/admin/organisations/{organisation.id}/deactivate")
    assert done.status_code == 302
    assert "is deactivated, and 1 user with it" in page_text(client.get(done.location))
    assert not fresh(organisation).active and not fresh(frontline).active
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["user_deactivated", "organisation_deactivated"]
    # No longer offered for new users.
    invite = client.post(
        "/admin/users/invite",
        data={"email": "new@example.org", "name": "New", "role": "frontline",
              "organisation": "lambeth-adult-social-care"},
    )  # fmt: skip
    assert invite.status_code == 422
    assert client.post(f"/admin/organisations/{organisation.id}/activate").status_code == 302
    assert fresh(organisation).active and not fresh(frontline).active


def test_others_may_not_change_organisations(client, sign_in_as):
    sign_in_as("hub")
    organisation = accounts.find_organisation("peckham-good-neighbours")
    assert client.post("/admin/organisations/new", data={"name": "X"}).status_code == 403
    response = client.post(f"/admin/organisations/{organisation.id}", data={"name": "Y"})
    assert response.status_code == 403
    assert fresh(organisation).name == "Peckham Good Neighbours (VCS)"
