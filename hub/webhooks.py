"""``/webhooks/...``: calls from providers, not people. Each is guarded by the provider's own
signature instead of a session or a token, so the blueprint is CSRF-exempt.

``POST /webhooks/twilio/status`` takes Twilio's delivery receipts (docs/design.md, "JSON API v1").
Twilio signs the URL it was told to call, which is the public one, so the signature is checked
against ``HUB_BASE_URL`` + path, not the URL this app sees behind a proxy.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, request
from twilio.request_validator import RequestValidator

from hub.auth.access import public
from hub.clock import utcnow
from hub.errors import api_error
from hub.extensions import db
from notifications import receipts

log = logging.getLogger(__name__)

webhooks = Blueprint("webhooks", __name__, url_prefix="/webhooks")


def public_url() -> str:
    """The URL Twilio called, as the public sees it: ``HUB_BASE_URL``, path and query string."""
    url = current_app.config["HUB_BASE_URL"].rstrip("/") + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    return url


def _signed_by_twilio() -> bool:
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    signature = request.headers.get("X-Twilio-Signature")
    if not token:
        log.warning("A Twilio receipt was refused: TWILIO_AUTH_TOKEN is not set")
        return False
    if not signature:
        return False
    return RequestValidator(token).validate(public_url(), request.form, signature)


@webhooks.post("/twilio/status")
@public  # Twilio calls it; the X-Twilio-Signature checked first is its guard
def twilio_status():
    if not _signed_by_twilio():
        return api_error(
            403, "forbidden", "This request does not carry a valid X-Twilio-Signature."
        )
    sid = request.form.get("MessageSid", "").strip()
    status = request.form.get("MessageStatus", "").strip().lower()
    if not sid or not status:
        missing = {
            field: f"{field} is required"
            for field, value in (("MessageSid", sid), ("MessageStatus", status))
            if not value
        }
        return api_error(422, "invalid", "Some details are missing or wrong: see fields.", missing)
    outcome = receipts.apply_receipt(
        sid, status, request.form.get("ErrorCode", "").strip() or None, utcnow()
    )
    db.session.commit()
    if outcome in (receipts.UNKNOWN, receipts.HELD):
        return "", 200  # not ours, or not yet recorded (held): 200 so Twilio does not try again
    return "", 204
