"""Questionnaire drafts: a questionnaire being completed, kept on the server page by page.

A draft belongs to the user who started it; anyone else is told it does not exist. Its ``data``
holds what each page saved::

    {"client": {**ClientDetails.as_dict(), "borough_source", "borough_name"},
     "answers": {key: bool},
     "wellbeing": {"agreed": bool, "scores": {question: 0-10} or None}, "consent": {...}}

``Step``, ``journey`` and ``first_unfinished`` decide which page comes next; they know nothing of
Flask. Callers commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import select

from hub.areas import CHOSEN, NOT_FOUND, POSTCODE, FoundBorough, borough_for
from hub.extensions import db
from hub.models import QuestionnaireDraft, QuestionnaireVersion, Submission, User
from hub.referrals.client_details import ClientDetails, clean_client_details
from hub.referrals.questionnaire_versions import definition_of
from hub.referrals.submissions import submit_questionnaire
from partners.directory import partner_names
from questionnaires import Questionnaire, Section

CLIENT = "client"
SECTION = "section"
WELLBEING = "wellbeing"
CONSENT = "consent"
CHECK = "check"


class ConsentNeeded(Exception):
    """The draft cannot be submitted until the worker records consent for its current agencies."""


# -- the journey through the pages ---------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    page: str  # CLIENT, SECTION, WELLBEING, CONSENT or CHECK
    section: str | None = None  # the section key, on SECTION pages


def journey(definition: Questionnaire) -> list[Step]:
    return [
        Step(CLIENT),
        *(Step(SECTION, section.key) for section in definition.sections),
        Step(WELLBEING),
        Step(CONSENT),
        Step(CHECK),
    ]


def step_before(definition: Questionnaire, step: Step) -> Step | None:
    steps = journey(definition)
    index = steps.index(step)
    return steps[index - 1] if index else None


def step_after(definition: Questionnaire, step: Step) -> Step:
    steps = journey(definition)
    return steps[min(steps.index(step) + 1, len(steps) - 1)]


def is_done(draft: QuestionnaireDraft, definition: Questionnaire, step: Step) -> bool:
    data = draft.data or {}
    if step.page == CLIENT:
        return CLIENT in data
    if step.page == SECTION:
        answers = data.get("answers", {})
        return all(q.key in answers for q in section_of(definition, step.section).questions)
    if step.page == WELLBEING:
        # Optional: it never holds the questionnaire up. The sections lead to it, and check
        # your answers offers it again ("Change") when it was passed by.
        return True
    if step.page == CONSENT:
        consent = data.get("consent")
        return consent is not None and consent.get("partners") == partner_slugs(draft, definition)
    return False  # checking answers ends in submitting, never "done" while a draft


def first_unfinished(draft: QuestionnaireDraft, definition: Questionnaire) -> Step:
    """The first page still to complete; "check your answers" when everything is done."""
    for step in journey(definition):
        if not is_done(draft, definition, step):
            return step
    return Step(CHECK)


def can_open(draft: QuestionnaireDraft, definition: Questionnaire, step: Step) -> bool:
    """A page opens once every page before it is done (its answers depend on theirs)."""
    for earlier in journey(definition):
        if earlier == step:
            return True
        if not is_done(draft, definition, earlier):
            return False
    return False


def section_of(definition: Questionnaire, key: str | None) -> Section:
    for section in definition.sections:
        if section.key == key:
            return section
    raise KeyError(key)


# -- finding and changing drafts -----------------------------------------------------------------


def start_draft(user: User, version: QuestionnaireVersion, now: datetime) -> QuestionnaireDraft:
    """A new draft of exactly this questionnaire version."""
    draft = QuestionnaireDraft(
        user_id=user.id,
        questionnaire_version_id=version.id,
        data={},
        created_at=now,
        updated_at=now,
    )
    db.session.add(draft)
    db.session.flush()
    return draft


def find_draft(draft_id: str, user: User) -> QuestionnaireDraft | None:
    """The user's own draft, or None: another user's draft is as good as absent."""
    draft = db.session.get(QuestionnaireDraft, draft_id)
    if draft is None or draft.user_id != user.id:
        return None
    return draft


@dataclass(frozen=True)
class DraftSummary:
    id: str
    title: str
    client_name: str | None
    started_at: datetime
    updated_at: datetime


def unfinished_drafts(user: User) -> list[DraftSummary]:
    """The user's drafts not yet submitted, the most recently changed first."""
    rows = db.session.execute(
        select(QuestionnaireDraft, QuestionnaireVersion.title)
        .join(QuestionnaireVersion)
        .where(QuestionnaireDraft.user_id == user.id, QuestionnaireDraft.submission_id.is_(None))
        .order_by(QuestionnaireDraft.updated_at.desc(), QuestionnaireDraft.created_at.desc())
    )
    return [
        DraftSummary(draft.id, title, client_name(draft), draft.created_at, draft.updated_at)
        for draft, title in rows
    ]


