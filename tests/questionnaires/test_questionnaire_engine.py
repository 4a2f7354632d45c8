"""The questionnaire engine: loading, snapshots, validation and routing of each "yes"."""

from __future__ import annotations

import json
import string
from textwrap import dedent

import pytest
from hypothesis import given
from hypothesis import strategies as st

from questionnaires import (
    AnswersInvalid,
    DefinitionError,
    Flag,
    Question,
    Questionnaire,
    Section,
    bank_path,
    load_bank,
    load_questionnaire,
)

SAIL = load_bank("sail")

SMALL = dedent(
    """
    slug = "small"
    version = 2
    title = "A small questionnaire"
    description = "For tests."

    [[boroughs]]
    slug = "north"
    name = "North Borough"

    [[boroughs]]
    slug = "south"
    name = "South Borough"

    [[sections]]
    key = "home"
    title = "Home"

    [[sections.questions]]
    key = "fire"
    text = "Would you like a fire safety visit?"
    hint = "It is free."
    advice = "Test your alarms monthly."
    partner = "fire-service"

    [[sections.questions]]
    key = "scams"
    text = "Would you like help with scams?"
    partner = "trading-standards"

    [sections.questions.partners_by_borough]
    north = "north-trading-standards"

    [[sections]]
    key = "money"
    title = "Money"

    [[sections.questions]]
    key = "benefits"
    text = "Would you like a benefits check?"
    advice = "Many people miss out."
    partner = "advice-centre"
    """
)


def small() -> Questionnaire:
    return Questionnaire.from_toml(SMALL)


def answers(q: Questionnaire, *yes: str) -> dict[str, bool]:
    return {key: key in yes for key in q.keys}


# -- loading -------------------------------------------------------------------------------------


def test_loading_from_toml_text():
    q = small()
    assert (q.slug, q.version, q.title, q.description) == (
        "small",
        2,
        "A small questionnaire",
        "For tests.",
    )
    assert q.boroughs == ("north", "south")
    assert q.borough_names == {"north": "North Borough", "south": "South Borough"}
    assert q.borough_name("south") == "South Borough"
    assert [section.key for section in q.sections] == ["home", "money"]
    assert [section.title for section in q.sections] == ["Home", "Money"]
    assert q.keys == ("fire", "scams", "benefits")
    assert all(isinstance(question, Question) for question in q.questions)
    assert all(isinstance(section, Section) for section in q.sections)


def test_optional_fields_default_to_empty():
    scams = small().question("scams")
    assert scams.hint == ""
    assert scams.advice == ""
    fire = small().question("fire")
    assert (fire.hint, fire.advice, fire.partners_by_borough) == (
        "It is free.",
        "Test your alarms monthly.",
        {},
    )


def test_loading_from_a_file(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL, encoding="utf-8")
    assert load_questionnaire(path) == small()
    assert load_questionnaire(str(path)) == small()


def test_a_file_error_names_the_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text(SMALL.replace("version = 2", "version = 0"), encoding="utf-8")
    with pytest.raises(DefinitionError, match="broken.toml"):
        load_questionnaire(path)


def test_bank_path_and_load_bank():
    assert bank_path("sail").name == "sail.toml"
    assert load_bank("sail") == load_questionnaire(bank_path("sail"))


def test_bank_path_refuses_anything_but_a_slug():
    with pytest.raises(DefinitionError):
        bank_path("../secrets")


def test_a_missing_bank_is_a_file_not_found():
    with pytest.raises(FileNotFoundError):
        load_bank("no-such-bank")


def test_question_lookup():
    q = small()
    assert q.question("scams").text == "Would you like help with scams?"
    with pytest.raises(KeyError):
        q.question("nope")


def test_partner_slugs_include_borough_partners():
    assert small().partner_slugs() == {
        "fire-service",
        "trading-standards",
        "north-trading-standards",
        "advice-centre",
    }


