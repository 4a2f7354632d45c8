"""``/api/v1/admin/partners``: what the admin pages do with partner agencies, for an admin's API
token (docs/design.md, "JSON API v1"). Changes go through ``partners.agencies``, with the same
checks as the pages and the same record in the audit trail; errors are the API's, naming fields.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from hub.api.auth import api_roles
from hub.api.parsing import invalid, json_object, not_found, register_error_handlers
from hub.auth.access import acting_user
from hub.clock import iso_z, utcnow
from hub.extensions import db
from hub.models import Organisation
from hub.urls import external_url
from partners import agencies
from partners.directory import partner_by_slug

admin_partners_api = Blueprint("admin_partners_api", __name__, url_prefix="/api/v1/admin/partners")
register_error_handlers(admin_partners_api)


def partner_json(partner: Organisation) -> dict:
    shown = {"slug": partner.slug, **agencies.snapshot(partner)}
    shown["oruk_id"] = partner.oruk_id
    shown["created_at"] = iso_z(partner.created_at)
    return shown


def _partner(slug: str) -> Organisation:
    partner = partner_by_slug(slug) if len(slug) <= 80 else None
    if partner is None:
        raise not_found("No partner agency with that slug.")
    return partner


@admin_partners_api.get("")
@api_roles("admin")
def every():
    return jsonify({"items": [partner_json(partner) for partner in agencies.partners()]})


@admin_partners_api.post("")
@api_roles("admin")
def add():
    body = json_object()
    try:
        partner = agencies.create(body, acting_user(), utcnow())
    except agencies.AgencyError as error:
        db.session.rollback()
        raise invalid(error.errors) from None
    db.session.commit()
    response = jsonify(partner_json(partner))
    response.headers["Location"] = external_url("admin_partners_api.one", slug=partner.slug)
    return response, 201


@admin_partners_api.get("/<slug>")
@api_roles("admin")
def one(slug: str):
    return jsonify(partner_json(_partner(slug)))


@admin_partners_api.patch("/<slug>")
@api_roles("admin")
def change(slug: str):
    partner = _partner(slug)
    body = json_object()
    try:
        agencies.update(partner, body, acting_user(), utcnow())
    except agencies.AgencyError as error:
        db.session.rollback()
        raise invalid(error.errors) from None
    db.session.commit()
    return jsonify(partner_json(partner))
