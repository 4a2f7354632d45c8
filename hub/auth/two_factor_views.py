"""The second factor's pages (docs/design.md, "Second factor"): the code asked for after the
password, the set-up a user of a role that requires it must do before anything else (both for a
user half signed in, ``hub.auth.sign_in``), and ``/account/two-factor`` for a signed-in user.
A wrong code counts as a failed sign-in in ``hub.auth.throttle``: the same lock as wrong
passwords.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from werkzeug.security import check_password_hash
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import InputRequired

from hub import audit, clock
from hub.auth import sign_in, throttle, two_factor
from hub.auth.access import landing_endpoint, public, roles_required
from hub.extensions import db
from hub.forms import HubForm
from hub.models import ROLES, User

bp = Blueprint("two_factor", __name__)

WRONG_CODE = "Enter the code from your app, or one of your recovery codes"


class CodeForm(HubForm):
    code = StringField(
        "Code",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the 6-digit code from your app")],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class ResetForm(HubForm):
    current_password = PasswordField(
        "Current password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your current password")],
    )
    code = StringField(
        "Code from your app, or a recovery code",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the code from your app")],
    )
    submit = SubmitField("Reset the second factor", widget=GovSubmitInput())


class RegenerateForm(HubForm):
    code = StringField(
        "Code from your app",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the code from your app")],
    )
    submit = SubmitField("Make new recovery codes", widget=GovSubmitInput())


# --- After the password -------------------------------------------------------------------------


@bp.route("/login/code", methods=["GET", "POST"])
@public
def code():
    now = clock.utcnow()
    found = sign_in.pending(now, setup=False)
    if found is None:
        return sign_in.start_again()
    user, state = found
    form = CodeForm()
    if form.validate_on_submit():
        address = request.remote_addr
        locked = throttle.locked_until(user.email, address, now)
        if locked is not None:
            session.pop(sign_in.PENDING_KEY, None)
            return sign_in.locked_page(locked, now)
        if two_factor.check(user, form.code.data, now) is not None:
            return sign_in.complete(user, state["next"] or None)
        throttle.record_failure(user.email, address, now)
        db.session.commit()
        form.code.errors.append(WRONG_CODE)
    return render_template("auth/code.html", form=form)


@bp.route("/login/two-factor", methods=["GET", "POST"])
@public
def set_up():
    now = clock.utcnow()
    found = sign_in.pending(now, setup=True)
    if found is None:
        return sign_in.start_again()
    user, state = found
    if two_factor.confirmed(user) is not None:  # set up meanwhile, in another tab
        return sign_in.start_again()
    return _set_up_page(user, now, state["next"] or None)


def _set_up_page(user: User, now: datetime, next_url: str | None):
    """Show the QR code and the secret, and confirm with a code; then the recovery codes."""
    row = two_factor.pending(user, now)
    db.session.commit()
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm(user, row, form.code.data, user, now)
        except ValueError:
            form.code.errors.append("Enter the 6-digit code your app shows now")
        else:
            db.session.commit()
            if not current_user.is_authenticated:
                sign_in.complete(user, next_url)
            return render_template(
                "auth/recovery_codes.html",
                codes=codes,
                next_url=next_url or url_for(landing_endpoint(user.role)),
            )
    return render_template(
        "auth/two_factor_set_up.html",
        form=form,
        qr=two_factor.qr_code(user, row),
        secret=two_factor.secret_shown(row),
        required=two_factor.required_for(user),
    )


# --- A signed-in user's own second factor -------------------------------------------------------


@bp.route("/account/two-factor", methods=["GET", "POST"])
@roles_required(*ROLES)
def account():
    if current_user.link_referral_id is not None:  # a signed link's stand-in: no account
        return redirect(url_for(landing_endpoint(current_user.role)))
    user = current_user._get_current_object()
    now = clock.utcnow()
    if two_factor.confirmed(user) is None:
        return _set_up_page(user, now, url_for("two_factor.account"))
    reset, regenerate = ResetForm(prefix="reset"), RegenerateForm(prefix="new")
    if reset.submit.data and reset.validate_on_submit():
        if not check_password_hash(user.password_hash, reset.current_password.data):
            reset.current_password.errors.append("Your current password is not correct")
        elif two_factor.check(user, reset.code.data, now) is None:
            reset.code.errors.append(WRONG_CODE)
        else:
            two_factor.remove(user)
            audit.record(user, "two_factor_reset", now, subject=user.email)
            db.session.commit()
            return redirect(url_for("two_factor.account"))
        db.session.commit()  # a recovery code tried and used stays used
    elif regenerate.submit.data and regenerate.validate_on_submit():
        if two_factor.check(user, regenerate.code.data, now, recovery=False) is not None:
            codes = two_factor.new_recovery_codes(user, now)
            db.session.commit()
            return render_template(
                "auth/recovery_codes.html", codes=codes, next_url=url_for("two_factor.account")
            )
        db.session.commit()
        regenerate.code.errors.append("Enter the 6-digit code your app shows now")
    return render_template(
        "auth/two_factor_account.html",
        reset=reset,
        regenerate=regenerate,
        left=two_factor.recovery_codes_left(user),
    )
