"""The hub's follow-up with clients about four weeks on (``/hub/follow-ups/...``)."""

from __future__ import annotations

from flask import Blueprint

follow_ups = Blueprint("follow_ups", __name__, url_prefix="/hub/follow-ups")
