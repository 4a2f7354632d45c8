"""What became of the people a referrer referred (``/questionnaires/submitted/...``).

Each user sees only the questionnaires they submitted themselves; anyone else's is "not found",
so the page never confirms that it exists. Read-only: nothing here changes a referral.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from hub import audit
from hub.auth.access import roles_required
from hub.clock import utcnow
from hub.extensions import db
from hub.frontline import submitted_queries as queries

referrer = Blueprint("referrer", __name__, url_prefix="/questionnaires/submitted")

REFERRERS = ("frontline", "hub")


@referrer.get("/")
@roles_required(*REFERRERS)
def questionnaires():
    try:
        page = queries.questionnaires_of(current_user.id, request.args.get("page", 1, type=int))
    except queries.PageNotFound:
        abort(404)
    return render_template("frontline/submitted.html", page=page)


@referrer.get("/<int:submission_id>")
@roles_required(*REFERRERS)
def questionnaire(submission_id: int):
    found = queries.questionnaire_of(current_user.id, submission_id)
    if found is None:
        abort(404)
    page = render_template("frontline/submitted_questionnaire.html", questionnaire=found)
    audit.record(
        current_user._get_current_object(),
        "viewed_person",
        utcnow(),
        person_id=found.client_id,
        subject=found.reference,
        details={"where": "referrer's questionnaire page"},
    )
    db.session.commit()
    return page
