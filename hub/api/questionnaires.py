"""``GET /api/v1/questionnaires``: what can be submitted, and where each "yes" goes."""

from flask import jsonify

from hub.api import api, serialise
from hub.api.auth import api_roles
from hub.models import ROLES
from hub.referrals.questionnaire_versions import published


@api.get("/questionnaires")
@api_roles(*ROLES)
def list_questionnaires():
    """A plain list, as docs/design.md describes it: there are only ever a few, so no pages."""
    return jsonify([serialise.questionnaire(version) for version in published()])
