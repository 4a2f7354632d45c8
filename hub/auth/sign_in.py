"""The steps of signing in that the sign-in page and the second factor's pages share
(docs/design.md, "Sign-in" and "Second factor"): the locked page, the half-signed-in state
between the password and the code, and signing in for real.

Between the password and the code the user is half signed in: Flask's session holds only their
id and when the password was right (``PENDING_KEY``), and ``login_user`` has not been called,
so no page but the second factor's opens. That state lasts ``PENDING_MINUTES`` for the code and
``SETUP_MINUTES`` for a set-up (installing an app takes longer).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import make_response, redirect, render_template, session, url_for
from flask_login import login_user

from hub.auth import throttle, two_factor
from hub.auth.access import landing_endpoint
from hub.extensions import db
from hub.models import User

PENDING_KEY = "hub_two_factor"
PENDING_MINUTES = 5
SETUP_MINUTES = 15


def locked_page(until, now):
    """The same page whether or not the account exists (docs/design.md, "Sign-in")."""
    seconds = int((until - now).total_seconds())
    minutes = max(1, -(-seconds // 60))
    response = make_response(render_template("auth/locked.html", minutes=minutes), 429)
    response.headers["Retry-After"] = str(seconds)
    return response


def after_password(user: User, next_url: str | None, now: datetime):
    """The password was right: ask for the code, or for a set-up, where the user has or needs
    a second factor; else sign them in. A redirect."""
    setup = two_factor.confirmed(user) is None
    if setup and not two_factor.required_for(user):
        return complete(user, next_url)
    session.clear()
    session[PENDING_KEY] = {
        "user": user.id,
        "at": now.isoformat(),
        "next": next_url or "",
        "setup": setup,
    }
    return redirect(url_for("two_factor.set_up" if setup else "two_factor.code"))


def complete(user: User, next_url: str | None):
    """Sign the user in, for real: a new session (``hub.auth.sessions``); the account's failed
    sign-ins no longer count against it."""
    throttle.forget_account(user.email)
    db.session.commit()
    session.clear()
    session.permanent = True
    login_user(user)
    return redirect(next_url or url_for(landing_endpoint(user.role)))


def pending(now: datetime, setup: bool) -> tuple[User, dict] | None:
    """The half-signed-in user and their state, if still valid, for the code (``setup`` False)
    or for a set-up."""
    state = session.get(PENDING_KEY)
    if not isinstance(state, dict) or bool(state.get("setup")) != setup:
        return None
    try:
        started = datetime.fromisoformat(state["at"])
    except (KeyError, TypeError, ValueError):
        return None
    minutes = SETUP_MINUTES if setup else PENDING_MINUTES
    user = db.session.get(User, state.get("user") or 0)
    if now - started > timedelta(minutes=minutes) or user is None or not user.active:
        return None
    return user, state


def start_again():
    session.pop(PENDING_KEY, None)
    return redirect(url_for("auth.login"))
