"""The questionnaire engine: a definition of yes/no questions, each routed to a partner.

Pure standard library on purpose: the hub, the API and the tests all share one set of rules for
what a valid definition and a valid answer set are, without needing Flask or a database.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Keys end up in form field names and JSON; slugs end up in URLs. Keep both boringly simple.
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

BANKS = Path(__file__).resolve().parent / "banks"

# A question's short label names it where a whole question will not fit: a table's cell, a
# message's line ("Falls", "Fire safety visit").
SHORT_MAX = 40


class DefinitionError(ValueError):
    """A questionnaire definition is malformed; the message names the offending key."""


class AnswersInvalid(ValueError):
    """One or more answers are wrong; ``errors`` maps each key to a plain-English message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors: dict[str, str] = dict(errors)
        super().__init__("; ".join(f"{key}: {message}" for key, message in self.errors.items()))


@dataclass(frozen=True)
class Flag:
    """A "yes" answer and the partner it is referred to."""

    question_key: str
    partner: str


def shortened(text: str) -> str:
    """A short label made from a question's text, for banks written before ``short`` existed:
    its first clause when that says enough in few enough characters, else its first words and an
    ellipsis."""
    text = " ".join(text.split())
    clause = re.split(r"[,?;:]", text, maxsplit=1)[0].strip()
    if 15 <= len(clause) <= SHORT_MAX or len(text) <= SHORT_MAX:
        return clause if len(clause) >= 15 else text
    words = text[: SHORT_MAX - 1].rsplit(" ", 1)[0].rstrip(",;: ")
    return f"{words}…"


@dataclass(frozen=True)
class Question:
    """One yes/no question. ``short`` is its label in tables and messages: as the bank gives
    it, or made from the text (``shortened``) for a bank without one; ``short_given`` says
    which, so a definition is written back as it was read."""

    key: str
    text: str
    hint: str = ""
    advice: str = ""
    partner: str = ""
    # Borough slug -> partner slug. Left out of the hash (a dict is unhashable) but not out of
    # equality; treat it as read-only, like the rest of the definition.
    partners_by_borough: dict[str, str] = field(default_factory=dict, hash=False)
    short: str = ""
    short_given: bool = field(default=True, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not KEY_PATTERN.match(self.key):
            raise DefinitionError(
                f"Question key {self.key!r} must be lower case letters, digits and underscores"
            )
        if not isinstance(self.text, str) or not self.text.strip():
            raise DefinitionError(f"Question “{self.key}” has no text")
        for name in ("hint", "advice", "short"):
            if not isinstance(getattr(self, name), str):
                raise DefinitionError(f"Question “{self.key}” has a {name} that is not text")
        self._settle_short()
        if not isinstance(self.partner, str) or not self.partner.strip():
            raise DefinitionError(f"Question “{self.key}” has no partner")
        _check_slug(self.partner, f"Question “{self.key}” partner")
        if not isinstance(self.partners_by_borough, Mapping):
            raise DefinitionError(f"Question “{self.key}” partners_by_borough must be a table")
        # A copy of our own, so the caller's dict cannot change a frozen definition.
        object.__setattr__(self, "partners_by_borough", dict(self.partners_by_borough))
        for borough, partner in self.partners_by_borough.items():
            _check_slug(borough, f"Question “{self.key}” borough")
            _check_slug(partner, f"Question “{self.key}” partner for {borough}")

    def _settle_short(self) -> None:
        short = " ".join(self.short.split())
        if len(short) > SHORT_MAX:
            raise DefinitionError(
                f"Question “{self.key}” short label must be at most {SHORT_MAX} characters"
            )
        object.__setattr__(self, "short_given", bool(short))
        object.__setattr__(self, "short", short or shortened(self.text))

    def partner_for(self, borough: str | None) -> str:
        """The partner for a client in ``borough``; the default when the borough has no own."""
        if borough is None:
            return self.partner
        return self.partners_by_borough.get(borough.strip().lower(), self.partner)

    def to_dict(self) -> dict[str, Any]:
        """As the bank gives it: ``short`` only when the bank gave one, so a definition stored
        before short labels existed reads back unchanged."""
        return {
            "key": self.key,
            "text": self.text,
            **({"short": self.short} if self.short_given else {}),
            "hint": self.hint,
            "advice": self.advice,
            "partner": self.partner,
            "partners_by_borough": dict(self.partners_by_borough),
        }


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    questions: tuple[Question, ...]

    def __post_init__(self) -> None:
        if isinstance(self.questions, str):
            raise DefinitionError(f"Section “{self.key}” questions must be a list")
        object.__setattr__(self, "questions", tuple(self.questions))
        if not isinstance(self.key, str) or not KEY_PATTERN.match(self.key):
            raise DefinitionError(
                f"Section key {self.key!r} must be lower case letters, digits and underscores"
            )
        if not isinstance(self.title, str) or not self.title.strip():
            raise DefinitionError(f"Section “{self.key}” has no title")
        if not self.questions:
            raise DefinitionError(f"Section “{self.key}” has no questions")

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "questions": [question.to_dict() for question in self.questions],
        }