def discard_draft(draft: QuestionnaireDraft) -> bool:
    """Delete an unfinished draft and what it holds; a submitted one stays (it is the record of
    what was submitted). Returns whether it was discarded."""
    if draft.submission_id is not None:
        return False
    db.session.delete(draft)
    db.session.flush()
    return True


def definition_for(draft: QuestionnaireDraft) -> Questionnaire:
    return definition_of(draft.questionnaire_version)


def _change(draft: QuestionnaireDraft, now: datetime, **changes) -> None:
    # A new dict each time: the JSON column only notices a change when it is reassigned.
    draft.data = {**(draft.data or {}), **changes}
    draft.updated_at = now


_AS_GIVEN = object()


def save_client(
    draft: QuestionnaireDraft, details: ClientDetails, now: datetime, chosen=_AS_GIVEN
) -> FoundBorough:
    """Save the client's details, with their borough: ``chosen`` by the worker ("other" for
    none of ours), or, with None, found from the postcode (``hub.areas``); left out, the
    details' own borough is the chosen one. What was found is kept with the details, so the
    pages say it and the submission uses the borough the worker saw."""
    if chosen is _AS_GIVEN:
        chosen = details.borough or "other"
    found = borough_for(chosen, details.postcode)
    _change(
        draft,
        now,
        client={
            **replace(details, borough=found.slug).as_dict(),
            "borough_source": found.source,
            "borough_name": found.name,
        },
    )
    return found


def save_answers(draft: QuestionnaireDraft, answers: dict[str, bool], now: datetime) -> None:
    _change(draft, now, answers={**(draft.data or {}).get("answers", {}), **answers})


def save_wellbeing(
    draft: QuestionnaireDraft, agreed: bool, scores: dict[str, int] | None, now: datetime
) -> None:
    """Whether the client agreed to the four wellbeing questions, and their answers if so."""
    _change(draft, now, wellbeing={"agreed": agreed, "scores": scores if agreed else None})


def record_consent(
    draft: QuestionnaireDraft, definition: Questionnaire, user: User, now: datetime
) -> None:
    """Consent to share with the agencies the answers go to now; a later change asks again."""
    _change(
        draft,
        now,
        consent={
            "partners": partner_slugs(draft, definition),
            "recorded_by_id": user.id,
            "recorded_at": now.isoformat(),
        },
    )


def submit_draft(draft: QuestionnaireDraft, user: User, now: datetime) -> Submission:
    """Submit once: a repeat (double click, back button, retry) returns the first submission."""
    if draft.submission is not None:
        return draft.submission
    definition = definition_for(draft)
    if not is_done(draft, definition, Step(CONSENT)):
        raise ConsentNeeded()
    consent = draft.data["consent"]
    received = submit_questionnaire(
        draft.questionnaire_version,
        client_details(draft, definition, now.date()),
        answers_of(draft),
        user,
        now,
        idempotency_key=f"draft:{draft.id}",
        consent_recorded_by=db.session.get(User, consent["recorded_by_id"]),
        consent_recorded_at=datetime.fromisoformat(consent["recorded_at"]),
        wellbeing=wellbeing_scores(draft),
    )
    draft.submission = received.submission
    draft.updated_at = now
    return received.submission


# -- reading a draft -----------------------------------------------------------------------------


