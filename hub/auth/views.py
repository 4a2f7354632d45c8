"""Signing in and out, and the home page that sends each role to where it starts."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import InputRequired

from hub.auth import accounts, sessions
from hub.auth.access import landing_endpoint, public
from hub.forms import HubForm
from hub.models import User

bp = Blueprint("auth", __name__)


def load_user(user_id: str) -> User | None:
    """Only while the cookie's server-side session is live (``hub.auth.sessions``)."""
    return sessions.load_user(user_id)


class SignInForm(HubForm):
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter your email address")],
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your password")],
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for(landing_endpoint(current_user.role)))
    form = SignInForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            form.email.errors.append("Enter a correct email address and password")
        else:
            session.clear()
            session.permanent = True
            login_user(user)
            return redirect(
                _safe_next(request.args.get("next")) or url_for(landing_endpoint(user.role))
            )
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@public
def logout():
    logout_user()
    session.clear()
    flash("You have signed out", "success")
    return redirect(url_for("auth.login"))


@bp.get("/")
@public
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(landing_endpoint(current_user.role)))


__all__ = ["bp", "load_user", "login_required"]
