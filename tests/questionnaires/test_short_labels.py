"""Short labels: the ``short`` field of a question bank, for tables and messages."""

from __future__ import annotations

import pytest

from questionnaires import DefinitionError, Question, Questionnaire, load_bank
from questionnaires.bank_toml import to_toml
from questionnaires.engine import SHORT_MAX, shortened
from tests.questionnaires.test_questionnaire_engine import SMALL


def test_every_sail_question_has_a_short_label_of_its_own():
    sail = load_bank("sail")
    shorts = {question.key: question.short for question in sail.questions}
    assert shorts["smoke_alarms"] == "Fire safety visit"
    assert shorts["falls"] == "Falls"
    assert shorts["lonely"] == "Lonely"
    assert all(question.short_given for question in sail.questions)
    assert len(set(shorts.values())) == len(shorts)  # no two questions look the same in a table
    assert all(len(short) <= SHORT_MAX for short in shorts.values())


def test_a_bank_without_short_labels_still_loads_with_shortened_text():
    small = Questionnaire.from_toml(SMALL)
    fire = small.question("fire")
    assert not fire.short_given
    assert fire.short == "Would you like a fire safety visit"
    # Written back as it was read: a definition stored before short labels is unchanged.
    assert "short" not in fire.to_dict()
    assert Questionnaire.from_toml(to_toml(small)) == small


def test_a_given_short_label_is_published_with_the_definition_and_round_trips():
    text = SMALL.replace(
        'text = "Would you like a fire safety visit?"',
        'text = "Would you like a fire safety visit?"\nshort = "Fire safety visit"',
    )
    q = Questionnaire.from_toml(text)
    assert q.question("fire").short == "Fire safety visit"
    assert q.to_dict()["sections"][0]["questions"][0]["short"] == "Fire safety visit"
    assert Questionnaire.from_dict(q.to_dict()) == q
    assert 'short = "Fire safety visit"' in to_toml(q)
    assert Questionnaire.from_toml(to_toml(q)) == q


@pytest.mark.parametrize(
    ("text", "short"),
    [
        ("Do you often feel lonely, or would you like more company?", "Do you often feel lonely"),
        ("Falls?", "Falls?"),
        (
            "Would you like some help with eating well, such as with cooking?",
            "Would you like some help with eating…",
        ),
        ("Are you, or is anyone close to you, worried?", "Are you, or is anyone close to you…"),
    ],
)
def test_the_shortened_text_is_a_clause_or_the_first_words(text, short):
    assert shortened(text) == short
    assert len(shortened(text)) <= SHORT_MAX


@pytest.mark.parametrize("short", [3, "x" * (SHORT_MAX + 1)])
def test_a_short_label_must_be_short_text(short):
    with pytest.raises(DefinitionError, match="short"):
        Question(key="fire", text="Fire?", partner="fire-service", short=short)
