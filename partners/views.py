"""The partner portal (``/partner/...``): for now, the list of referrals forwarded to the agency."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from hub.access import roles_required
from hub.clock import utcnow
from hub.triage import queries

partner_portal = Blueprint("partner_portal", __name__, url_prefix="/partner")


@partner_portal.get("/referrals")
@roles_required("partner")
def inbox():
    now = utcnow()
    partner_id = current_user.organisation_id
    try:
        page = queries.partner_inbox(partner_id, now, request.args.get("page", 1, type=int))
    except queries.PageNotFound:
        abort(404)
    return render_template(
        "partners/inbox.html",
        page=page,
        summary=queries.partner_inbox_summary(partner_id, now),
        organisation=current_user.organisation,
        now=now,
    )
