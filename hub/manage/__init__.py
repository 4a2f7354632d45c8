"""Managers' pages (docs/design.md: ``/manage/...``): the turnaround and outcome dashboard, and the
pseudonymised exports for evaluation. The figures themselves come from ``hub.figures.report``."""

from flask import Blueprint

manage = Blueprint("manage", __name__, url_prefix="/manage")

from hub.manage import dashboard, export_views  # noqa: E402, F401  (registers routes)