def test_definitions_are_frozen_and_hashable():
    q = small()
    with pytest.raises(AttributeError):
        q.title = "Changed"  # type: ignore[misc]
    assert hash(q) == hash(small())


def test_a_question_keeps_its_own_copy_of_the_borough_routes():
    routes = {"north": "p-north"}
    question = Question("q", "Text?", partner="p", partners_by_borough=routes)
    routes["north"] = "changed"
    assert question.partner_for("north") == "p-north"


# -- snapshots -----------------------------------------------------------------------------------


def test_round_trip_through_a_dict():
    q = small()
    assert Questionnaire.from_dict(q.to_dict()) == q


def test_round_trip_through_json():
    for q in (small(), SAIL):
        snapshot = json.loads(json.dumps(q.to_dict()))
        assert snapshot == q.to_dict()  # only JSON types: nothing changes on the way
        assert Questionnaire.from_dict(snapshot) == q


def test_the_snapshot_shape():
    data = small().to_dict()
    assert data["boroughs"] == [
        {"slug": "north", "name": "North Borough"},
        {"slug": "south", "name": "South Borough"},
    ]
    assert data["sections"][0]["questions"][1] == {
        "key": "scams",
        "text": "Would you like help with scams?",
        "hint": "",
        "advice": "",
        "partner": "trading-standards",
        "partners_by_borough": {"north": "north-trading-standards"},
    }


def test_a_hand_built_questionnaire_round_trips():
    q = Questionnaire(
        slug="hand",
        version=1,
        title="Hand built",
        description="",
        boroughs=["east"],  # a list is accepted and kept as a tuple
        sections=[Section("s", "S", [Question("q", "Q?", partner="p")])],
    )
    assert q.boroughs == ("east",)
    assert q.borough_name("east") == "east"
    assert Questionnaire.from_dict(q.to_dict()) == q


def test_from_dict_checks_the_definition_too():
    data = small().to_dict()
    data["sections"][1]["questions"][0]["key"] = "fire"
    with pytest.raises(DefinitionError, match="fire"):
        Questionnaire.from_dict(data)


# -- malformed definitions -----------------------------------------------------------------------


def one_question(**overrides: str) -> str:
    """A one-question definition with TOML lines swapped in or out (value None drops a line)."""
    lines = {
        "slug": 'slug = "tiny"',
        "version": "version = 1",
        "title": 'title = "Tiny"',
        "boroughs": '[[boroughs]]\nslug = "north"\nname = "North"',
        "section": '[[sections]]\nkey = "only"\ntitle = "Only"',
        "question": '[[sections.questions]]\nkey = "alarm"',
        "text": 'text = "Would you like an alarm?"',
        "partner": 'partner = "alarms"',
        "extra": "",
    }
    lines.update(overrides)
    return "\n".join(line for line in lines.values() if line is not None) + "\n"


