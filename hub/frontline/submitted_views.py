"""What became of the people a referrer referred (``/questionnaires/submitted/...``)."""

from __future__ import annotations

from flask import Blueprint

referrer = Blueprint("referrer", __name__, url_prefix="/questionnaires/submitted")