@dataclass(frozen=True)
class Questionnaire:
    """A versioned questionnaire.

    ``boroughs`` holds the borough slugs in declared order (what client details are checked
    against); ``borough_names`` maps each of those slugs to its display name.
    """

    slug: str
    version: int
    title: str
    description: str
    boroughs: tuple[str, ...]
    sections: tuple[Section, ...]
    borough_names: dict[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        self._check_heading()
        # Normalise so that a definition built by hand equals its own to_dict/from_dict round trip.
        object.__setattr__(self, "boroughs", tuple(self.boroughs))
        object.__setattr__(self, "sections", tuple(self.sections))
        self._check_boroughs()
        # A borough without a name is shown by its slug.
        object.__setattr__(
            self,
            "borough_names",
            {slug: self.borough_names.get(slug, slug) for slug in self.boroughs},
        )
        self._check_sections()

    def _check_heading(self) -> None:
        """The slug, version, title and description, and the shapes of what follows them."""
        _check_slug(self.slug, "Questionnaire slug")
        # bool is an int subclass, and "version = true" is surely a mistake.
        if not isinstance(self.version, int) or isinstance(self.version, bool) or self.version < 1:
            raise DefinitionError(
                f"Questionnaire “{self.slug}” version must be a positive whole number, "
                f"not {self.version!r}"
            )
        if not isinstance(self.title, str) or not self.title.strip():
            raise DefinitionError(f"Questionnaire “{self.slug}” has no title")
        if not isinstance(self.description, str):
            raise DefinitionError(f"Questionnaire “{self.slug}” description must be text")

        if not self.sections or isinstance(self.sections, str):
            raise DefinitionError(f"Questionnaire “{self.slug}” has no sections")
        if isinstance(self.boroughs, str):
            raise DefinitionError(f"Questionnaire “{self.slug}” boroughs must be a list of slugs")
        if not isinstance(self.borough_names, Mapping):
            raise DefinitionError(f"Questionnaire “{self.slug}” borough_names must be a mapping")

    def _check_boroughs(self) -> None:
        """Each borough declared once, and names only for declared boroughs."""
        seen: set[str] = set()
        for borough in self.boroughs:
            _check_slug(borough, "Borough")
            if borough in seen:
                raise DefinitionError(f"Borough “{borough}” is declared twice")
            seen.add(borough)
        for borough, name in self.borough_names.items():
            if borough not in seen:
                raise DefinitionError(f"Borough “{borough}” has a name but is not declared")
            if not isinstance(name, str) or not name.strip():
                raise DefinitionError(f"Borough “{borough}” has no name")

    def _check_sections(self) -> None:
        """Section and question keys unique, and every routed borough one of ours."""
        section_keys: set[str] = set()
        question_keys: set[str] = set()
        for section in self.sections:
            if section.key in section_keys:
                raise DefinitionError(f"Section key “{section.key}” is used twice")
            section_keys.add(section.key)
            for question in section.questions:
                if question.key in question_keys:
                    raise DefinitionError(f"Question key “{question.key}” is used twice")
                question_keys.add(question.key)
                for borough in question.partners_by_borough:
                    if borough not in self.boroughs:
                        raise DefinitionError(
                            f"Question “{question.key}” routes borough “{borough}”, which is not "
                            "one of this questionnaire's boroughs"
                        )

    # -- reading the definition ------------------------------------------------------------

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(question for section in self.sections for question in section.questions)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(question.key for question in self.questions)

    def question(self, key: str) -> Question:
        for question in self.questions:
            if question.key == key:
                return question
        raise KeyError(key)

    def borough_name(self, slug: str) -> str:
        """The display name of a declared borough (its slug if it was given no name)."""
        return self.borough_names.get(slug, slug)

    def partner_slugs(self) -> set[str]:
        slugs: set[str] = set()
        for question in self.questions:
            slugs.add(question.partner)
            slugs.update(question.partners_by_borough.values())
        return slugs

    # -- answers ---------------------------------------------------------------------------

    def validate(self, answers: Mapping[str, object]) -> dict[str, bool]:
        """Every question answered with a real bool and nothing else; else AnswersInvalid."""
        if not isinstance(answers, Mapping):
            raise TypeError(f"answers must be a mapping, not {type(answers).__name__}")
        errors: dict[str, str] = {}
        cleaned: dict[str, bool] = {}
        for question in self.questions:
            value = answers.get(question.key)
            # Only True/False: "yes", 1 or None would be a guess about what the person said.
            if isinstance(value, bool):
                cleaned[question.key] = value
            else:
                errors[question.key] = f"Select yes or no for “{question.text}”"
        known = set(self.keys)
        for key in answers:
            if key not in known:
                errors[str(key)] = f"“{key}” is not a question in this questionnaire"
        if errors:
            raise AnswersInvalid(errors)
        return cleaned

    def flags(self, answers: Mapping[str, object], borough: str | None = None) -> list[Flag]:
        """One flag per "yes", in questionnaire order, routed for the client's borough."""
        cleaned = self.validate(answers)
        return [
            Flag(question.key, question.partner_for(borough))
            for question in self.questions
            if cleaned[question.key]
        ]

    # -- snapshots -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe snapshot (lists, dicts, str, int only), the same shape as the TOML."""
        return {
            "slug": self.slug,
            "version": self.version,
            "title": self.title,
            "description": self.description,
            "boroughs": [{"slug": slug, "name": self.borough_name(slug)} for slug in self.boroughs],
            "sections": [section.to_dict() for section in self.sections],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Questionnaire:
        return _questionnaire(data)

    @classmethod
    def from_toml(cls, text: str) -> Questionnaire:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise DefinitionError(f"Not valid TOML: {error}") from error
        return _questionnaire(data)


def load_questionnaire(path: str | os.PathLike[str]) -> Questionnaire:
    """Read a questionnaire definition from a TOML file."""
    path = Path(path)
    try:
        return Questionnaire.from_toml(path.read_text(encoding="utf-8"))
    except DefinitionError as error:
        raise DefinitionError(f"{path.name}: {error}") from error


def bank_path(slug: str) -> Path:
    """Where the bundled definition for ``slug`` lives (it may not exist)."""
    _check_slug(slug, "Questionnaire slug")  # also keeps "../" out of the path
    return BANKS / f"{slug}.toml"


def load_bank(slug: str) -> Questionnaire:
    """Load a bundled questionnaire, such as ``load_bank("sail")``."""
    return load_questionnaire(bank_path(slug))


# -- parsing plain data (from TOML or from a stored JSON snapshot) -----------------------------

_QUESTIONNAIRE_FIELDS = {"slug", "version", "title", "description", "boroughs", "sections"}
_BOROUGH_FIELDS = {"slug", "name"}
_SECTION_FIELDS = {"key", "title", "questions"}
_QUESTION_FIELDS = {"key", "text", "short", "hint", "advice", "partner", "partners_by_borough"}


def _check_slug(value: object, what: str) -> None:
    if not isinstance(value, str) or not SLUG_PATTERN.match(value):
        raise DefinitionError(
            f"{what} {value!r} must be a slug: lower case letters and digits joined by hyphens"
        )


def _table(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DefinitionError(f"{where} must be a table")
    return value


def _list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise DefinitionError(f"{where} must be a list")
    return list(value)


def _no_unknown(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    # A misspelt field (say "partner_by_borough") must fail loudly, not be silently ignored.
    unknown = sorted(str(name) for name in data if name not in allowed)
    if unknown:
        raise DefinitionError(f"{where} has unknown fields: {', '.join(unknown)}")


def _questionnaire(data: object) -> Questionnaire:
    data = _table(data, "The questionnaire")
    where = f"Questionnaire “{data.get('slug')}”"
    _no_unknown(data, _QUESTIONNAIRE_FIELDS, where)
    boroughs: list[str] = []
    names: dict[str, str] = {}
    for index, raw in enumerate(_list(data.get("boroughs", []), f"{where} boroughs"), start=1):
        borough = _table(raw, f"{where} borough {index}")
        _no_unknown(borough, _BOROUGH_FIELDS, f"{where} borough {index}")
        slug = borough.get("slug")
        _check_slug(slug, "Borough")
        name = borough.get("name", slug)
        if not isinstance(name, str) or not name.strip():
            raise DefinitionError(f"Borough “{slug}” has no name")
        boroughs.append(slug)
        names[slug] = name
    return Questionnaire(
        slug=data.get("slug"),  # checked in __post_init__
        version=data.get("version"),
        title=data.get("title"),
        description=data.get("description", ""),
        boroughs=tuple(boroughs),
        sections=tuple(
            _section(raw, index)
            for index, raw in enumerate(_list(data.get("sections", []), f"{where} sections"))
        ),
        borough_names=names,
    )


def _section(data: object, index: int) -> Section:
    data = _table(data, f"Section {index + 1}")
    where = f"Section “{data.get('key')}”"
    _no_unknown(data, _SECTION_FIELDS, where)
    questions = _list(data.get("questions", []), f"{where} questions")
    return Section(
        key=data.get("key"),
        title=data.get("title"),
        questions=tuple(_question(raw, where) for raw in questions),
    )


def _question(data: object, section: str) -> Question:
    data = _table(data, f"A question in {section}")
    _no_unknown(data, _QUESTION_FIELDS, f"Question “{data.get('key')}”")
    return Question(
        key=data.get("key"),
        text=data.get("text"),
        short=data.get("short", ""),
        hint=data.get("hint", ""),
        advice=data.get("advice", ""),
        partner=data.get("partner", ""),
        partners_by_borough=dict(
            _table(data.get("partners_by_borough", {}), f"Question “{data.get('key')}” boroughs")
        ),
    )
