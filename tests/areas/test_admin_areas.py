"""The admins' areas: the pages at /admin/areas and the API at /api/v1/admin/areas."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub import areas
from hub.audit import AuditEvent
from hub.extensions import db as _db
from tests.api_support import bearer

pytestmark = pytest.mark.both_databases

API = "/api/v1/admin/areas"


def test_only_admins_see_the_areas(client, db, demo_hub, sign_in_as):
    sign_in_as("hub")
    assert client.get("/admin/areas").status_code == 403


def test_an_admin_lists_adds_and_changes_an_area_with_its_history(client, db, demo_hub, sign_in_as):
    sign_in_as("admin")
    listing = client.get("/admin/areas").get_data(as_text=True)
    assert "Lambeth" in listing and "SE1 7" in listing and "SE17" in listing

    response = client.post(
        "/admin/areas/new", data={"name": "Croydon", "slug": "croydon", "postcodes": "cr0, cr2"}
    )
    assert response.headers["Location"] == "/admin/areas/croydon"
    page = client.get("/admin/areas/croydon").get_data(as_text=True)
    assert "Area Croydon added." in page and "CR0\nCR2" in page
    assert "Added</strong> by admin@demo.sail.example" in page

    response = client.post(
        "/admin/areas/croydon", data={"name": "Croydon", "postcodes": "CR0\nCR2\nSE25"}
    )
    assert response.status_code == 302
    page = client.get("/admin/areas/croydon").get_data(as_text=True)
    assert "Area Croydon changed." in page and "CR0, CR2 → CR0, CR2, SE25" in page
    assert areas.area_for_postcode("SE25 4AA").slug == "croydon"


def test_bad_details_are_shown_with_what_was_typed_and_change_nothing(
    client, db, demo_hub, sign_in_as
):
    sign_in_as("admin")
    before = _db.session.scalar(select(_db.func.count(AuditEvent.id)))
    response = client.post(
        "/admin/areas/southwark", data={"name": "Southwark", "postcodes": "SE1\nSW9\nnowhere"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert "SW9 is already in Lambeth" in html
    assert "“nowhere” is not a postcode district or sector" in html.replace("&#34;", '"')
    assert "SE1\nSW9\nnowhere" in html  # what was typed comes back
    response = client.post(
        "/admin/areas/new", data={"name": "", "slug": "Bad Slug", "postcodes": ""}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter the area’s name" in html and 'value="Bad Slug"' in html
    assert _db.session.scalar(select(_db.func.count(AuditEvent.id))) == before
    assert areas.describe(areas.find_area("southwark"))["postcodes"][0] == "SE1"


def test_the_api_lists_creates_shows_and_changes_areas(client, db, demo_hub, now):
    admin = bearer("admin", now)
    listed = client.get(API, headers=admin).json["items"]
    assert [item["slug"] for item in listed] == ["lambeth", "southwark"]
    assert "SW9" in listed[0]["postcodes"]

    response = client.post(
        API,
        json={"slug": "croydon", "name": "Croydon", "postcodes": ["cr0", "CR2 6"]},
        headers=admin,
    )
    assert response.status_code == 201, response.json
    assert response.headers["Location"] == "http://hub.test/api/v1/admin/areas/croydon"
    assert response.json["postcodes"] == ["CR0", "CR2 6"]
    assert response.json["history"][0]["action"] == "area_created"

    response = client.patch(f"{API}/croydon", json={"postcodes": "CR0, SE25"}, headers=admin)
    assert response.status_code == 200
    shown = client.get(f"{API}/croydon", headers=admin).json
    assert shown["postcodes"] == ["CR0", "SE25"] and shown["name"] == "Croydon"
    assert [h["action"] for h in shown["history"]] == ["area_changed", "area_created"]
    assert shown["history"][0]["before"]["postcodes"] == ["CR0", "CR2 6"]


@pytest.mark.parametrize(
    "body, fields",
    [
        ({"slug": "lambeth", "name": "Again", "postcodes": []}, {"slug"}),
        ({"slug": "x", "name": "", "postcodes": ["SW9", "zz"]}, {"name", "postcodes"}),
        ({"slug": "x", "name": "X", "postcodes": 5}, {"postcodes"}),
        ({"slug": "x", "name": "X", "colour": "red"}, {"colour"}),
        ({"slug": 7, "name": ["X"], "postcodes": [None]}, {"slug", "name", "postcodes"}),
        ({"slug": "new", "name": "New"}, {"slug"}),
    ],
)
def test_the_api_refuses_bad_areas_naming_the_fields(client, db, demo_hub, now, body, fields):
    response = client.post(API, json=body, headers=bearer("admin", now))
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == fields
    assert [area.slug for area in areas.all_areas()] == ["lambeth", "southwark"]


def test_the_api_answers_404_for_an_unknown_area_and_403_for_others(client, db, demo_hub, now):
    assert client.get(f"{API}/narnia", headers=bearer("admin", now)).status_code == 404
    assert client.patch(f"{API}/narnia", json={}, headers=bearer("admin", now)).status_code == 404
    assert client.get(API, headers=bearer("hub", now)).status_code == 403
    assert client.get(API).status_code == 401


def test_an_admin_deletes_an_area_after_confirming(client, db, demo_hub, now, sign_in_as):
    sign_in_as("admin")
    confirm = client.get("/admin/areas/southwark/delete").get_data(as_text=True)
    assert "Are you sure you want to delete Southwark?" in confirm and "SE17" in confirm
    response = client.post("/admin/areas/southwark/delete")
    assert response.headers["Location"] == "/admin/areas"
    assert "Area Southwark deleted." in client.get("/admin/areas").get_data(as_text=True)
    assert areas.find_area("southwark") is None
    assert areas.area_for_postcode("SE17 1AA") is None
    assert areas.area_for_postcode("SE1 7PB").slug == "lambeth"
    event = _db.session.scalar(select(AuditEvent).where(AuditEvent.action == "area_deleted"))
    assert event.subject == "southwark" and event.details["after"] is None


def test_the_api_deletes_an_area(client, db, demo_hub, now):
    response = client.delete(f"{API}/lambeth", headers=bearer("admin", now))
    assert response.status_code == 204
    assert client.get(f"{API}/lambeth", headers=bearer("admin", now)).status_code == 404
    assert client.delete(f"{API}/lambeth", headers=bearer("admin", now)).status_code == 404
