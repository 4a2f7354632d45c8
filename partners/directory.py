"""The local "asset map": the partner agencies a questionnaire's flags go to.

``DEMO_PARTNERS`` is the Lambeth and Southwark demo hub's directory. Contact details are
fictional: emails on example.org and numbers from Ofcom's ranges kept for drama (07700 900xxx),
so no demo message can reach a real person.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PartnerListing:
    slug: str
    name: str
    description: str
    referral_email: str
    sms_number: str | None


def _listing(slug: str, name: str, description: str, sms: str | None) -> PartnerListing:
    return PartnerListing(slug, name, description, f"referrals@{slug}.example.org", sms)


DEMO_PARTNERS: tuple[PartnerListing, ...] = (
    _listing(
        "lfb-home-fire-safety",
        "London Fire Brigade – Home Fire Safety Visits",
        "A free home visit to check smoke alarms and talk through fire risks.",
        "+447700900101",
    ),
    _listing(
        "met-police-crime-prevention",
        "Metropolitan Police – Crime Prevention",
        "Advice on locks, door chains and keeping the home secure.",
        "+447700900102",
    ),
    _listing(
        "london-trading-standards",
        "London Trading Standards – Scams Team",
        "Help with doorstep crime and scam calls, letters and emails.",
        None,
    ),
    _listing(
        "lambeth-trading-standards",
        "Lambeth Trading Standards",
        "Doorstep crime and scams support for Lambeth residents.",
        "+447700900104",
    ),
    _listing(
        "southwark-trading-standards",
        "Southwark Trading Standards",
        "Doorstep crime and scams support for Southwark residents.",
        "+447700900105",
    ),
    _listing(
        "age-uk-personal-alarms",
        "Age UK Personal Alarms",
        "A personal alarm to call for help at home, day or night.",
        "+447700900106",
    ),
    _listing(
        "nhs-falls-prevention",
        "NHS Falls Prevention Service",
        "Strength and balance assessment and falls prevention.",
        "+447700900107",
    ),
    _listing(
        "stop-smoking-service",
        "Stop Smoking Service",
        "Free support and medication to stop smoking.",
        None,
    ),
    _listing(
        "drug-alcohol-service",
        "Drug and Alcohol Service",
        "Confidential support with drinking or drug use.",
        "+447700900109",
    ),
    _listing(
        "nhs-memory-service",
        "NHS Memory Service",
        "Assessment and support for memory worries.",
        None,
    ),
    _listing(
        "carers-support",
        "Carers Support Service",
        "Information, breaks and support for unpaid carers.",
        None,
    ),
    _listing(
        "lambeth-carers-hub",
        "Lambeth Carers Hub",
        "Support for unpaid carers in Lambeth.",
        "+447700900112",
    ),
    _listing(
        "southwark-carers",
        "Southwark Carers",
        "Support for unpaid carers in Southwark.",
        "+447700900113",
    ),
    _listing(
        "age-uk-befriending",
        "Age UK Befriending",
        "A regular visit or phone call from a volunteer befriender.",
        "+447700900114",
    ),
    _listing(
        "active-ageing-exercise",
        "Active Ageing Exercise Classes",
        "Gentle exercise, chair-based classes and walking groups.",
        None,
    ),
    _listing(
        "lunch-clubs-nutrition",
        "Lunch Clubs and Nutrition",
        "Lunch clubs, cooking sessions and advice on eating well.",
        None,
    ),
    _listing(
        "talking-therapies",
        "NHS Talking Therapies",
        "Talking therapies for low mood, worry and anxiety.",
        None,
    ),
    _listing(
        "lambeth-talking-therapies",
        "Lambeth Talking Therapies",
        "NHS talking therapies for Lambeth residents.",
        "+447700900118",
    ),
    _listing(
        "southwark-talking-therapies",
        "Southwark Talking Therapies",
        "NHS talking therapies for Southwark residents.",
        "+447700900119",
    ),
    _listing(
        "affordable-warmth",
        "Affordable Warmth Service",
        "Help with a cold home, insulation grants and energy bills.",
        "+447700900120",
    ),
    _listing(
        "handyperson-service",
        "Handyperson Service",
        "Small repairs, grab rails and adaptations at home.",
        "+447700900121",
    ),
    _listing(
        "age-uk-information-advice",
        "Age UK Information and Advice",
        "A free benefits check and help with money and debt worries.",
        "+447700900122",
    ),
)
