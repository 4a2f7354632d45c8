"""The hub's areas over the API, for an admin token (``/api/v1/admin/areas``): what the admin
pages do (``hub.admin.area_views``), through the same owner (``hub.areas``), recorded in the
audit trail the same way. Bad details are 422 naming each field; nothing is changed."""

from __future__ import annotations

from flask import jsonify

from hub import areas
from hub.api import api
from hub.api.auth import api_roles
from hub.api.parsing import invalid, json_object, not_found
from hub.auth.access import acting_user
from hub.clock import iso_z, utcnow
from hub.extensions import db
from hub.models import Area
from hub.urls import external_url

FIELDS = {"slug", "name", "postcodes"}


def _shown(area: Area, history: bool = False) -> dict:
    shown = {**areas.describe(area), "created_at": iso_z(area.created_at)}
    if history:
        shown["history"] = [
            {
                "action": event.action,
                "at": iso_z(event.created_at),
                "actor": event.actor,
                "before": event.details.get("before"),
                "after": event.details.get("after"),
            }
            for event in areas.history(area)
        ]
    return shown


def _area(slug: str) -> Area:
    found = areas.find_area(slug)
    if found is None:
        raise not_found("There is no area with that slug.")
    return found


def _body(allowed: set[str]) -> dict:
    body = json_object()
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise invalid({field: f"{field} is not a field of an area" for field in unknown})
    return body


def _refused(problem: areas.AreaInvalid):
    db.session.rollback()
    return invalid(problem.errors)


@api.get("/admin/areas")
@api_roles("admin")
def list_areas():
    return jsonify({"items": [_shown(area) for area in areas.all_areas()]})


@api.post("/admin/areas")
@api_roles("admin")
def create_area():
    """201 with the new area; ``postcodes`` a list of districts and sectors (or one text)."""
    body = _body(FIELDS)
    try:
        area = areas.create_area(
            body.get("slug"), body.get("name"), body.get("postcodes", []), acting_user(), utcnow()
        )
    except areas.AreaInvalid as problem:
        raise _refused(problem) from None
    db.session.commit()
    response = jsonify(_shown(area, history=True))
    response.status_code = 201
    response.headers["Location"] = external_url("api.show_area", slug=area.slug)
    return response


@api.get("/admin/areas/<slug>")
@api_roles("admin")
def show_area(slug: str):
    return jsonify(_shown(_area(slug), history=True))


@api.patch("/admin/areas/<slug>")
@api_roles("admin")
def change_area(slug: str):
    """Change ``name`` and/or ``postcodes`` (the whole list); the slug stays."""
    area = _area(slug)
    body = _body(FIELDS - {"slug"})
    try:
        areas.update_area(
            area, acting_user(), utcnow(), name=body.get("name"), postcodes=body.get("postcodes")
        )
    except areas.AreaInvalid as problem:
        raise _refused(problem) from None
    db.session.commit()
    return jsonify(_shown(area, history=True))


@api.delete("/admin/areas/<slug>")
@api_roles("admin")
def delete_area(slug: str):
    """204: the area and its postcodes are gone; its postcodes find no borough from now on."""
    areas.delete_area(_area(slug), acting_user(), utcnow())
    db.session.commit()
    return "", 204
