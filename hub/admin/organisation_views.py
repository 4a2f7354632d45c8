"""Admin pages for the organisations that refer (``/admin/organisations``): the list, adding
one, and an organisation's page with its users, renaming, deactivating and reactivating, and
its history. Admins only. Partner agencies have their own pages (``/admin/partners``); the hub's
own organisation is not changed here.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from hub import audit
from hub.admin import organisations
from hub.admin.admin_forms import ConfirmForm, OrganisationNameForm
from hub.auth.access import acting_user, roles_required
from hub.auth.accounts import AccountError
from hub.clock import utcnow
from hub.extensions import db

admin_organisations = Blueprint("admin_organisations", __name__, url_prefix="/admin/organisations")

ADMINS = ("admin",)


def _organisation_or_404(organisation_id: int):
    organisation = organisations.referrer(organisation_id)
    if organisation is None:
        abort(404)
    return organisation


def _to_organisation(organisation, message: str):
    flash(message, "success")
    return redirect(url_for("admin_organisations.organisation", organisation_id=organisation.id))


@admin_organisations.get("")
@roles_required(*ADMINS)
def organisation_list():
    return render_template("admin/organisations/list.html", rows=organisations.referrers())


@admin_organisations.route("/new", methods=["GET", "POST"])
@roles_required(*ADMINS)
def add():
    form = OrganisationNameForm()
    if form.validate_on_submit():
        try:
            organisation = organisations.add(form.name.data, acting_user(), utcnow())
        except AccountError as error:
            db.session.rollback()
            form.refused({"name": str(error)})
        else:
            db.session.commit()
            return _to_organisation(organisation, f"{organisation.name} is added")
    status = 422 if form.errors else 200
    return render_template("admin/organisations/new.html", form=form), status


@admin_organisations.route("/<int:organisation_id>", methods=["GET", "POST"])
@roles_required(*ADMINS)
def organisation(organisation_id: int):
    """The organisation's page, whose form renames it."""
    organisation = _organisation_or_404(organisation_id)
    form = OrganisationNameForm(data={"name": organisation.name})
    if form.validate_on_submit():
        try:
            organisations.rename(organisation, form.name.data, acting_user(), utcnow())
        except AccountError as error:
            db.session.rollback()
            form.refused({"name": str(error)})
        else:
            db.session.commit()
            message = f"The organisation is renamed {organisation.name}"
            return _to_organisation(organisation, message)
    return render_template(
        "admin/organisations/organisation.html",
        organisation=organisation,
        form=form,
        users=organisations.active_users(organisation),
        history=organisations.history(organisation),
        actions=audit.ACTIONS,
    ), (422 if form.errors else 200)


@admin_organisations.route("/<int:organisation_id>/deactivate", methods=["GET", "POST"])
@roles_required(*ADMINS)
def deactivate(organisation_id: int):
    return _confirm(organisation_id, active=False)


@admin_organisations.route("/<int:organisation_id>/activate", methods=["GET", "POST"])
@roles_required(*ADMINS)
def activate(organisation_id: int):
    return _confirm(organisation_id, active=True)


def _confirm(organisation_id: int, active: bool):
    organisation = _organisation_or_404(organisation_id)
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        now, actor = utcnow(), acting_user()
        try:
            if active:
                organisations.activate(organisation, actor, now)
                message = f"{organisation.name} is reactivated"
            else:
                count = organisations.deactivate(organisation, actor, now)
                message = (
                    f"{organisation.name} is deactivated, and {count} "
                    f"{'user' if count == 1 else 'users'} with it"
                )
        except AccountError as refused:
            db.session.rollback()
            error = str(refused)
        else:
            db.session.commit()
            return _to_organisation(organisation, message)
    return render_template(
        "admin/organisations/confirm.html",
        organisation=organisation,
        form=form,
        error=error,
        active=active,
        users=organisations.active_users(organisation),
    ), (422 if error else 200)
