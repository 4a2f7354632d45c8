"""Admin pages for the hub's areas (``/admin/areas``): each borough with its postcode districts
and sectors, which decide a client's borough when none is given. Admins add an area and change
its name and postcodes; every change goes through ``hub.areas`` (checked, and recorded in the
audit trail) and its history shows on the area's page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from govuk_frontend_wtf.wtforms_widgets import GovTextArea, GovTextInput
from wtforms import StringField, TextAreaField

from hub import areas
from hub.auth.access import acting_user, roles_required
from hub.clock import utcnow
from hub.extensions import db
from hub.forms import HubForm

admin_areas = Blueprint("admin_areas", __name__, url_prefix="/admin")

ADMINS = ("admin",)
POSTCODES_HINT = (
    "Postcode districts (like SE1) and sectors (like SE1 7), one a line or separated by "
    "commas. A sector belongs to its own area even if its district is in another."
)


class AreaForm(HubForm):
    name = StringField("Name", description="For example, Lambeth", widget=GovTextInput())
    postcodes = TextAreaField("Postcodes", description=POSTCODES_HINT, widget=GovTextArea())


class NewAreaForm(AreaForm):
    slug = StringField(
        "Short name",
        description="Lower case letters, digits and hyphens, like lambeth. It is the borough "
        "a questionnaire routes by, and cannot be changed later.",
        widget=GovTextInput(),
    )


def _show_problems(form: HubForm, problem: areas.AreaInvalid) -> None:
    for field, message in problem.errors.items():
        form[field].errors = [message]


@admin_areas.get("/areas")
@roles_required(*ADMINS)
def areas_list():
    return render_template("admin/areas/list.html", areas=areas.all_areas())


@admin_areas.route("/areas/new", methods=["GET", "POST"])
@roles_required(*ADMINS)
def new_area():
    form = NewAreaForm()
    if form.validate_on_submit():
        try:
            area = areas.create_area(
                form.slug.data, form.name.data, form.postcodes.data, acting_user(), utcnow()
            )
        except areas.AreaInvalid as problem:
            db.session.rollback()
            _show_problems(form, problem)
        else:
            db.session.commit()
            flash(f"Area {area.name} added.", "success")
            return redirect(url_for(".area", slug=area.slug))
    status = 422 if form.errors else 200
    return render_template("admin/areas/new.html", form=form), status


@admin_areas.route("/areas/<slug>", methods=["GET", "POST"])
@roles_required(*ADMINS)
def area(slug: str):
    found = areas.find_area(slug)
    if found is None:
        abort(404)
    form = AreaForm(
        data={"name": found.name, "postcodes": "\n".join(areas.describe(found)["postcodes"])}
    )
    if form.validate_on_submit():
        try:
            changed = areas.update_area(
                found, acting_user(), utcnow(), name=form.name.data, postcodes=form.postcodes.data
            )
        except areas.AreaInvalid as problem:
            db.session.rollback()
            _show_problems(form, problem)
        else:
            db.session.commit()
            if changed:
                flash(f"Area {found.name} changed.", "success")
            else:
                flash(f"Nothing was changed in {found.name}.")
            return redirect(url_for(".area", slug=found.slug))
    status = 422 if form.errors else 200
    return render_template(
        "admin/areas/area.html", area=found, form=form, history=areas.history(found)
    ), status


@admin_areas.route("/areas/<slug>/delete", methods=["GET", "POST"])
@roles_required(*ADMINS)
def delete_area(slug: str):
    found = areas.find_area(slug)
    if found is None:
        abort(404)
    form = HubForm()
    if form.validate_on_submit():
        name = found.name
        areas.delete_area(found, acting_user(), utcnow())
        db.session.commit()
        flash(f"Area {name} deleted.", "success")
        return redirect(url_for(".areas_list"))
    return render_template("admin/areas/delete.html", area=found, form=form)
