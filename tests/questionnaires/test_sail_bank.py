"""The SAIL bank: other parts of the hub rely on these exact keys, sections and partner slugs."""

from __future__ import annotations

import pytest

from questionnaires import bank_path, load_bank

SECTIONS = [
    ("security_fire", "Security and fire safety"),
    ("health_wellbeing", "Health and wellbeing"),
    ("living_conditions", "Living conditions"),
    ("income_finance", "Income and finance"),
]

# key -> (default partner, {borough: partner})
ROUTES: dict[str, tuple[str, dict[str, str]]] = {
    "smoke_alarms": ("lfb-home-fire-safety", {}),
    "fire_risk": ("lfb-home-fire-safety", {}),
    "home_security": ("met-police-crime-prevention", {}),
    "scams": (
        "london-trading-standards",
        {"lambeth": "lambeth-trading-standards", "southwark": "southwark-trading-standards"},
    ),
    "personal_alarm": ("age-uk-personal-alarms", {}),
    "falls": ("nhs-falls-prevention", {}),
    "smoking": ("stop-smoking-service", {}),
    "alcohol_drugs": ("drug-alcohol-service", {}),
    "memory": ("nhs-memory-service", {}),
    "caring": (
        "carers-support",
        {"lambeth": "lambeth-carers-hub", "southwark": "southwark-carers"},
    ),
    "lonely": ("age-uk-befriending", {}),
    "active": ("active-ageing-exercise", {}),
    "eating": ("lunch-clubs-nutrition", {}),
    "low_mood": (
        "talking-therapies",
        {"lambeth": "lambeth-talking-therapies", "southwark": "southwark-talking-therapies"},
    ),
    "cold_home": ("affordable-warmth", {}),
    "repairs": ("handyperson-service", {}),
    "benefits": ("age-uk-information-advice", {}),
    "money_worries": ("age-uk-information-advice", {}),
}

SECTION_OF = {
    "security_fire": ["smoke_alarms", "fire_risk", "home_security", "scams", "personal_alarm"],
    "health_wellbeing": [
        "falls",
        "smoking",
        "alcohol_drugs",
        "memory",
        "caring",
        "lonely",
        "active",
        "eating",
        "low_mood",
    ],
    "living_conditions": ["cold_home", "repairs"],
    "income_finance": ["benefits", "money_worries"],
}


@pytest.fixture(scope="module")
def sail():
    return load_bank("sail")


def test_the_bank_file_is_where_bank_path_says():
    assert bank_path("sail").name == "sail.toml"
    assert bank_path("sail").parent.name == "banks"
    assert bank_path("sail").is_file()


def test_the_bank_loads_with_its_identity(sail):
    assert sail.slug == "sail"
    assert sail.version == 2  # 2 added the short labels
    assert sail.title == "Safe and Independent Living (SAIL)"
    assert sail.description.strip()
    assert "\n" not in sail.description


def test_the_boroughs(sail):
    assert sail.boroughs == ("lambeth", "southwark")
    assert sail.borough_names == {"lambeth": "Lambeth", "southwark": "Southwark"}


def test_eighteen_questions(sail):
    assert len(sail.questions) == 18


def test_the_four_sections_in_order(sail):
    assert [(section.key, section.title) for section in sail.sections] == SECTIONS


def test_each_section_holds_its_questions_in_order(sail):
    assert {
        section.key: [question.key for question in section.questions] for section in sail.sections
    } == SECTION_OF


def test_exact_keys_in_order(sail):
    assert list(sail.keys) == list(ROUTES)


def test_no_two_questions_share_a_key(sail):
    assert len(set(sail.keys)) == len(sail.keys)


@pytest.mark.parametrize("key", list(ROUTES))
def test_partner_slugs(sail, key):
    partner, by_borough = ROUTES[key]
    question = sail.question(key)
    assert question.partner == partner
    assert question.partners_by_borough == by_borough


@pytest.mark.parametrize("key", list(ROUTES))
def test_every_question_has_text_and_advice(sail, key):
    question = sail.question(key)
    assert question.text.strip()
    assert question.advice.strip()
    # Asked aloud: a question ends with a question mark.
    assert question.text.rstrip().endswith("?")


def test_every_partner_slug_is_accounted_for(sail):
    expected = {partner for partner, _ in ROUTES.values()} | {
        slug for _, by_borough in ROUTES.values() for slug in by_borough.values()
    }
    assert sail.partner_slugs() == expected


@pytest.mark.parametrize(
    ("borough", "partner"),
    [
        ("lambeth", "lambeth-carers-hub"),
        ("southwark", "southwark-carers"),
        (None, "carers-support"),
        ("croydon", "carers-support"),
    ],
)
def test_a_carer_is_routed_by_borough(sail, borough, partner):
    answers = dict.fromkeys(sail.keys, False) | {"caring": True}
    assert [(flag.question_key, flag.partner) for flag in sail.flags(answers, borough)] == [
        ("caring", partner)
    ]
