"""JSON API v1 (docs/design.md, "JSON API v1"): bearer tokens, JSON in and out, times in UTC with Z.

The routes live in one module per resource; importing them here registers them on ``api``.
"""

from flask import Blueprint

api = Blueprint("api", __name__, url_prefix="/api/v1")

from hub.api import (  # noqa: E402, F401  (registers routes)
    admin_areas,
    admin_users,
    consent,
    follow_ups,
    messages,
    questionnaires,
    referrals,
    stats,
    submissions,
)
from hub.api.parsing import register_error_handlers  # noqa: E402

register_error_handlers(api)
