"""Admin pages for one person's data (``/admin/people``): find a person by a reference or by name
and date of birth, export everything held about them (a printable page, or JSON), and erase
them on request (a reason, then a confirmation). Admins only."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from govuk_frontend_wtf.wtforms_widgets import GovTextArea
from sqlalchemy import or_, select
from wtforms import HiddenField, TextAreaField

from hub.auth.access import acting_user, roles_required
from hub.clock import utcnow
from hub.extensions import db
from hub.forms import HubForm
from hub.models import Client, Referral, Submission, client_match_key
from hub.people import anonymise, subject_access
from hub.status import OPEN_STATUSES

admin_people = Blueprint("admin_people", __name__, url_prefix="/admin")

ADMINS = ("admin",)


class EraseForm(HubForm):
    reason = TextAreaField(
        "Why are you erasing this person’s details?",
        description="For example, who asked, how and when. The reason is kept in the history "
        "of each of their referrals.",
        widget=GovTextArea(),
    )
    confirmed = HiddenField()


def _search(args) -> tuple[list[Client], dict[str, str], bool]:
    """The clients a search finds, its errors by field, and whether anything was asked."""
    reference = (args.get("reference") or "").strip().upper()
    given = (args.get("given_name") or "").strip()
    family = (args.get("family_name") or "").strip()
    parts = [(args.get(f"dob-{part}") or "").strip() for part in ("year", "month", "day")]
    if reference:
        found = db.session.scalars(
            select(Client)
            .join(Submission, Submission.client_id == Client.id)
            .outerjoin(Referral, Referral.submission_id == Submission.id)
            .where(or_(Submission.reference == reference, Referral.reference == reference))
            .distinct()
        ).all()
        return _with_same_person(list(found)), {}, True
    if not (given or family or any(parts)):
        return [], {}, False
    errors = {}
    if not given:
        errors["given_name"] = "Enter the person’s first name"
    if not family:
        errors["family_name"] = "Enter the person’s last name"
    try:
        born = date(*(int(part) for part in parts))
    except ValueError:
        errors["dob-day"] = "Enter a real date of birth, for example 27 3 1942"
    if errors:
        return [], errors, True
    key = client_match_key(given, family, born)
    found = db.session.scalars(select(Client).where(Client.match_key == key).order_by(Client.id))
    return list(found), {}, True


def _with_same_person(clients: list[Client]) -> list[Client]:
    """The clients found, and those with the same name and date of birth, to choose among."""
    seen = {client.id: client for client in clients}
    for client in clients:
        for other in subject_access.same_person(client):
            seen.setdefault(other.id, other)
    return sorted(seen.values(), key=lambda client: client.id)


def _client_or_404(client_id: int) -> Client:
    client = db.session.get(Client, client_id)
    if client is None:
        abort(404)
    return client


@admin_people.get("/people")
@roles_required(*ADMINS)
def people():
    found, errors, asked = _search(request.args)
    references = {
        client.id: db.session.scalars(
            select(Submission.reference).where(Submission.client_id == client.id)
        ).all()
        for client in found
    }
    return render_template(
        "admin/people.html",
        found=found,
        references=references,
        errors=errors,
        asked=asked,
        args=request.args,
    ), (422 if errors else 200)


@admin_people.get("/people/<int:client_id>/export")
@roles_required(*ADMINS)
def export_person(client_id: int):
    client = _client_or_404(client_id)
    record = subject_access.record(client)
    subject_access.note_export(client, acting_user(), utcnow())
    db.session.commit()
    return render_template("admin/person_export.html", client=client, record=record)


@admin_people.get("/people/<int:client_id>/export.json")
@roles_required(*ADMINS)
def export_person_json(client_id: int):
    client = _client_or_404(client_id)
    record = subject_access.record(client)
    subject_access.note_export(client, acting_user(), utcnow())
    db.session.commit()
    response = jsonify(record)
    response.headers["Content-Disposition"] = f'attachment; filename="client-{client.id}.json"'
    return response


def _open_referrals(client: Client) -> int:
    return len(
        db.session.scalars(
            select(Referral.id)
            .join(Submission, Referral.submission_id == Submission.id)
            .where(Submission.client_id == client.id, Referral.status.in_(OPEN_STATUSES))
        ).all()
    )


@admin_people.route("/people/<int:client_id>/erase", methods=["GET", "POST"])
@roles_required(*ADMINS)
def erase_person(client_id: int):
    client = _client_or_404(client_id)
    form = EraseForm()
    page = "admin/person_erase.html"
    values = {"client": client, "form": form, "open_referrals": _open_referrals(client)}
    if client.anonymised_at is not None:
        return render_template(page, **values, done=True)
    if not form.validate_on_submit():
        return render_template(page, **values, confirming=False)
    problem = anonymise.reason_problem(form.reason.data)
    if problem:
        form.reason.errors = [problem]
        return render_template(page, **values, confirming=False), 422
    if form.confirmed.data != "yes":
        form.confirmed.data = "yes"
        return render_template(page, **values, confirming=True)
    try:
        cancelled = anonymise.erase(client, acting_user(), utcnow(), form.reason.data)
    except anonymise.ErasureRefused as error:
        db.session.rollback()
        form.reason.errors = [str(error)]
        return render_template(page, **values, confirming=False), 422
    db.session.commit()
    flash(
        f"The person’s details were erased; {len(cancelled)} open referral(s) cancelled.",
        "success",
    )
    return redirect(url_for("admin_people.people"))
