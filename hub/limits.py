"""Limits on input (docs/design.md, "Limits on input"): how long each kind of text may be, which
characters are never stored, and the range of ids and of the figures' periods.

The forms, the API's parsing and the lifecycle's own checks all take their numbers from here, so a
limit is changed in one place.
"""

from __future__ import annotations

import re
from datetime import date

# Free text, in characters.
NOTE = 2000  # notes and reasons: every note, reason and comment on a referral or follow-up
NAME = 100  # a client's given or family name
ADDRESS = 500
POSTCODE = 16  # typed, with any spaces; checked as a real postcode after
PHONE = 32
EMAIL = 254  # RFC 5321's longest address
CONTACT_TIMES = 200
BOROUGH = 40  # a questionnaire's borough slug
SHORT_TEXT = 200  # anything else typed in one line: a time, a slug, a search, a password
IDEMPOTENCY_KEY = 200  # the column's width (``Submission.idempotency_key``)

# Each field by the name the forms and the API give it; any other text field is ``SHORT_TEXT``.
FIELDS = {
    "notes": NOTE,
    "note": NOTE,
    "reason": NOTE,
    "given_name": NAME,
    "family_name": NAME,
    "address": ADDRESS,
    "postcode": POSTCODE,
    "phone": PHONE,
    "email": EMAIL,
    "contact_times": CONTACT_TIMES,
    "borough": BOROUGH,
}

# Ids and page cursors: PostgreSQL's ``integer`` (SQLite's is wider).
LARGEST_ID = 2**31 - 1

# The managers' figures: no period starts before the hub's oldest possible data or runs long.
FIGURES_FROM = date(2000, 1, 1)
FIGURES_YEARS = 10

# Characters no text may contain: NUL (PostgreSQL cannot store it), other C0 controls but tab and
# newlines, and lone surrogates (JSON's "\ud800": not text, and not encodable as UTF-8).
_NEVER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# Characters that show nothing: zero-width spaces and joiners, direction marks, the byte order
# mark, soft hyphens. Text made only of these (and spaces) is blank.
_INVISIBLE = re.compile(
    r"[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f"
    r"\u202a-\u202e\u2060-\u206f\u3164\ufeff\uffa0]"
)
UNSTORABLE = "must not contain control characters or unpaired surrogates"


def limit_of(field: str) -> int:
    """How many characters the text field named ``field`` may hold."""
    return FIELDS.get(field, SHORT_TEXT)


def unstorable(text: str) -> bool:
    """Whether ``text`` holds a character the hub never stores (NUL, controls, lone surrogates)."""
    return _NEVER.search(text) is not None


def blank(text: str | None) -> bool:
    """Whether ``text`` shows nothing: empty, spaces, or only invisible characters."""
    return not _INVISIBLE.sub("", text or "").strip()


def visible(text: str | None) -> str:
    """``text`` without its invisible characters or surrounding space: what a length rule counts."""
    return _INVISIBLE.sub("", text or "").strip()


def clean(text: str | None) -> str:
    """``text`` stripped of surrounding space, and empty if it shows nothing at all."""
    text = (text or "").strip()
    return "" if blank(text) else text


def too_long(what: str, limit: int) -> str:
    """The message for text over its limit, in GOV.UK's words: "Note must be 2,000 characters or
    fewer"."""
    return f"{what} must be {limit:,} characters or fewer"


def text_problem(text: str, what: str, limit: int) -> str | None:
    """Why ``text`` cannot be stored (bad characters, too long), or ``None``."""
    if unstorable(text):
        return f"{what} {UNSTORABLE}"
    if len(text) > limit:
        return too_long(what, limit)
    return None