def test_the_minimal_definition_is_valid():
    q = Questionnaire.from_toml(one_question())
    assert q.keys == ("alarm",)
    assert q.description == ""


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        pytest.param(
            one_question(
                extra='[[sections.questions]]\nkey = "alarm"\ntext = "Again?"\npartner = "x"'
            ),
            "alarm",
            id="duplicate question key in a section",
        ),
        pytest.param(
            one_question(
                extra=dedent(
                    """
                    [[sections]]
                    key = "other"
                    title = "Other"
                    [[sections.questions]]
                    key = "alarm"
                    text = "Again?"
                    partner = "x"
                    """
                )
            ),
            "alarm",
            id="duplicate question key across sections",
        ),
        pytest.param(one_question(partner=None), "alarm", id="no partner"),
        pytest.param(one_question(partner='partner = ""'), "alarm", id="empty partner"),
        pytest.param(one_question(partner='partner = "Not A Slug"'), "alarm", id="bad partner"),
        pytest.param(one_question(text=None), "alarm", id="missing text"),
        pytest.param(one_question(text='text = "   "'), "alarm", id="blank text"),
        pytest.param(one_question(text="text = 3"), "alarm", id="text not a string"),
        pytest.param(one_question(version=None), "tiny", id="missing version"),
        pytest.param(one_question(version="version = 0"), "tiny", id="version zero"),
        pytest.param(one_question(version="version = -1"), "tiny", id="negative version"),
        pytest.param(one_question(version='version = "1"'), "tiny", id="version a string"),
        pytest.param(one_question(version="version = 1.5"), "tiny", id="version a float"),
        pytest.param(one_question(version="version = true"), "tiny", id="version a bool"),
        pytest.param(one_question(title=None), "tiny", id="missing title"),
        pytest.param(one_question(slug=None), "None", id="missing slug"),
        pytest.param(
            one_question(section=None, question=None, text=None, partner=None),
            "tiny",
            id="no sections",
        ),
        pytest.param(
            one_question(question=None, text=None, partner=None),
            "only",
            id="a section with no questions",
        ),
        pytest.param(
            one_question(extra='[sections.questions.partners_by_borough]\nwest = "west-alarms"'),
            "west",
            id="undeclared borough",
        ),
        pytest.param(
            one_question(
                boroughs=None,
                extra='[sections.questions.partners_by_borough]\nnorth = "north-alarms"',
            ),
            "north",
            id="borough routes with no boroughs declared",
        ),
        pytest.param(
            one_question(boroughs='[[boroughs]]\nslug = "north"\n[[boroughs]]\nslug = "north"'),
            "north",
            id="duplicate borough",
        ),
        pytest.param(
            one_question(
                extra='[[sections]]\nkey = "only"\ntitle = "Again"\n'
                '[[sections.questions]]\nkey = "b"\ntext = "B?"\npartner = "x"'
            ),
            "only",
            id="duplicate section key",
        ),
        pytest.param(one_question(extra='partner_by_borough = "x"'), "alarm", id="unknown field"),
        pytest.param(
            one_question(question='[[sections.questions]]\nkey = "Has Spaces"'),
            "Has Spaces",
            id="bad question key",
        ),
    ],
)
def test_malformed_definitions_are_refused_by_name(toml, named):
    with pytest.raises(DefinitionError, match=named):
        Questionnaire.from_toml(toml)


def test_invalid_toml_is_a_definition_error():
    with pytest.raises(DefinitionError, match="TOML"):
        Questionnaire.from_toml("slug = ")


def test_definition_errors_are_value_errors():
    assert issubclass(DefinitionError, ValueError)
    assert issubclass(AnswersInvalid, ValueError)


# -- validating answers --------------------------------------------------------------------------


def test_a_complete_answer_set_is_returned_in_questionnaire_order():
    q = small()
    given_answers = {"benefits": True, "fire": False, "scams": True}
    cleaned = q.validate(given_answers)
    assert cleaned == given_answers
    assert list(cleaned) == ["fire", "scams", "benefits"]
    assert cleaned is not given_answers


def test_a_missing_answer_is_reported_with_the_question():
    with pytest.raises(AnswersInvalid) as invalid:
        small().validate({"fire": True, "scams": False})
    assert invalid.value.errors == {
        "benefits": "Select yes or no for “Would you like a benefits check?”"
    }


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, None, 1.0, [], {}])
def test_only_a_real_bool_is_an_answer(value):
    with pytest.raises(AnswersInvalid) as invalid:
        small().validate({"fire": value, "scams": False, "benefits": True})
    assert invalid.value.errors == {
        "fire": "Select yes or no for “Would you like a fire safety visit?”"
    }


def test_an_unknown_key_is_reported():
    with pytest.raises(AnswersInvalid) as invalid:
        small().validate({"fire": True, "scams": False, "benefits": True, "pets": True})
    assert invalid.value.errors == {"pets": "“pets” is not a question in this questionnaire"}