def answers_of(draft: QuestionnaireDraft) -> dict[str, bool]:
    return dict((draft.data or {}).get("answers", {}))


def saved_wellbeing(draft: QuestionnaireDraft) -> dict | None:
    """``{"agreed": bool, "scores": {...} or None}``, or None when the page was passed by."""
    return (draft.data or {}).get(WELLBEING)


def wellbeing_scores(draft: QuestionnaireDraft) -> dict[str, int] | None:
    saved = saved_wellbeing(draft) or {}
    return saved.get("scores") if saved.get("agreed") else None


def saved_client(draft: QuestionnaireDraft) -> dict | None:
    """The saved client details, with the date of birth as a date."""
    saved = (draft.data or {}).get(CLIENT)
    if saved is None:
        return None
    return {**saved, "date_of_birth": date.fromisoformat(saved["date_of_birth"])}


def client_name(draft: QuestionnaireDraft) -> str | None:
    saved = (draft.data or {}).get(CLIENT)
    return f"{saved['given_name']} {saved['family_name']}" if saved else None


def client_details(draft: QuestionnaireDraft, definition: Questionnaire, today: date):
    """The saved details, checked again by the same rules as when they were typed."""
    saved = (draft.data or {})[CLIENT]
    chosen = saved.get("borough") if saved.get("borough_source", CHOSEN) == CHOSEN else None
    details, errors = clean_client_details(
        {**saved, "borough": chosen}, today, tuple(definition.boroughs)
    )
    if errors:
        raise ValueError(f"saved client details no longer pass: {errors}")
    # A borough found from the postcode may be an area the questionnaire does not route by.
    return replace(details, borough=saved.get("borough"))


def borough_words(draft: QuestionnaireDraft, definition: Questionnaire) -> str | None:
    """The client's borough as the pages say it, with where it came from."""
    saved = (draft.data or {}).get(CLIENT)
    if saved is None:
        return None
    slug, source = saved.get("borough"), saved.get("borough_source", CHOSEN)
    if source == POSTCODE:
        name = saved.get("borough_name") or slug
        return f"{name} (found from the postcode {saved['postcode']})"
    if source == NOT_FOUND:
        return (
            f"Not found. We could not find a borough for the postcode {saved['postcode']}, so "
            "the referrals go to the hub’s default services. Choose the borough if you know it."
        )
    if slug is None:
        return "Another borough"
    return definition.borough_name(slug) if slug in definition.boroughs else slug


def borough_of(draft: QuestionnaireDraft) -> str | None:
    return ((draft.data or {}).get(CLIENT) or {}).get("borough")


def partner_slugs(draft: QuestionnaireDraft, definition: Questionnaire) -> list[str]:
    """The agencies this draft's "yes" answers go to, in questionnaire order, once each."""
    answers = answers_of(draft)
    if set(definition.keys) - answers.keys():
        return []
    flags = definition.flags(answers, borough_of(draft))
    return list(dict.fromkeys(flag.partner for flag in flags))


@dataclass
class Agency:
    """A partner agency and what it will be in touch about (the questions' short labels)."""

    slug: str
    name: str
    about: list[str] = field(default_factory=list)


def agencies_for_draft(draft: QuestionnaireDraft, definition: Questionnaire) -> list[Agency]:
    answers = answers_of(draft)
    flags = definition.flags(answers, borough_of(draft))
    return _agencies(
        [(flag.partner, definition.question(flag.question_key).short) for flag in flags],
        partner_names(flag.partner for flag in flags),
    )


def agencies_for_submission(submission: Submission) -> list[Agency]:
    definition = definition_of(submission.questionnaire_version)
    return _agencies(
        [
            (referral.partner.slug, definition.question(referral.question_key).short)
            for referral in submission.referrals
        ],
        {referral.partner.slug: referral.partner.name for referral in submission.referrals},
    )


def _agencies(pairs: list[tuple[str, str]], names: dict[str, str]) -> list[Agency]:
    agencies: dict[str, Agency] = {}
    for slug, about in pairs:
        agency = agencies.setdefault(slug, Agency(slug, names.get(slug, slug)))
        agency.about.append(about)
    return list(agencies.values())
