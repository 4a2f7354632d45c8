"""The SLA clock: every deadline the hub keeps is computed here, from the settings in DESIGN.md.

Deadlines are stored on the referral when it enters a stage, so changing a setting later never
rewrites history.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app


def forward_due(received_at: datetime) -> datetime:
    """The hub forwards each flag within HUB_FORWARD_SLA_HOURS of receiving the questionnaire."""
    return received_at + timedelta(hours=current_app.config["HUB_FORWARD_SLA_HOURS"])


def contact_due(forwarded_at: datetime) -> datetime:
    """The partner contacts the client within HUB_CONTACT_SLA_DAYS of being forwarded the flag."""
    return forwarded_at + timedelta(days=current_app.config["HUB_CONTACT_SLA_DAYS"])


def follow_up_due(received_at: datetime) -> datetime:
    """The hub asks the client whether their needs were met HUB_FOLLOW_UP_DAYS after receiving
    the questionnaire."""
    return received_at + timedelta(days=current_app.config["HUB_FOLLOW_UP_DAYS"])


def unable_to_contact_attempts() -> int:
    """How many recorded attempts a partner needs before closing as unable to contact."""
    return current_app.config["HUB_UNABLE_TO_CONTACT_ATTEMPTS"]