def test_every_problem_is_reported_at_once():
    with pytest.raises(AnswersInvalid) as invalid:
        small().validate({"fire": "yes", "pets": True, "garden": False})
    assert invalid.value.errors == {
        "fire": "Select yes or no for “Would you like a fire safety visit?”",
        "scams": "Select yes or no for “Would you like help with scams?”",
        "benefits": "Select yes or no for “Would you like a benefits check?”",
        "pets": "“pets” is not a question in this questionnaire",
        "garden": "“garden” is not a question in this questionnaire",
    }
    assert "pets" in str(invalid.value)


def test_no_answers_at_all():
    with pytest.raises(AnswersInvalid) as invalid:
        small().validate({})
    assert set(invalid.value.errors) == {"fire", "scams", "benefits"}


def test_flags_validate_first():
    with pytest.raises(AnswersInvalid):
        small().flags({"fire": True})


# -- routing -------------------------------------------------------------------------------------


def test_one_flag_per_yes_in_order():
    q = small()
    assert q.flags(answers(q, "benefits", "fire")) == [
        Flag("fire", "fire-service"),
        Flag("benefits", "advice-centre"),
    ]


def test_no_yes_no_flags():
    q = small()
    assert q.flags(answers(q)) == []


@pytest.mark.parametrize(
    ("borough", "partner"),
    [
        ("north", "north-trading-standards"),
        ("NORTH", "north-trading-standards"),
        ("  North ", "north-trading-standards"),
        ("south", "trading-standards"),  # declared, but no route of its own
        ("west", "trading-standards"),  # unknown
        ("", "trading-standards"),
        (None, "trading-standards"),
    ],
)
def test_borough_routing(borough, partner):
    q = small()
    assert q.question("scams").partner_for(borough) == partner
    assert q.flags(answers(q, "scams"), borough=borough) == [Flag("scams", partner)]


def test_a_question_without_borough_routes_ignores_the_borough():
    q = small()
    assert q.flags(answers(q, "fire"), "north") == [Flag("fire", "fire-service")]


# -- properties ----------------------------------------------------------------------------------

slugs = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=6)
keys = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
words = st.text(min_size=1, max_size=30).filter(str.strip)


@st.composite
def definitions(draw) -> dict:
    """A raw, valid definition (as from_dict takes it), with unique keys and declared boroughs."""
    boroughs = draw(st.lists(slugs, max_size=4, unique=True))
    question_keys = draw(st.lists(keys, min_size=1, max_size=12, unique=True))
    # Cut the questions into consecutive, non-empty sections.
    cuts = (
        sorted(draw(st.sets(st.integers(1, len(question_keys) - 1), max_size=3)))
        if len(question_keys) > 1
        else []
    )
    bounds = [0, *cuts, len(question_keys)]
    sections = []
    for number, (start, end) in enumerate(zip(bounds, bounds[1:], strict=False)):
        questions = []
        for key in question_keys[start:end]:
            routes = (
                draw(st.dictionaries(st.sampled_from(boroughs), slugs, max_size=len(boroughs)))
                if boroughs
                else {}
            )
            questions.append(
                {
                    "key": key,
                    "text": draw(words),
                    "hint": draw(st.text(max_size=20)),
                    "advice": draw(st.text(max_size=20)),
                    "partner": draw(slugs),
                    "partners_by_borough": routes,
                }
            )
        sections.append({"key": f"section_{number}", "title": draw(words), "questions": questions})
    return {
        "slug": draw(slugs),
        "version": draw(st.integers(1, 10_000)),
        "title": draw(words),
        "description": draw(st.text(max_size=40)),
        "boroughs": [{"slug": slug, "name": draw(words)} for slug in boroughs],
        "sections": sections,
    }


def borough_choices(borough_slugs) -> st.SearchStrategy[str | None]:
    """None, a declared borough in any case and padding, or something else entirely."""
    declared = (
        [
            st.sampled_from(borough_slugs),
            st.sampled_from(borough_slugs).map(lambda slug: f" {slug.upper()} "),
        ]
        if borough_slugs
        else []
    )
    return st.one_of(st.none(), st.text(max_size=8), *declared)


