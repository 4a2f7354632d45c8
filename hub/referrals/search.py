"""Finding referrals by what hub staff have to hand: a reference, a name, a date of birth or a
postcode (docs/design.md, "Search"). The API's ``q`` and the hub queue's search box both call
``referral_condition``; it combines with any other filter as one more WHERE condition.

What a text matches:

- a referral's reference (``SL-ABCD-EFGH-01``) or a questionnaire's (``SL-ABCD-EFGH``, every
  referral of it), in any case and with or without the ``SL`` and hyphens, as read over the phone;
- a date of birth, as ``YYYY-MM-DD`` (or ``DD/MM/YYYY``, as people say it);
- a full postcode, in any case and spacing (``sw25sg`` is ``SW2 5SG``);
- a name: the client's whole given or family name, in any case (``clarke``, not ``clar``), or
  one whole word of a name of several (``silva`` finds Da Silva, ``jones`` Smith-Jones); two
  or more words are the given name then the family name, or the other way round.

Each of these is an equality on an indexed column or expression (migration 0015: the client's
postcode, date of birth, ``lower()`` of the given name, and of the family then the given name;
the references are unique; a word of a longer name reads only the names of several words, a
partial index of its own), so a search
reads a handful of index entries at 100,000 referrals or a million, on SQLite and PostgreSQL
alike. SQLite's ``lower()`` folds ASCII letters only, so a name is looked up in the few forms
either database may hold it in (``Öztürk`` typed ``öztürk``): see ``_name_forms``.
"""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, false, func, literal, or_, select, union
from sqlalchemy import text as sql_text

from hub.models import Client, Referral, Submission
from hub.referrals.client_details import DetailError, uk_postcode
from hub.referrals.submissions import REFERENCE_ALPHABET

# Longer than any reference, name pair or postcode; a longer text is refused, in words.
MAX_LENGTH = 100
# A name search tries every split of up to this many words into a given and a family name.
MAX_NAME_WORDS = 4

