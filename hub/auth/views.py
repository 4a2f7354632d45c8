"""Signing in and out, and the home page that sends each role to where it starts."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, logout_user
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import InputRequired

from hub.auth import accounts, sessions, sign_in, throttle
from hub.auth.access import landing_endpoint, public
from hub.clock import utcnow
from hub.extensions import db
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
        now, address = utcnow(), request.remote_addr
        locked = throttle.locked_until(form.email.data, address, now)
        if locked is not None:
            return sign_in.locked_page(locked, now)
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            throttle.record_failure(form.email.data, address, now)
            db.session.commit()
            form.email.errors.append("Enter a correct email address and password")
        else:
            # The second factor's code or set-up first, where the user has or needs one
            # (docs/design.md, "Second factor"); the account's failures count until then.
            next_url = _safe_next(request.args.get("next"))
            return sign_in.after_password(user, next_url, now)
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
