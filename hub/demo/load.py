"""A demo hub for Lambeth and Southwark: the SAIL questionnaire, its partner agencies, the hub,
a few referrer organisations and one user per role. For development only.

Demo partners get no SMS duty number (any valid mobile may be a real person's): set one with
``flask --app hub partners sms SLUG NUMBER``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub import areas
from hub.auth import accounts
from hub.models import ROLES
from hub.referrals import questionnaire_versions
from partners.directory import DEMO_PARTNERS, SmsNumberError, sms_duty_number
from questionnaires import load_bank

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
    for listing in DEMO_PARTNERS:
        partner = accounts.ensure_organisation(
            listing.slug,
            "partner",
            now,
            name=listing.name,
            description=listing.description,
            referral_email=listing.referral_email,
            # Agencies without accounts in the demo open their referrals with a signed link and
            # a one-time code sent to their referral email.
            allow_email_code=listing.slug not in PARTNERS_WITH_ACCOUNTS,
        )
        _forget_unusable_sms_number(partner)
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


def _forget_unusable_sms_number(partner) -> None:
    """Demo partners have no SMS duty number of their own (``partners.directory``); one set with
    ``flask --app hub partners sms`` stays. A number no text can reach, as older demos stored
    (07700 900xxx), is forgotten."""
    if partner.sms_number:
        try:
            sms_duty_number(partner.sms_number)
        except SmsNumberError:
            partner.sms_number = None
