"""The page an emailed account link opens: ``/account/set-password/<token>`` sets the user's
password once (``hub.auth.account_life``), for an invitation or a reset. Anyone with the link
may use it: the link is the proof. An expired, used or unknown link says so and changes
nothing."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput
from wtforms import PasswordField, SubmitField
from wtforms.validators import EqualTo, InputRequired

from hub.auth import account_life
from hub.auth.access import public
from hub.auth.accounts import AccountError
from hub.clock import utcnow
from hub.extensions import db
from hub.forms import HubForm

account_links = Blueprint("account_links", __name__, url_prefix="/account")


class SetPasswordForm(HubForm):
    password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description="At least 10 characters. A few unrelated words make a good password.",
        validators=[InputRequired(message="Enter a new password")],
    )
    confirm = PasswordField(
        "Confirm the new password",
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message="Enter the new password again"),
            EqualTo("password", message="The passwords do not match"),
        ],
    )
    submit = SubmitField("Set password", widget=GovSubmitInput())


def _problem(problem: account_life.LinkProblem):
    return render_template("account/link_problem.html", message=str(problem)), 410


@account_links.route("/set-password/<token>", methods=["GET", "POST"])
@public
def set_password(token: str):
    now = utcnow()
    try:
        link = account_life.link_for(token, now)
    except account_life.LinkProblem as problem:
        return _problem(problem)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = account_life.set_password(token, form.password.data, now)
        except account_life.LinkProblem as problem:
            db.session.rollback()
            return _problem(problem)
        except AccountError as error:
            db.session.rollback()
            form.password.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Your password is set. Sign in as {user.email} with it.", "success")
            return redirect(url_for("auth.login"))
    invited = link.purpose == account_life.INVITE
    return render_template("account/set_password.html", form=form, invited=invited)
