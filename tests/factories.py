"""Test data. ``client_details`` and ``sail_answers`` give valid input to adjust."""

from __future__ import annotations

from datetime import date

from hub.auth import accounts
from hub.referrals import questionnaire_versions
from hub.referrals.client_details import clean_client_details
from hub.referrals.submissions import submit_questionnaire

SAIL_KEYS = (
    "smoke_alarms", "fire_risk", "home_security", "scams", "personal_alarm",
    "falls", "smoking", "alcohol_drugs", "memory", "caring", "lonely", "active", "eating",
    "low_mood", "cold_home", "repairs", "benefits", "money_worries",
)  # fmt: skip


def client_details(**overrides) -> dict:
    details = {
        "given_name": "Edna",
        "family_name": "Clarke",
        "date_of_birth": "1941-05-17",
        "address": "12 Acre Lane, London",
        "postcode": "SW2 5SG",
        "borough": "lambeth",
        "phone": "020 7946 0123",
        "email": None,
        "preferred_contact": "phone",
        "contact_times": "Mornings",
    }
    details.update(overrides)
    return details


def sail_answers(*yes: str) -> dict[str, bool]:
    unknown = set(yes) - set(SAIL_KEYS)
    assert not unknown, unknown
    return {key: key in yes for key in SAIL_KEYS}


def submit(user, now, yes=("smoke_alarms", "falls", "lonely"), **detail_overrides):
    """Submit a SAIL questionnaire as ``user`` (a User row) through the real service."""
    version = questionnaire_versions.latest("sail")
    details, errors = clean_client_details(
        client_details(**detail_overrides), now.date(), ("lambeth", "southwark")
    )
    assert not errors, errors
    return submit_questionnaire(version, details, sail_answers(*yes), user, now).submission


def user(role: str):
    return accounts.find_user(f"{role}@demo.sail.example")


__all__ = ["client_details", "date", "sail_answers", "submit", "user"]
