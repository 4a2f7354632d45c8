"""The local "asset map": the partner agencies a questionnaire's flags go to, finding them by
slug, and their SMS duty numbers.

``partner_by_slug``, ``partners_by_slug`` and ``partner_names`` are the one way the hub finds a
partner agency from its slug (a questionnaire's flag, a form's choice, the API's ``partner``).

``DEMO_PARTNERS`` is the Lambeth and Southwark demo hub's directory. Contact details are
fictional: emails on example.org, and no SMS duty numbers. Ofcom's numbers kept for drama
(07700 900xxx) are not valid numbers, so the hub would refuse them, and any valid mobile may
be a real person's. To try SMS with the demo, give a partner your own mobile:
``flask --app hub partners sms lfb-home-fire-safety "07911 123456"``.

``sms_duty_number`` is how any number becomes a partner's duty number: a UK mobile, stored in
E.164, so a number that cannot take a text is refused when it is entered, not when a message
is sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from hub.extensions import db
from hub.models import Organisation
from hub.referrals.client_details import DetailError, can_receive_sms, uk_phone

SMS_NUMBER_HINT = "Enter a UK mobile number, like 07911 123456"


def partner_by_slug(slug: str) -> Organisation | None:
    """The partner agency with that slug (active or not), or None."""
    return partners_by_slug({slug}).get(slug)


def partners_by_slug(slugs: Iterable[str]) -> dict[str, Organisation]:
    """The partner agencies with these slugs (active or not), by slug, in one query; a slug
    that names no partner agency is simply missing from the answer."""
    wanted = set(slugs)
    if not wanted:
        return {}
    return {
        partner.slug: partner
        for partner in db.session.scalars(
            select(Organisation).where(
                Organisation.slug.in_(wanted), Organisation.kind == "partner"
            )
        )
    }


def partner_names(slugs: Iterable[str]) -> dict[str, str]:
    """The names of the organisations with these slugs, by slug, in one query."""
    wanted = set(slugs)
    if not wanted:
        return {}
    rows = db.session.execute(
        select(Organisation.slug, Organisation.name).where(Organisation.slug.in_(wanted))
    )
    return dict(rows.all())


class SmsNumberError(ValueError):
    """Not a number a partner's duty SMS can go to; the message says why, for who typed it."""


def sms_duty_number(text: str) -> str:
    """A partner's SMS duty number as typed, in E.164 (``+447911123456``), or SmsNumberError."""
    try:
        number = uk_phone(text)
    except DetailError:
        raise SmsNumberError(f"{text!r} is not a UK phone number. {SMS_NUMBER_HINT}") from None
    if not can_receive_sms(number):
        raise SmsNumberError(f"{text!r} cannot receive text messages. {SMS_NUMBER_HINT}")
    return number


@dataclass(frozen=True)
class PartnerListing:
    slug: str
    name: str
    description: str
    referral_email: str


def _listing(slug: str, name: str, description: str) -> PartnerListing:
    return PartnerListing(slug, name, description, f"referrals@{slug}.example.org")


DEMO_PARTNERS: tuple[PartnerListing, ...] = (
    _listing(
        "lfb-home-fire-safety",
        "London Fire Brigade – Home Fire Safety Visits",
        "A free home visit to check smoke alarms and talk through fire risks.",
    ),
    _listing(
        "met-police-crime-prevention",
        "Metropolitan Police – Crime Prevention",
        "Advice on locks, door chains and keeping the home secure.",
    ),
    _listing(
        "london-trading-standards",
        "London Trading Standards – Scams Team",
        "Help with doorstep crime and scam calls, letters and emails.",
    ),
    _listing(
        "lambeth-trading-standards",
        "Lambeth Trading Standards",
        "Doorstep crime and scams support for Lambeth residents.",
    ),
    _listing(
        "southwark-trading-standards",
        "Southwark Trading Standards",
        "Doorstep crime and scams support for Southwark residents.",
    ),
    _listing(
        "age-uk-personal-alarms",
        "Age UK Personal Alarms",
        "A personal alarm to call for help at home, day or night.",
    ),
    _listing(
        "nhs-falls-prevention",
        "NHS Falls Prevention Service",
        "Strength and balance assessment and falls prevention.",
    ),
    _listing(
        "stop-smoking-service",
        "Stop Smoking Service",
        "Free support and medication to stop smoking.",
    ),
    _listing(
        "drug-alcohol-service",
        "Drug and Alcohol Service",
        "Confidential support with drinking or drug use.",
    ),
    _listing(
        "nhs-memory-service",
        "NHS Memory Service",
        "Assessment and support for memory worries.",
    ),
    _listing(
        "carers-support",
        "Carers Support Service",
        "Information, breaks and support for unpaid carers.",
    ),
    _listing(
        "lambeth-carers-hub",
        "Lambeth Carers Hub",
        "Support for unpaid carers in Lambeth.",
    ),
    _listing(
        "southwark-carers",
        "Southwark Carers",
        "Support for unpaid carers in Southwark.",
    ),
    _listing(
        "age-uk-befriending",
        "Age UK Befriending",
        "A regular visit or phone call from a volunteer befriender.",
    ),
    _listing(
        "active-ageing-exercise",
        "Active Ageing Exercise Classes",
        "Gentle exercise, chair-based classes and walking groups.",
    ),
    _listing(
        "lunch-clubs-nutrition",
        "Lunch Clubs and Nutrition",
        "Lunch clubs, cooking sessions and advice on eating well.",
    ),
    _listing(
        "talking-therapies",
        "NHS Talking Therapies",
        "Talking therapies for low mood, worry and anxiety.",
    ),
    _listing(
        "lambeth-talking-therapies",
        "Lambeth Talking Therapies",
        "NHS talking therapies for Lambeth residents.",
    ),
    _listing(
        "southwark-talking-therapies",
        "Southwark Talking Therapies",
        "NHS talking therapies for Southwark residents.",
    ),
    _listing(
        "affordable-warmth",
        "Affordable Warmth Service",
        "Help with a cold home, insulation grants and energy bills.",
    ),
    _listing(
        "handyperson-service",
        "Handyperson Service",
        "Small repairs, grab rails and adaptations at home.",
    ),
    _listing(
        "age-uk-information-advice",
        "Age UK Information and Advice",
        "A free benefits check and help with money and debt worries.",
    ),
)
