"""The public, read-only Open Referral UK API (docs/design.md, "Open Referral UK"): the hub's
active partner agencies as ORUK v3 services, so a council's directory can read them.

Only what the directory publishes: never a client, a referral, or an SMS duty number marked
private (``partners.oruk.service`` with ``public=True``). Errors are JSON, as on the JSON API.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from sqlalchemy import func, select

from hub.auth.access import public
from hub.errors import api_error
from hub.extensions import db
from hub.models import Organisation
from hub.urls import external_url
from partners import oruk

openreferral = Blueprint("openreferral", __name__, url_prefix="/openreferral")

PER_PAGE = 50
MAX_PER_PAGE = 200
LARGEST_PAGE = 10**6


def _whole_number(name: str, default: int, high: int) -> int | None:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= 7) or not 1 <= int(text) <= high:
        return None
    return int(text)


def _active():
    return select(Organisation).where(Organisation.kind == "partner", Organisation.active.is_(True))


@openreferral.get("/")
@public
def root():
    return jsonify(
        {
            "version": "3.0",
            "profile": "https://openreferraluk.org",
            "description": "The partner agencies this referral hub forwards referrals to.",
            "services_url": external_url("openreferral.services"),
        }
    )


@openreferral.get("/services")
@public
def services():
    number = _whole_number("page", 1, LARGEST_PAGE)
    size = _whole_number("per_page", PER_PAGE, MAX_PER_PAGE)
    fields = {}
    if number is None:
        fields["page"] = f"page must be a whole number from 1 to {LARGEST_PAGE:,}"
    if size is None:
        fields["per_page"] = f"per_page must be a whole number from 1 to {MAX_PER_PAGE}"
    if fields:
        return api_error(422, "invalid", "Some parameters are wrong: see fields.", fields)
    total = db.session.scalar(select(func.count()).select_from(_active().subquery()))
    rows = db.session.scalars(
        _active()
        .order_by(Organisation.name, Organisation.id)
        .offset((number - 1) * size)
        .limit(size)
    ).all()
    pages = max(1, -(-total // size))
    return jsonify(
        {
            "total_items": total,
            "total_pages": pages,
            "page_number": number,
            "size": len(rows),
            "first_page": number == 1,
            "last_page": number >= pages,
            "empty": not rows,
            "contents": [oruk.service(partner) for partner in rows],
        }
    )


@openreferral.get("/services/<service_id>")
@public
def service(service_id: str):
    partner = None
    if len(service_id) <= 100:
        partner = db.session.scalar(_active().where(Organisation.oruk_id == service_id))
    if partner is None:  # a partner set up before it had an ORUK id has one made from its slug
        partner = next(
            (
                row
                for row in db.session.scalars(_active().where(Organisation.oruk_id.is_(None)))
                if oruk.service_id(row) == service_id
            ),
            None,
        )
    if partner is None:
        return api_error(404, "not_found", "No service with that id.")
    return jsonify(oruk.service(partner))
