"""Admin pages for partner agencies (``/admin/partners``): the list, adding one, its page with
its history, changing its details, and pausing or resuming its referrals. Admins only. Every
change goes through ``partners.agencies``, which checks it and records it in the audit trail."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from hub.auth.access import acting_user, roles_required
from hub.clock import utcnow
from hub.extensions import db
from hub.forms import HubForm
from hub.models import Organisation
from hub.referrals.client_details import display_phone
from partners import agencies
from partners.admin_forms import PartnerAgencyForm
from partners.directory import partner_by_slug

admin_partners = Blueprint("admin_partners", __name__, url_prefix="/admin/partners")

ADMINS = ("admin",)


def _partner_or_404(slug: str) -> Organisation:
    partner = partner_by_slug(slug) if len(slug) <= 80 else None
    if partner is None:
        abort(404)
    return partner


@admin_partners.get("")
@roles_required(*ADMINS)
def every():
    return render_template("admin/partners/list.html", partners=agencies.partners())


@admin_partners.route("/new", methods=["GET", "POST"])
@roles_required(*ADMINS)
def add():
    form = PartnerAgencyForm()
    form.set_areas(agencies.all_areas())
    if form.validate_on_submit():
        try:
            partner = agencies.create(form.values(), acting_user(), utcnow())
        except agencies.AgencyError as error:
            db.session.rollback()
            form.show_errors(error.errors)
        else:
            db.session.commit()
            flash(f"{partner.name} was added", "success")
            return redirect(url_for("admin_partners.one", slug=partner.slug))
    status = 422 if form.errors else 200
    return render_template("admin/partners/form.html", form=form, partner=None), status


@admin_partners.get("/<slug>")
@roles_required(*ADMINS)
def one(slug: str):
    partner = _partner_or_404(slug)
    return render_template(
        "admin/partners/partner.html",
        partner=partner,
        sms_number=display_phone(partner.sms_number),
        history=agencies.history(partner),
        labels=agencies.LABELS,
        form=HubForm(),
    )


@admin_partners.route("/<slug>/edit", methods=["GET", "POST"])
@roles_required(*ADMINS)
def edit(slug: str):
    partner = _partner_or_404(slug)
    form = PartnerAgencyForm()
    form.set_areas(agencies.all_areas())
    if request.method == "GET":
        form.fill_from(partner)
    elif form.validate_on_submit():
        try:
            changed = agencies.update(partner, form.values(), acting_user(), utcnow())
        except agencies.AgencyError as error:
            db.session.rollback()
            form.show_errors(error.errors)
        else:
            db.session.commit()
            flash("Your changes were saved" if changed else "Nothing was changed", "success")
            return redirect(url_for("admin_partners.one", slug=partner.slug))
    status = 422 if form.errors else 200
    return render_template("admin/partners/form.html", form=form, partner=partner), status


@admin_partners.post("/<slug>/taking-referrals")
@roles_required(*ADMINS)
def pause_or_resume(slug: str):
    partner = _partner_or_404(slug)
    form = HubForm()
    taking = request.form.get("taking_referrals")
    if not form.validate_on_submit() or taking not in ("yes", "no"):
        abort(400)
    agencies.update(partner, {"taking_referrals": taking == "yes"}, acting_user(), utcnow())
    db.session.commit()
    if taking == "yes":
        flash(f"{partner.name} is taking referrals again", "success")
    else:
        flash(f"{partner.name} is paused: its new referrals wait at the hub", "success")
    return redirect(url_for("admin_partners.one", slug=partner.slug))
