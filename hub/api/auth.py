"""Bearer-token authentication for the API, and who may use each route.

``api_roles`` is the API's ``roles_required``: it sets ``view.access`` for the route guard test,
answers 401 for a missing, unknown, revoked or expired token (or a deactivated user's; the
error's code says which: ``unauthorised``, ``token_revoked``, ``token_expired``,
``account_deactivated``) and 403 for a role that may not use the route.
"""

from __future__ import annotations

from functools import wraps

from flask import g, request

from hub.auth.accounts import TokenRefused, user_for_token
from hub.clock import utcnow
from hub.errors import api_error
from hub.models import ROLES

REALM = 'Bearer realm="SAIL hub"'


def _bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _unauthorised(message: str, challenge: str, code: str = "unauthorised"):
    response, status = api_error(401, code, message)
    response.headers["WWW-Authenticate"] = challenge
    return response, status


def api_roles(*roles: str):
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValueError(f"unknown roles: {sorted(unknown)}")

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            token = _bearer_token()
            if token is None:
                return _unauthorised(
                    "Send an API token in the header: Authorization: Bearer <token>", REALM
                )
            try:
                user = user_for_token(token, utcnow())
            except TokenRefused as refused:
                return _unauthorised(
                    refused.message, f'{REALM}, error="invalid_token"', code=refused.code
                )
            if user.role not in roles:
                return api_error(403, "forbidden", "Your role may not use this part of the API.")
            # For ``hub.auth.access.acting_user``; removed after the view, as ``g`` can outlive
            # the request (a test's app context holds several).
            g.api_user = user
            try:
                return view(*args, **kwargs)
            finally:
                g.pop("api_user", None)

        guarded.access = tuple(roles)
        return guarded

    return decorate
