"""Signed links to one referral, for partner agencies without accounts (``/partner/links/...``).

The link alone shows the reference and the agency's name, nothing about the client. From there
the visitor signs in, or (if the hub allows it for the agency) has a one-time code emailed to
the agency's registered address and enters it, which signs them in as a stand-in user that sees
that one referral (``partners.links``). Every view takes ``now`` once from the clock.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, session, url_for
from flask_login import current_user, login_user, logout_user
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import StringField
from wtforms.validators import InputRequired, Regexp

from hub.auth.access import public
from hub.clock import utcnow
from hub.extensions import db
from hub.forms import HubForm
from hub.models import Referral
from notifications.messages import to_partners
from partners import links

partner_links = Blueprint("partner_links", __name__, url_prefix="/partner/links")


class SendCodeForm(HubForm):
    """Only a CSRF token: asking for a code sends an email, so it is a protected POST."""


class CodeForm(HubForm):
    code = StringField(
        "Code",
        widget=GovTextInput(),
        filters=[lambda value: "".join((value or "").split()).replace("-", "")],
        validators=[
            InputRequired(message="Enter the code from the email"),
            Regexp(r"^[0-9]{6}$", message="The code must be 6 digits, like 123456"),
        ],
    )


@partner_links.errorhandler(links.LinkError)
def link_problem(problem: links.LinkError):
    return render_template("partners/link_problem.html", problem=problem), problem.status


def _referral(token: str, now) -> Referral:
    return db.session.get(Referral, links.read_link_token(token, now))


def _is_own_agency(referral: Referral) -> bool:
    """Signed in as the agency's own user (or as this referral's stand-in): straight in."""
    return (
        current_user.is_authenticated
        and current_user.role == "partner"
        and current_user.organisation_id == referral.partner_id
        and current_user.link_referral_id in (None, referral.id)
    )


def _to_referral(referral: Referral):
    return redirect(links.portal_referral_path(referral.id))


def _with_codes_or_404(referral: Referral) -> None:
    if not links.codes_allowed(referral.partner):
        abort(404)


def _open_page(token: str, referral: Referral, error: str | None = None, status: int = 200):
    partner = referral.partner
    return render_template(
        "partners/link_open.html",
        token=token,
        referral=referral,
        partner=partner,
        codes=links.codes_allowed(partner),
        masked=links.mask_email(partner.referral_email) if partner.referral_email else None,
        sign_in=url_for("auth.login", next=links.portal_referral_path(referral.id)),
        form=SendCodeForm(),
        error=error,
    ), status


@partner_links.get("/<token>")
@public
def open_link(token: str):
    referral = _referral(token, utcnow())
    if _is_own_agency(referral):
        return _to_referral(referral)
    return _open_page(token, referral)


@partner_links.post("/<token>/send-code")
@public
def send_code(token: str):
    now = utcnow()
    referral = _referral(token, now)
    _with_codes_or_404(referral)  # CSRFProtect has checked the form's token
    try:
        code, plain = links.issue_code(referral, now)
    except links.TooManyCodes:
        db.session.rollback()
        return _open_page(
            token,
            referral,
            error=f"{links.CODES_PER_HOUR} codes have been sent for this referral in the last "
            "hour. Use the latest one, wait an hour, or sign in instead.",
            status=429,
        )
    to_partners.partner_link_code(referral, code, plain, now)
    db.session.commit()
    return redirect(url_for(".enter_code", token=token))


@partner_links.route("/<token>/code", methods=["GET", "POST"])
@public
def enter_code(token: str):
    now = utcnow()
    referral = _referral(token, now)
    _with_codes_or_404(referral)
    form = CodeForm()
    refused = None
    if form.validate_on_submit():
        try:
            links.confirm_code(referral, form.code.data, now)
        except links.CodeRefused as problem:
            db.session.commit()  # keep the wrong guess
            refused = problem
            form.code.errors.append(str(problem))
        else:
            user = links.stand_in_user(referral, now)
            db.session.commit()
            if current_user.is_authenticated:  # someone else was signed in on this browser
                logout_user()
            session.clear()
            session.permanent = True
            if not login_user(user, remember=False):
                abort(403)  # the hub has switched this stand-in off
            return _to_referral(referral)
    return render_template(
        "partners/link_code.html",
        token=token,
        referral=referral,
        masked=links.mask_email(referral.partner.referral_email),
        minutes=current_app.config["HUB_PARTNER_CODE_MINUTES"],
        form=form,
        send_form=SendCodeForm(),
        dead=refused is not None and refused.reason != "wrong",
    )
