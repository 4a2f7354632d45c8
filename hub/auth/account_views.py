"""A signed-in user's own account: changing their password, and keeping a session alive from
the timeout warning (docs/design.md, "Sessions")."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, SubmitField
from wtforms.validators import InputRequired

from hub import clock
from hub.auth import accounts, sessions
from hub.auth.access import landing_endpoint, roles_required
from hub.extensions import db
from hub.forms import HubForm
from hub.models import ROLES

account = Blueprint("account", __name__, url_prefix="/account")


class PasswordForm(HubForm):
    current_password = PasswordField(
        "Current password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your current password")],
    )
    new_password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter a new password")],
    )
    confirm_password = PasswordField(
        "Confirm new password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter the new password again")],
    )
    submit = SubmitField("Change password", widget=GovSubmitInput())

    def check(self, user) -> bool:
        """The form's own checks, then the password's: each problem on its field."""
        if not self.validate_on_submit():
            return False
        if not check_password_hash(user.password_hash, self.current_password.data):
            self.current_password.errors.append("Your current password is not correct")
            return False
        try:
            accounts.check_password_strength(self.new_password.data)
        except accounts.AccountError as problem:
            self.new_password.errors.append(str(problem))
            return False
        if self.confirm_password.data != self.new_password.data:
            self.confirm_password.errors.append("The passwords do not match")
            return False
        return True


@account.route("/password", methods=["GET", "POST"])
@roles_required(*ROLES)
def change_password():
    # A partner's signed-link stand-in has no password of its own to change.
    if current_user.link_referral_id is not None:
        return redirect(url_for(landing_endpoint(current_user.role)))
    user = current_user._get_current_object()
    form = PasswordForm()
    if form.check(user):
        now = clock.utcnow()
        user.password_hash = generate_password_hash(
            form.new_password.data, method=current_app.config["PASSWORD_HASH_METHOD"]
        )
        # Anyone else holding this user's session (a copied cookie, another browser) is out.
        sessions.end_all(user, now, keep=sessions.current())
        db.session.commit()
        flash("Your password has been changed. You were signed out everywhere else.", "success")
        return redirect(url_for(landing_endpoint(user.role)))
    return render_template("auth/password.html", form=form)


@account.post("/keep-alive")
@roles_required(*ROLES)
def keep_alive():
    """ "Stay signed in" on the timeout warning: the session counts as used now."""
    sessions.touch(sessions.current(), clock.utcnow(), force=True)
    db.session.commit()
    return "", 204
