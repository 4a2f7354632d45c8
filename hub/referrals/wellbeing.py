"""The four ONS personal wellbeing questions: their words, checking the answers, and how the
answers changed between the questionnaire and the hub's follow-up.

They may be asked with the questionnaire (``hub.referrals.submissions``) and again at the follow-up
(``hub.referrals.follow_ups``, which records them); the pages and the API both check the answers
here, so the two never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from hub.extensions import db
from hub.models import WELLBEING_QUESTIONS, Submission, WellbeingScore

# The ONS personal wellbeing questions (ONS4), each answered from 0 ("not at all") to 10
# ("completely"). For anxiety a lower score is the better one.
WELLBEING_TEXT = {
    "life_satisfaction": "Overall, how satisfied are you with your life nowadays?",
    "worthwhile": (
        "Overall, to what extent do you feel that the things you do in your life are worthwhile?"
    ),
    "happy": "Overall, how happy did you feel yesterday?",
    "anxious": "Overall, how anxious did you feel yesterday?",
}
WELLBEING_SCALE = "0 is “not at all” and 10 is “completely”"
LOWEST_SCORE, HIGHEST_SCORE = 0, 10


def _score(value) -> int | None | str:
    """A score as a whole number; None when blank; "bad" when it is not a whole number."""
    if value is None:
        return None
    if isinstance(value, bool):  # JSON true is not a score
        return "bad"
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text.isdigit():
            return int(text)
    return "bad"


def clean_wellbeing(data) -> tuple[dict[str, int] | None, dict[str, str]]:
    """The four answers as whole numbers from 0 to 10: all four, or none at all.

    Returns ``(scores, {})``, ``(None, {})`` when every answer is blank, or ``(None, errors)``
    with a message for each question that is wrong, keyed by the question."""
    data = data or {}
    scores: dict[str, int] = {}
    errors: dict[str, str] = {}
    blank = []
    for key in WELLBEING_QUESTIONS:
        value = _score(data.get(key))
        if value is None:
            blank.append(key)
        elif value == "bad" or not LOWEST_SCORE <= value <= HIGHEST_SCORE:
            errors[key] = (
                f"Give a whole number from {LOWEST_SCORE} to {HIGHEST_SCORE} for "
                f"“{WELLBEING_TEXT[key]}”"
            )
        else:
            scores[key] = value
    if len(blank) == len(WELLBEING_QUESTIONS):
        return None, {}
    for key in blank:
        errors[key] = f"Answer all four wellbeing questions, or none: “{WELLBEING_TEXT[key]}”"
    if errors:
        return None, {key: errors[key] for key in WELLBEING_QUESTIONS if key in errors}
    return scores, {}


def scores_of(row: WellbeingScore | None) -> dict[str, int] | None:
    if row is None:
        return None
    return {key: getattr(row, key) for key in WELLBEING_QUESTIONS}


def wellbeing_at(submission: Submission, stage: str) -> WellbeingScore | None:
    return db.session.scalar(
        select(WellbeingScore).where(
            WellbeingScore.submission_id == submission.id, WellbeingScore.stage == stage
        )
    )


@dataclass(frozen=True)
class WellbeingChange:
    """One question's answer at the questionnaire and at the follow-up."""

    key: str
    text: str
    before: int | None
    after: int | None

    @property
    def change(self) -> int | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def in_words(self) -> str:
        if self.change is None:
            return "Not asked both times"
        if self.change == 0:
            return "No change"
        return f"{'Up' if self.change > 0 else 'Down'} {abs(self.change)}"


def wellbeing_changes(submission: Submission) -> list[WellbeingChange]:
    """Each question's answers at the two stages (either may be missing)."""
    before = scores_of(wellbeing_at(submission, "questionnaire")) or {}
    after = scores_of(wellbeing_at(submission, "follow_up")) or {}
    return [
        WellbeingChange(key, WELLBEING_TEXT[key], before.get(key), after.get(key))
        for key in WELLBEING_QUESTIONS
    ]
