"""A person's record (``/hub/people/<client id>``): every questionnaire, referral, follow-up and
wellbeing score of one person, and the questionnaires that may be theirs.

Hub staff, managers and admins may look; each look is recorded in the audit trail, as the
referral page's is. Hub staff confirm that a look-alike questionnaire is about the same person
(``hub.people.record``); the others may not.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import HiddenField

from hub.auth.access import acting_user, roles_required
from hub.clock import utcnow
from hub.extensions import db
from hub.forms import HubForm
from hub.people import record as records
from hub.triage.queries import question_text

people = Blueprint("people", __name__, url_prefix="/hub/people")

VIEWERS = ("hub", "manager", "admin")
ACTORS = ("hub",)
WELLBEING_LABELS = {
    "life_satisfaction": "Life satisfaction",
    "worthwhile": "Life worthwhile",
    "happy": "Happy yesterday",
    "anxious": "Anxious yesterday",
}
STAGE_LABELS = {"questionnaire": "With the questionnaire", "follow_up": "At the follow-up"}


class SamePersonForm(HubForm):
    """Which look-alike's client hub staff confirm is this person (a button per questionnaire)."""

    other = HiddenField()


def _record_or_404(client_id: int) -> records.PersonRecord:
    found = records.person_record(client_id)
    if found is None:
        abort(404)
    return found


def _page(found: records.PersonRecord, error: str | None = None, status: int = 200):
    return (
        render_template(
            "hub/person.html",
            record=found,
            person=found.latest,
            can_act=current_user.role in ACTORS,
            form=SamePersonForm(formdata=None),
            question_text=question_text,
            wellbeing_labels=WELLBEING_LABELS,
            stage_labels=STAGE_LABELS,
            error=error,
            now=utcnow(),
        ),
        status,
    )


@people.get("/<int:client_id>")
@roles_required(*VIEWERS)
def person(client_id: int):
    found = _record_or_404(client_id)
    page = _page(found)
    records.note_viewed(found, acting_user(), utcnow())
    return page


@people.post("/<int:client_id>/same-person")
@roles_required(*ACTORS)
def confirm_same_person(client_id: int):
    found = _record_or_404(client_id)
    form = SamePersonForm()
    if not form.validate_on_submit() or not (form.other.data or "").isdigit():
        abort(400)
    try:
        other = records.confirm_same_person(found, int(form.other.data), acting_user(), utcnow())
    except records.NotALookAlike:
        db.session.rollback()
        return _page(
            found,
            error="That questionnaire is not one listed as possibly the same person: it may "
            "have been confirmed already. Check the record below.",
            status=409,
        )
    db.session.commit()
    flash(
        f"The questionnaires for {other.full_name} born {other.date_of_birth:%-d %B %Y} are now "
        "on one record.",
        "success",
    )
    return redirect(url_for(".person", client_id=client_id))
