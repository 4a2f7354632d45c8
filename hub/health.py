"""``GET /healthz`` and the GOV.UK Frontend assets."""

from pathlib import Path

from flask import Blueprint, current_app, jsonify, send_from_directory
from sqlalchemy import text

from hub.auth.access import public
from hub.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:  # any database failure means unhealthy
        current_app.logger.error("health check failed: %s", error)
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.get("/assets/<path:filename>")
@public
def govuk_assets(filename: str):
    """GOV.UK Frontend's fonts and images, which its stylesheet asks for under /assets/."""
    folder = Path(current_app.static_folder) / "govuk" / "assets"
    return send_from_directory(folder, filename, max_age=86400)