_CODE = f"[{REFERENCE_ALPHABET}]{{8}}"
_SUBMISSION_REFERENCE = re.compile(rf"^(?:SL)?({_CODE})$")
_REFERRAL_REFERENCE = re.compile(rf"^(?:SL)?({_CODE})([0-9]{{2}})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_NAME = re.compile(r"^[^\W\d_]+(?:['’\-][^\W\d_]+)*$")
# The names of several words, as migration 0015's partial indexes say it, word for word: SQLite
# uses a partial index only when the query states its condition.
MULTI_WORD = {
    column: sql_text(f"(client.{column.key} LIKE '% %' OR client.{column.key} LIKE '%-%')")
    for column in (Client.given_name, Client.family_name)
}


class SearchTooLong(ValueError):
    """The text is longer than anything a search could match."""

    def __init__(self):
        super().__init__(f"Search for at most {MAX_LENGTH} characters")


@dataclass(frozen=True)
class Terms:
    """What a search text could be, each read as the column stores it."""

    referral_references: tuple[str, ...] = ()
    submission_references: tuple[str, ...] = ()
    dates_of_birth: tuple[date, ...] = ()
    postcodes: tuple[str, ...] = ()
    # (given name, family name) pairs as lower-case phrases; None where either will do.
    names: tuple[tuple[str | None, str | None], ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not (
            self.referral_references
            or self.submission_references
            or self.dates_of_birth
            or self.postcodes
            or self.names
        )


def clean(text: str | None) -> str:
    """The text with its spaces tidied; ``SearchTooLong`` beyond ``MAX_LENGTH``."""
    text = " ".join((text or "").split())
    if len(text) > MAX_LENGTH:
        raise SearchTooLong()
    return text


def terms(text: str) -> Terms:
    """Every reading of a search text (one text may be more than one: ``ABCDEFGH`` could be a
    reference or a name)."""
    text = clean(text)
    compact = re.sub(r"[\s\-]", "", text).upper()
    found: dict[str, list] = {
        "referral_references": [],
        "submission_references": [],
        "dates_of_birth": [],
        "postcodes": [],
    }
    if match := _REFERRAL_REFERENCE.match(compact):
        code, number = match.groups()
        found["referral_references"].append(f"SL-{code[:4]}-{code[4:]}-{number}")
    if match := _SUBMISSION_REFERENCE.match(compact):
        code = match.group(1)
        found["submission_references"].append(f"SL-{code[:4]}-{code[4:]}")
    if (born := _date(text)) is not None:
        found["dates_of_birth"].append(born)
    if 5 <= len(compact) <= 7:
        with suppress(DetailError):
            found["postcodes"].append(uk_postcode(compact))
    return Terms(**{key: tuple(values) for key, values in found.items()}, names=_names(text))


def _date(text: str) -> date | None:
    if match := _ISO_DATE.match(text):
        year, month, day = match.groups()
    elif match := _UK_DATE.match(text):
        day, month, year = match.groups()
    else:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _names(text: str) -> tuple[tuple[str | None, str | None], ...]:
    """Each way the words may split into a given name and a family name, either way round."""
    words = text.split()
    if not words or len(words) > MAX_NAME_WORDS or not all(_NAME.match(w) for w in words):
        return ()
    phrase = " ".join(words)
    splits: list[tuple[str | None, str | None]] = [(phrase, None), (None, phrase)]
    for cut in range(1, len(words)):
        first, rest = " ".join(words[:cut]), " ".join(words[cut:])
        splits += [(first, rest), (rest, first)]
    return tuple(dict.fromkeys(splits))


def _ascii_lower(text: str) -> str:
    """What SQLite's ``lower()`` makes of a text: only A to Z are folded."""
    return "".join(letter.lower() if letter.isascii() else letter for letter in text)


def _name_forms(phrase: str) -> list[str]:
    """The forms in which ``lower()`` of a stored name equal to ``phrase`` in any case may come
    back: fully folded (PostgreSQL), or with only A to Z folded (SQLite) from the name as it was
    most likely typed (as given, capitalised, title case, upper or lower case)."""
    typed = (phrase, phrase.capitalize(), phrase.title(), phrase.upper(), phrase.lower())
    return sorted({phrase.lower(), *(_ascii_lower(form) for form in typed)})


def _name_condition(given: str | None, family: str | None):
    parts = []
    if given is not None:
        parts.append(func.lower(Client.given_name).in_(_name_forms(given)))
    if family is not None:
        parts.append(func.lower(Client.family_name).in_(_name_forms(family)))
    return and_(*parts)


def _word_in_longer_names(word: str):
    """Questionnaires whose client has ``word`` as one whole word of a given or family name of
    several words (split at spaces and hyphens), each read from its partial index."""
    branches = []
    for column, several in MULTI_WORD.items():
        words = literal(" ") + func.replace(func.lower(column), "-", " ") + literal(" ")
        branches.append(
            select(Submission.id)
            .join(Client, Submission.client_id == Client.id)
            .where(several, or_(*(words.like(f"% {form} %") for form in _name_forms(word))))
        )
    return branches


def client_condition(found: Terms):
    """The clients a search finds, as a condition on ``Client``."""
    conditions = [_name_condition(given, family) for given, family in found.names]
    if found.dates_of_birth:
        conditions.append(Client.date_of_birth.in_(found.dates_of_birth))
    if found.postcodes:
        conditions.append(Client.postcode.in_(found.postcodes))
    return or_(*conditions) if conditions else false()


def referral_condition(text: str | None):
    """The referrals a search text finds, as a condition on ``Referral``; None for no search
    (an empty text). ``SearchTooLong`` for a text longer than ``MAX_LENGTH``."""
    if not clean(text):
        return None
    found = terms(text)
    if found.empty:
        return false()
    if found.referral_references:  # digits at the end: not a name, date or postcode
        return Referral.reference.in_(found.referral_references)
    questionnaires = []
    if found.names or found.dates_of_birth or found.postcodes:
        questionnaires.append(
            select(Submission.id)
            .join(Client, Submission.client_id == Client.id)
            .where(client_condition(found))
        )
    if len(found.names) == 2 and " " not in found.names[0][0]:  # one word, maybe of a longer name
        questionnaires += _word_in_longer_names(found.names[0][0])
    if found.submission_references:
        questionnaires.append(
            select(Submission.id).where(Submission.reference.in_(found.submission_references))
        )
    found_ids = union(*questionnaires) if len(questionnaires) > 1 else questionnaires[0]
    return Referral.submission_id.in_(found_ids.scalar_subquery())


def describe(text: str) -> str:
    """The search as a heading says it: “matching ‘Clarke’”."""
    return f"matching “{clean(text)}”"
