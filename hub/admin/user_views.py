"""Admin pages for user accounts (``/admin/users``): search and paging, a user's page with their
history, and inviting, changing a role or organisation, deactivating and reactivating, sending a
password reset and revoking API tokens, each a POST with CSRF and a success banner. Admins only.

(``/admin/people`` is about clients, the people referred: ``hub.admin.people``.)
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from hub import audit
from hub.admin import users
from hub.admin.admin_forms import ROLE_HINTS, ChangeRoleForm, ConfirmForm, InviteForm
from hub.auth import account_life
from hub.auth.access import acting_user, roles_required
from hub.auth.accounts import AccountError
from hub.clock import utcnow
from hub.extensions import db
from hub.pagination import PageNotFound

admin_users = Blueprint("admin_users", __name__, url_prefix="/admin/users")

ADMINS = ("admin",)


def _user_or_404(user_id: int):
    user = users.account(user_id)
    if user is None:
        abort(404)
    return user


def _to_user(user, message: str):
    flash(message, "success")
    return redirect(url_for("admin_users.user", user_id=user.id))


@admin_users.get("")
@roles_required(*ADMINS)
def user_list():
    text = (request.args.get("q") or "").strip()[:200]
    try:
        page = users.search(text, request.args.get("page", default=1, type=int))
    except PageNotFound:
        abort(404)
    return render_template(
        "admin/users/list.html",
        page=page,
        q=text,
        args={"q": text} if text else {},
        roles=users.ROLE_WORDS,
    )


@admin_users.route("/invite", methods=["GET", "POST"])
@roles_required(*ADMINS)
def invite():
    form = InviteForm(users.organisation_choices())
    if form.validate_on_submit():
        try:
            user = users.invite(
                form.email.data,
                form.name.data,
                form.role.data,
                form.organisation.data,
                acting_user(),
                utcnow(),
            )
        except users.Refused as refused:
            db.session.rollback()
            form.refused(refused.fields)
        else:
            db.session.commit()
            return _to_user(user, f"{user.email} is invited: the link to set a password is emailed")
    status = 422 if form.errors else 200
    return render_template("admin/users/invite.html", form=form, role_hints=ROLE_HINTS), status


@admin_users.get("/<int:user_id>")
@roles_required(*ADMINS)
def user(user_id: int):
    user = _user_or_404(user_id)
    now = utcnow()
    return render_template(
        "admin/users/user.html",
        user=user,
        last_sign_in=users.last_sign_in(user),
        invited=users.waiting_for_password(user),
        live_tokens=users.live_tokens(user, now),
        history=audit.about(user.email),
        actions=audit.ACTIONS,
        roles=users.ROLE_WORDS,
        form=ConfirmForm(),
    )


@admin_users.route("/<int:user_id>/role", methods=["GET", "POST"])
@roles_required(*ADMINS)
def change_role(user_id: int):
    user = _user_or_404(user_id)
    form = ChangeRoleForm(
        users.organisation_choices(),
        data={"role": user.role, "organisation": user.organisation.slug},
    )
    if form.validate_on_submit():
        try:
            users.change(user, form.role.data, form.organisation.data, acting_user(), utcnow())
        except users.Refused as refused:
            db.session.rollback()
            form.refused(refused.fields)
        else:
            db.session.commit()
            return _to_user(
                user,
                f"{user.email} is now a {users.ROLE_WORDS[user.role].lower()} of "
                f"{user.organisation.name}",
            )
    status = 422 if form.errors else 200
    return render_template(
        "admin/users/role.html", form=form, user=user, role_hints=ROLE_HINTS
    ), status


# Each action: what the confirmation page says, and what the banner says once done.
CONFIRMATIONS = {
    "deactivate": (
        "Deactivate this user?",
        "They will be signed out everywhere, cannot sign in, and their API tokens stop working. "
        "You can reactivate them later.",
        "Deactivate user",
    ),
    "activate": (
        "Reactivate this user?",
        "They can sign in again. API tokens revoked before stay revoked.",
        "Reactivate user",
    ),
    "revoke-tokens": (
        "Revoke this user’s API tokens?",
        "Every API token of theirs stops working now. This cannot be undone: they will need new "
        "tokens.",
        "Revoke API tokens",
    ),
    "password-reset": (
        "Send a password reset link?",
        "They will be emailed a link to set a new password. Their current password works until "
        "they do.",
        "Send the link",
    ),
}


def _act(action: str, user, actor, now) -> str:
    """Do ``action`` to ``user``: the banner's words; ``AccountError`` if it is refused."""
    if action == "deactivate":
        users.switch_active(user, False, actor, now)
        return f"{user.email} is deactivated: signed out, and their API tokens answer 401"
    if action == "activate":
        users.switch_active(user, True, actor, now)
        return f"{user.email} is reactivated: they can sign in again"
    if action == "revoke-tokens":
        revoked = account_life.revoke_tokens(user.email, actor, now)
        return f"Revoked {revoked} API {'token' if revoked == 1 else 'tokens'} of {user.email}"
    account_life.send_reset(user.email, actor, now)
    return f"{user.email} is emailed a link to set a new password"


@admin_users.route("/<int:user_id>/deactivate", methods=["GET", "POST"])
@roles_required(*ADMINS)
def deactivate(user_id: int):
    return _confirm(user_id, "deactivate")


@admin_users.route("/<int:user_id>/activate", methods=["GET", "POST"])
@roles_required(*ADMINS)
def activate(user_id: int):
    return _confirm(user_id, "activate")


@admin_users.route("/<int:user_id>/revoke-tokens", methods=["GET", "POST"])
@roles_required(*ADMINS)
def revoke_tokens(user_id: int):
    return _confirm(user_id, "revoke-tokens")


@admin_users.route("/<int:user_id>/password-reset", methods=["GET", "POST"])
@roles_required(*ADMINS)
def password_reset(user_id: int):
    return _confirm(user_id, "password-reset")


def _confirm(user_id: int, action: str):
    """A confirmation page (GET) and the action itself (POST, CSRF)."""
    user = _user_or_404(user_id)
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        try:
            message = _act(action, user, acting_user(), utcnow())
        except users.Refused as refused:
            db.session.rollback()
            error = refused.fields["active"]
        except AccountError as refused:
            db.session.rollback()
            error = str(refused)
        else:
            db.session.commit()
            return _to_user(user, message)
    heading, explanation, button = CONFIRMATIONS[action]
    return render_template(
        "admin/users/confirm.html",
        user=user,
        form=form,
        error=error,
        heading=heading,
        explanation=explanation,
        button=button,
        destructive=action in ("deactivate", "revoke-tokens"),
    ), (422 if error else 200)
