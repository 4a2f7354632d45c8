"""Signed links to one referral, for partner agencies without accounts (``/partner/links/...``)."""

from __future__ import annotations

from flask import Blueprint

partner_links = Blueprint("partner_links", __name__, url_prefix="/partner/links")
