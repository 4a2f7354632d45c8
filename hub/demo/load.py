"""A demo hub for Lambeth and Southwark: the SAIL questionnaire, its partner agencies, the hub,
a few referrer organisations and one user per role. For development only.

The partner agencies come from ``partners/demo_directory.json``, an Open Referral UK file read by
the same import as ``flask --app hub directory import``, and the questionnaire from
``questionnaires/banks/sail.toml`` through the same publishing as ``questionnaires publish``.
Their contact details are fictional: emails on example.org, and no SMS duty numbers (Ofcom's
numbers kept for drama, 07700 900xxx, cannot take a text, and any valid mobile may be a real
person's): set one with ``flask --app hub partners sms SLUG NUMBER``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from hub import areas
from hub.auth import accounts
from hub.models import ROLES
from hub.referrals import questionnaire_versions
from partners import agencies, oruk
from partners.directory import SmsNumberError, sms_duty_number
from questionnaires import load_bank

DEMO_DIRECTORY = Path(oruk.__file__).resolve().parent / "demo_directory.json"

HUB_ORGANISATION = ("age-uk-lambeth-southwark", "Age UK Lambeth and Southwark (SAIL hub)")
REFERRERS = (
    ("lambeth-adult-social-care", "Lambeth Council Adult Social Care"),
    ("southwark-community-nursing", "Southwark Community Nursing"),
    ("brixton-hill-gp-practice", "Brixton Hill GP Practice"),
    ("peckham-good-neighbours", "Peckham Good Neighbours (VCS)"),
)
DEMO_DOMAIN = "demo.sail.example"
PARTNERS_WITH_ACCOUNTS = ("lfb-home-fire-safety",)


@dataclass(frozen=True)
class DemoUser:
    email: str
    role: str
    organisation: str
    password: str


def demo_users() -> list[DemoUser]:
    organisation_for = {
        "frontline": REFERRERS[0][0],
        "hub": HUB_ORGANISATION[0],
        "partner": PARTNERS_WITH_ACCOUNTS[0],
        "manager": HUB_ORGANISATION[0],
        "admin": HUB_ORGANISATION[0],
    }
    return [
        DemoUser(f"{role}@{DEMO_DOMAIN}", role, organisation_for[role], f"demo-{role}-password")
        for role in ROLES
    ]


def load_demo(now: datetime) -> list[DemoUser]:
    """Create or update the demo hub; safe to run again. Returns the demo users."""
    areas.ensure_demo_areas(now)  # first: the boroughs the partners and clients are in
    accounts.ensure_organisation(HUB_ORGANISATION[0], "hub", now, name=HUB_ORGANISATION[1])
    for slug, name in REFERRERS:
        accounts.ensure_organisation(slug, "referrer", now, name=name)
    # The demo's own set-up is not recorded in the audit trail: nobody changed anything.
    directory = json.loads(DEMO_DIRECTORY.read_text(encoding="utf-8"))
    oruk.import_services(directory, None, now, audit_trail=False)
    for service in directory["contents"]:
        partner = accounts.find_organisation(service["sail_slug"])
        # Agencies without accounts in the demo open their referrals with a signed link and
        # a one-time code sent to their referral email.
        allowed = partner.slug not in PARTNERS_WITH_ACCOUNTS
        agencies.update(partner, {"allow_email_code": allowed}, None, now, audit_trail=False)
        _forget_unusable_sms_number(partner, now)
    questionnaire_versions.publish(load_bank("sail"), now)  # after its partners exist
    users = demo_users()
    for demo in users:
        if accounts.find_user(demo.email) is None:
            accounts.create_user(
                demo.email,
                demo.role,
                accounts.find_organisation(demo.organisation),
                demo.password,
                now,
                name=f"Demo {demo.role} user",
            )
    return users


def _forget_unusable_sms_number(partner, now: datetime) -> None:
    """Demo partners have no SMS duty number of their own; one set with ``flask --app hub partners
    sms`` stays. A number no text can reach, as older demos stored (07700 900xxx), is forgotten."""
    if partner.sms_number:
        try:
            sms_duty_number(partner.sms_number)
        except SmsNumberError:
            agencies.update(partner, {"sms_number": None}, None, now, audit_trail=False)
