"""``/api/v1/admin/users`` and ``/api/v1/admin/organisations``: what the admins' pages do with
user accounts and the organisations that refer, for an admin's token (docs/design.md, "JSON
API v1"). The same rules as the pages (``hub.admin.users``, ``hub.admin.organisations``), the
same audit trail; a refusal is 422 naming each wrong field, and changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from flask import jsonify, request

from hub import audit, limits
from hub.admin import organisations, users
from hub.api import api
from hub.api.auth import api_roles
from hub.api.parsing import ApiError, invalid, json_object, not_found, query_int
from hub.auth import account_life
from hub.auth.access import acting_user
from hub.auth.accounts import AccountError
from hub.clock import iso_z, utcnow
from hub.extensions import db
from hub.models import Organisation, User
from hub.pagination import PageNotFound
from hub.urls import external_url

ADMINS = ("admin",)
USER_CHANGES = ("role", "organisation", "active")
ORGANISATION_CHANGES = ("name", "active")


def _user(user: User, last_sign_in: datetime | None) -> dict:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "organisation": user.organisation.slug,
        "active": user.active,
        "password_set": not users.waiting_for_password(user),
        "created_at": iso_z(user.created_at),
        "last_sign_in_at": iso_z(last_sign_in) if last_sign_in else None,
    }


def _event(event: audit.AuditEvent) -> dict:
    return {
        "at": iso_z(event.created_at),
        "actor": event.actor,
        "action": event.action,
        "details": event.details or {},
    }


def _user_in_full(user: User) -> dict:
    return {
        **_user(user, users.last_sign_in(user)),
        "live_tokens": users.live_tokens(user, utcnow()),
        "history": [_event(event) for event in audit.about(user.email)],
    }


def _organisation(organisation: Organisation, active_users: int) -> dict:
    return {
        "id": organisation.id,
        "slug": organisation.slug,
        "name": organisation.name,
        "active": organisation.active,
        "created_at": iso_z(organisation.created_at),
        "active_users": active_users,
    }


def _account_or_404(user_id: int) -> User:
    user = users.account(user_id)
    if user is None:
        raise not_found("No user with that id.")
    return user


def _refused(fields: dict[str, str]) -> ApiError:
    db.session.rollback()
    return invalid(fields)


def _only(body: dict, allowed: tuple[str, ...]) -> None:
    unknown = [key for key in body if key not in allowed]
    if unknown:
        raise invalid({key: f"Send only {', '.join(allowed)}" for key in unknown})
    if not body:
        raise invalid({"body": f"Send at least one of {', '.join(allowed)}"})


def _active_flag(body: dict) -> bool | None:
    value = body.get("active")
    if value is not None and not isinstance(value, bool):
        raise invalid({"active": "active must be true or false"})
    return value


# --- Users ---------------------------------------------------------------------------------------


@api.get("/admin/users")
@api_roles(*ADMINS)
def list_users():
    """A numbered page of users, by name, like the page: ``q`` (name or email), ``page``."""
    text = request.args.get("q", "")
    problem = limits.text_problem(text, "q", limits.SHORT_TEXT)
    if problem:
        raise invalid({"q": problem})
    number = query_int("page", 1, 1)
    try:
        page = users.search(text, number)
    except PageNotFound:
        raise not_found(f"There is no page {number}.") from None
    arguments = {"q": text} if text else {}
    return jsonify(
        {
            "items": [_user(row.user, row.last_sign_in) for row in page.items],
            "page": page.number,
            "pages": page.pages,
            "total": page.total,
            "next": external_url("api.list_users", page=page.number + 1, **arguments)
            if page.has_next
            else None,
        }
    )


@api.post("/admin/users")
@api_roles(*ADMINS)
def invite_user():
    """Invite: ``{email, name, role, organisation}``; the user is emailed a link."""
    body = json_object()
    for field in ("email", "name", "role", "organisation"):
        if body.get(field) is not None and not isinstance(body[field], str):
            raise invalid({field: f"{field} must be text"})
    try:
        user = users.invite(
            body.get("email"),
            body.get("name"),
            body.get("role"),
            body.get("organisation"),
            acting_user(),
            utcnow(),
        )
    except users.Refused as refused:
        raise _refused(refused.fields) from None
    db.session.commit()
    response = jsonify(_user_in_full(user))
    response.status_code = 201
    response.headers["Location"] = external_url("api.show_user", user_id=user.id)
    return response


@api.get("/admin/users/<int:user_id>")
@api_roles(*ADMINS)
def show_user(user_id: int):
    """The user, their live API tokens and their history, newest first."""
    return jsonify(_user_in_full(_account_or_404(user_id)))


@api.patch("/admin/users/<int:user_id>")
@api_roles(*ADMINS)
def change_user(user_id: int):
    """``{role?, organisation?, active?}``: what is sent and differs is changed, all or nothing."""
    user = _account_or_404(user_id)
    body = json_object()
    _only(body, USER_CHANGES)
    active = _active_flag(body)
    role = body.get("role", user.role)
    organisation = body.get("organisation", user.organisation.slug)
    actor, now = acting_user(), utcnow()
    try:
        if (role, organisation) != (user.role, user.organisation.slug):
            users.change(user, role, organisation, actor, now)
        if active is not None and active != user.active:
            users.switch_active(user, active, actor, now)
    except users.Refused as refused:
        raise _refused(refused.fields) from None
    db.session.commit()
    return jsonify(_user_in_full(user))


@api.post("/admin/users/<int:user_id>/revoke-tokens")
@api_roles(*ADMINS)
def revoke_user_tokens(user_id: int):
    user = _account_or_404(user_id)
    revoked = account_life.revoke_tokens(user.email, acting_user(), utcnow())
    db.session.commit()
    return jsonify({"user": _user_in_full(user), "revoked": revoked})


@api.post("/admin/users/<int:user_id>/password-reset")
@api_roles(*ADMINS)
def send_password_reset(user_id: int):
    """Email the user a link to set a new password; 202, as the email is on its way."""
    user = _account_or_404(user_id)
    try:
        account_life.send_reset(user.email, acting_user(), utcnow())
    except AccountError as error:
        raise _refused({error.field or "active": str(error)}) from None
    db.session.commit()
    return jsonify({"user": _user_in_full(user), "sent": True}), 202


# --- Organisations that refer --------------------------------------------------------------------


def _organisation_in_full(organisation: Organisation) -> dict:
    return {
        **_organisation(organisation, len(organisations.active_users(organisation))),
        "history": [_event(event) for event in organisations.history(organisation)],
    }


@api.get("/admin/organisations")
@api_roles(*ADMINS)
def list_organisations():
    """Every organisation that refers, active ones first, by name."""
    rows = organisations.referrers()
    return jsonify({"items": [_organisation(row, count) for row, count in rows]})


@api.post("/admin/organisations")
@api_roles(*ADMINS)
def add_organisation():
    """``{name}``: a new organisation that refers, its slug made from the name."""
    body = json_object()
    try:
        organisation = organisations.add(body.get("name"), acting_user(), utcnow())
    except AccountError as error:
        raise _refused({error.field or "name": str(error)}) from None
    db.session.commit()
    response = jsonify(_organisation_in_full(organisation))
    response.status_code = 201
    response.headers["Location"] = external_url(
        "api.show_organisation", organisation_id=organisation.id
    )
    return response


def _referrer_or_404(organisation_id: int) -> Organisation:
    organisation = organisations.referrer(organisation_id)
    if organisation is None:
        raise not_found("No organisation that refers has that id.")
    return organisation


@api.get("/admin/organisations/<int:organisation_id>")
@api_roles(*ADMINS)
def show_organisation(organisation_id: int):
    return jsonify(_organisation_in_full(_referrer_or_404(organisation_id)))


@api.patch("/admin/organisations/<int:organisation_id>")
@api_roles(*ADMINS)
def change_organisation(organisation_id: int):
    """``{name?, active?}``: rename, deactivate (its users too) or reactivate."""
    organisation = _referrer_or_404(organisation_id)
    body = json_object()
    _only(body, ORGANISATION_CHANGES)
    active = _active_flag(body)
    actor, now = acting_user(), utcnow()
    try:
        if "name" in body and body["name"] != organisation.name:
            organisations.rename(organisation, body["name"], actor, now)
        if active is True and not organisation.active:
            organisations.activate(organisation, actor, now)
        elif active is False and organisation.active:
            organisations.deactivate(organisation, actor, now)
    except AccountError as error:
        raise _refused({error.field or "name": str(error)}) from None
    db.session.commit()
    return jsonify(_organisation_in_full(organisation))
