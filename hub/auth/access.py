"""Who may use each route. Every view declares it; a guard test fails for one that does not.

``roles_required`` is for pages (a signed-in session); ``hub.api.auth.api_roles`` is the API's
equivalent with bearer tokens. ``public`` marks the few routes anyone may reach. ``acting_user``
is who a request acts for, on a page or through the API alike.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import true

from hub.models import ROLES, Referral, Submission, User

PUBLIC = "public"


def public(view):
    view.access = PUBLIC
    return view


def roles_required(*roles: str):
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        guarded.access = tuple(roles)
        return guarded

    return decorate


def acting_user() -> User:
    """The user this request acts for, as a row (not Flask-Login's proxy) to record as the actor:
    the owner of the API token (``hub.api.auth.api_roles`` sets ``g.api_user`` while its view
    runs), or else the signed-in user."""
    api_user = g.get("api_user")
    if api_user is not None:
        return api_user
    return current_user._get_current_object()


def landing_endpoint(role: str) -> str:
    """Where each role starts after signing in."""
    return {
        "frontline": "frontline.start",
        "hub": "hub_views.queue",
        "partner": "partner_portal.inbox",
        "manager": "manage.dashboard",
        "admin": "hub_views.queue",
    }[role]


def referrals_visible_to(user: User):
    """The SQL condition for the referrals a user may see. A partner sees its own agency's
    referrals from the moment they are forwarded to it, never another agency's; a referrer sees
    those from the questionnaires they submitted; hub staff, managers and admins see all."""
    if user.role == "partner":
        own = (Referral.partner_id == user.organisation_id) & Referral.forwarded_at.is_not(None)
        if user.link_referral_id is not None:  # opened one signed link with an emailed code
            return own & (Referral.id == user.link_referral_id)
        return own
    if user.role == "frontline":
        return Referral.submission_id.in_(
            Submission.__table__.select()
            .with_only_columns(Submission.id)
            .where(Submission.submitted_by_id == user.id)
        )
    return true()