def complete_answers(keys_in_order) -> st.SearchStrategy[dict[str, bool]]:
    return st.fixed_dictionaries({key: st.booleans() for key in keys_in_order})


def expected_flags(raw: dict, given_answers: dict[str, bool], borough: str | None) -> list[Flag]:
    """The routing rule worked out from the raw definition, independently of the engine."""
    wanted = borough.strip().lower() if borough is not None else None
    flags = []
    for section in raw["sections"]:
        for question in section["questions"]:
            if given_answers[question["key"]]:
                routes = question["partners_by_borough"]
                partner = routes[wanted] if wanted in routes else question["partner"]
                flags.append(Flag(question["key"], partner))
    return flags


def check_flags(q: Questionnaire, raw: dict, given_answers: dict[str, bool], borough) -> None:
    flags = q.flags(given_answers, borough)
    assert flags == expected_flags(raw, given_answers, borough)
    yes = [key for key in q.keys if given_answers[key]]
    assert len(flags) == len(yes) == sum(given_answers.values())
    # Exactly one flag per yes, none for a no, in questionnaire order.
    assert [flag.question_key for flag in flags] == yes
    for flag in flags:
        assert flag.partner == q.question(flag.question_key).partner_for(borough)


@given(data=st.data())
def test_sail_every_yes_is_one_flag_to_its_partner(data):
    given_answers = data.draw(complete_answers(SAIL.keys))
    borough = data.draw(borough_choices(list(SAIL.boroughs)))
    check_flags(SAIL, SAIL.to_dict(), given_answers, borough)


@given(data=st.data())
def test_sail_answers_in_any_order_validate_to_questionnaire_order(data):
    given_answers = data.draw(complete_answers(SAIL.keys))
    shuffled = dict(data.draw(st.permutations(list(given_answers.items()))))
    cleaned = SAIL.validate(shuffled)
    assert list(cleaned) == list(SAIL.keys)
    assert cleaned == given_answers


@given(raw=definitions(), data=st.data())
def test_generated_every_yes_is_one_flag_to_its_partner(raw, data):
    q = Questionnaire.from_dict(raw)
    given_answers = data.draw(complete_answers(q.keys))
    borough = data.draw(borough_choices(list(q.boroughs)))
    check_flags(q, raw, given_answers, borough)


@given(raw=definitions())
def test_generated_definitions_round_trip(raw):
    q = Questionnaire.from_dict(raw)
    assert q.to_dict() == raw
    assert Questionnaire.from_dict(json.loads(json.dumps(q.to_dict()))) == q


@given(raw=definitions(), data=st.data())
def test_generated_every_problem_is_reported(raw, data):
    q = Questionnaire.from_dict(raw)
    complete = data.draw(complete_answers(q.keys))
    missing = data.draw(st.sets(st.sampled_from(q.keys)))
    wrong = data.draw(
        st.dictionaries(
            st.sampled_from(q.keys), st.one_of(st.none(), st.integers(), st.text()), max_size=3
        )
    )
    unknown = data.draw(
        st.dictionaries(keys.filter(lambda key: key not in q.keys), st.booleans(), max_size=3)
    )
    given_answers: dict[str, object] = {
        key: value for key, value in complete.items() if key not in missing
    }
    given_answers |= wrong | unknown
    bad = set(missing) | set(wrong) | set(unknown)
    if not bad:
        assert q.validate(given_answers) == complete
        return
    with pytest.raises(AnswersInvalid) as invalid:
        q.validate(given_answers)
    assert set(invalid.value.errors) == bad
    for key in unknown:
        assert invalid.value.errors[key] == f"“{key}” is not a question in this questionnaire"
    for key in bad - set(unknown):
        assert invalid.value.errors[key] == f"Select yes or no for “{q.question(key).text}”"
