"""The hub's follow-up with the client about four weeks on: the list of those due, and the call.

HUB_FOLLOW_UP_DAYS after the hub received a questionnaire (``Submission.follow_up_due_at``, set by
``hub.referrals.sla.follow_up_due``) it appears on the hub's follow-up list. Hub staff ask the
client whether their needs were met, which agencies helped, and (if the client agrees) the four ONS
personal wellbeing questions, which can also be asked with the questionnaire itself so that
change can be measured. A "no" or "partly" can start new referrals straight away; they go
through ``hub.referrals.lifecycle`` like any other. The wellbeing questions' words and rules are
``hub.referrals.wellbeing``'s; their answers are recorded here.

The pages and the API both come here. ``now`` comes from the caller; callers commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from hub import limits
from hub.extensions import db
from hub.models import (
    NEEDS_MET,
    WELLBEING_STAGES,
    Client,
    FollowUp,
    Organisation,
    Referral,
    Submission,
    User,
    WellbeingScore,
)
from hub.pagination import Page, PageNotFound  # noqa: F401  (the views catch it from here)
from hub.referrals import intake
from hub.referrals.questionnaire_versions import definition_of
from hub.referrals.wellbeing import clean_wellbeing, wellbeing_at
from hub.status import Status
from partners.directory import partner_names, partners_by_slug

PAGE_SIZE = 50
NEEDS_NOT_MET = ("partly", "no")  # the answers after which the hub may refer again


class FollowUpInvalid(ValueError):
    """Missing or wrong details; ``errors`` maps each field (``needs_met``, ``helped``,
    ``wellbeing.happy``, ``refer_again``...) to a plain-English message. Nothing was changed."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{key}: {message}" for key, message in self.errors.items()))


class FollowUpRefused(Exception):
    """Not allowed now (already recorded, consent withdrawn...). Nothing was changed."""


# --- Recording the wellbeing answers ---------------------------------------------------------


def record_wellbeing(
    submission: Submission, stage: str, scores, actor: User | None, now: datetime
) -> WellbeingScore:
    """The client's four wellbeing answers at the questionnaire or at the follow-up; once each."""
    if stage not in WELLBEING_STAGES:
        raise ValueError(f"unknown wellbeing stage {stage!r}")
    cleaned, errors = clean_wellbeing(scores)
    if errors or cleaned is None:
        raise FollowUpInvalid(
            {f"wellbeing.{key}": message for key, message in errors.items()}
            or {"wellbeing": "Give the four wellbeing answers"}
        )
    if wellbeing_at(submission, stage) is not None:
        raise FollowUpRefused(
            f"Wellbeing answers at the {stage.replace('_', '-')} for questionnaire "
            f"{submission.reference} are already recorded."
        )
    row = WellbeingScore(
        submission=submission,
        stage=stage,
        recorded_by_id=actor.id if actor else None,
        recorded_at=now,
        **cleaned,
    )
    db.session.add(row)
    return row


# --- Which questionnaires are due a follow-up -------------------------------------------------


def _due_condition(now: datetime):
    """Due by now, not followed up yet, and the client has not withdrawn consent."""
    recorded = select(FollowUp.id).where(FollowUp.submission_id == Submission.id).exists()
    return (
        (Submission.follow_up_due_at <= now)
        & ~recorded
        & Submission.client.has(Client.consent_withdrawn_at.is_(None))
    )


_DUE_LOADS = (
    joinedload(Submission.client),
    selectinload(Submission.referrals).joinedload(Referral.partner),
)


def count_due(now: datetime) -> int:
    """How many questionnaires are due a follow-up by ``now``."""
    return db.session.scalar(select(func.count(Submission.id)).where(_due_condition(now)))


def due_follow_ups(now: datetime, page: int = 1, size: int = PAGE_SIZE) -> Page:
    """Questionnaires due a follow-up by ``now``, the longest due first."""
    due = Page.numbered(page, size, count_due(now))
    due.items = list(
        db.session.scalars(
            select(Submission)
            .where(_due_condition(now))
            .order_by(Submission.follow_up_due_at, Submission.id)
            .offset(due.offset)
            .limit(size)
            .options(*_DUE_LOADS)
        )
    )
    return due


def due_follow_ups_after(now: datetime, after: int | None, limit: int) -> list[Submission]:
    """The API's pages of the same list: up to ``limit`` due after the questionnaire ``after``
    (in the list's order, longest due first), so a page never repeats or skips one."""
    query = select(Submission).where(_due_condition(now))
    if after:
        anchor = db.session.scalar(
            select(Submission.follow_up_due_at).where(Submission.id == after)
        )
        if anchor is not None:
            query = query.where(
                (Submission.follow_up_due_at > anchor)
                | ((Submission.follow_up_due_at == anchor) & (Submission.id > after))
            )
    return list(
        db.session.scalars(
            query.order_by(Submission.follow_up_due_at, Submission.id)
            .limit(limit)
            .options(*_DUE_LOADS)
        )
    )


def recent_follow_ups(limit: int = 20) -> list[FollowUp]:
    """The follow-ups recorded most recently."""
    return list(
        db.session.scalars(
            select(FollowUp)
            .order_by(FollowUp.recorded_at.desc(), FollowUp.id.desc())
            .limit(limit)
            .options(
                joinedload(FollowUp.recorded_by),
                joinedload(FollowUp.submission).joinedload(Submission.client),
            )
        )
    )


def status_counts(submission: Submission) -> list[tuple[str, int]]:
    """How many of a questionnaire's referrals are in each status, in lifecycle order."""
    counts: dict[str, int] = {}
    for referral in submission.referrals:
        counts[referral.status] = counts.get(referral.status, 0) + 1
    return [(status, counts[status]) for status in Status if status in counts]


# --- One questionnaire ------------------------------------------------------------------------


def submission_for_follow_up(submission_id: int, lock: bool = False) -> Submission | None:
    """A questionnaire with what its follow-up pages show; ``lock`` before recording, so a
    second recording at once waits and then finds the first."""
    query = (
        select(Submission)
        .where(Submission.id == submission_id)
        .options(
            joinedload(Submission.client),
            joinedload(Submission.questionnaire_version),
            joinedload(Submission.follow_up).joinedload(FollowUp.recorded_by),
            selectinload(Submission.referrals).joinedload(Referral.partner),
        )
        .execution_options(populate_existing=True)
    )
    if lock:
        query = query.with_for_update(of=Submission)
    return db.session.scalar(query)


def partners_of(submission: Submission) -> list[Organisation]:
    """The agencies this questionnaire referred the client to, once each, in referral order."""
    return list({r.partner.slug: r.partner for r in submission.referrals}.values())


@dataclass(frozen=True)
class ReferAgainOption:
    """A question the client could be referred again for, and the partner it would go to."""

    key: str
    text: str
    partner_slug: str
    partner_name: str
    open_referral: Referral | None  # an open referral for it already: not offered


def refer_again_options(submission: Submission) -> list[ReferAgainOption]:
    """Every question of the questionnaire with its partner for the client's borough."""
    definition = definition_of(submission.questionnaire_version)
    borough = submission.client.borough
    names = partner_names(question.partner_for(borough) for question in definition.questions)
    open_by_key = {r.question_key: r for r in submission.referrals if r.is_open}
    return [
        ReferAgainOption(
            key=question.key,
            text=question.text,
            partner_slug=question.partner_for(borough),
            partner_name=names.get(question.partner_for(borough), question.partner_for(borough)),
            open_referral=open_by_key.get(question.key),
        )
        for question in definition.questions
    ]


# --- Recording the follow-up ------------------------------------------------------------------


@dataclass
class Recorded:
    follow_up: FollowUp
    wellbeing: WellbeingScore | None
    referrals: list[Referral] = field(default_factory=list)


def _check_client(submission: Submission) -> None:
    withdrawn = submission.client.consent_withdrawn_at
    if withdrawn is not None:
        raise FollowUpRefused(
            f"The client of questionnaire {submission.reference} withdrew consent: the hub no "
            "longer follows up with them or refers them."
        )


def _already_recorded(submission: Submission) -> FollowUp | None:
    return db.session.scalar(select(FollowUp).where(FollowUp.submission_id == submission.id))


def record_follow_up(
    submission: Submission,
    actor: User,
    now: datetime,
    needs_met: str | None,
    helped,
    notes: str | None,
    wellbeing,
    refer_again: list[str] | None = None,
) -> Recorded:
    """Record the follow-up call, once per questionnaire, with the wellbeing answers when the
    client gave them (``wellbeing``: the four scores, or None) and, for a "no" or "partly",
    new referrals for ``refer_again`` (question keys). Every problem is reported at once
    (FollowUpInvalid); a second follow-up is refused (FollowUpRefused)."""
    if _already_recorded(submission) is not None:
        raise FollowUpRefused(
            f"A follow-up for questionnaire {submission.reference} is already recorded."
        )
    _check_client(submission)
    errors: dict[str, str] = {}
    if needs_met not in NEEDS_MET:
        errors["needs_met"] = "Select whether the client’s needs were met: yes, partly or no"
    slugs = _helped(submission, helped, errors)
    notes = limits.clean(notes) or None
    problem = notes and limits.text_problem(notes, "Notes", limits.NOTE)
    if problem:
        errors["notes"] = problem
    scores = None
    if wellbeing is not None:
        scores, problems = clean_wellbeing(wellbeing)
        errors.update({f"wellbeing.{key}": message for key, message in problems.items()})
    new = []
    if refer_again:
        if needs_met in NEEDS_MET and needs_met not in NEEDS_NOT_MET:
            errors["refer_again"] = (
                "Refer the client again only when their needs were not met, or only partly"
            )
        else:
            new = _new_referrals(submission, refer_again, errors)
    if errors:
        raise FollowUpInvalid(errors)

    follow_up = FollowUp(
        submission=submission,
        needs_met=needs_met,
        helped=slugs,
        notes=notes,
        recorded_by_id=actor.id,
        recorded_at=now,
    )
    db.session.add(follow_up)
    try:
        db.session.flush()
    except IntegrityError:  # another tab recorded it first: refused; the caller rolls back
        raise FollowUpRefused(
            f"A follow-up for questionnaire {submission.reference} is already recorded."
        ) from None
    score_row = None
    if scores is not None:
        score_row = record_wellbeing(submission, "follow_up", scores, actor, now)
    referrals = []
    if new:
        referrals = intake.add_referrals(submission, new, actor, now, source="follow_up")
    return Recorded(follow_up, score_row, referrals)


def _helped(submission: Submission, helped, errors: dict) -> list[str]:
    if helped is None:
        return []
    if not isinstance(helped, list | tuple) or not all(isinstance(s, str) for s in helped):
        errors["helped"] = "Give the agencies that helped as a list of partner slugs"
        return []
    ours = {partner.slug: partner for partner in partners_of(submission)}
    chosen = list(dict.fromkeys(helped))
    strangers = [slug for slug in chosen if slug not in ours]
    if strangers:
        errors["helped"] = (
            "Choose only agencies this questionnaire referred the client to; not: "
            + ", ".join(strangers)
        )
    return [slug for slug in chosen if slug in ours]


def _new_referrals(submission: Submission, question_keys, errors: dict) -> list[intake.NewReferral]:
    """Each question's partner for the client's borough; a question still open is refused."""
    if not isinstance(question_keys, list | tuple) or not all(
        isinstance(key, str) for key in question_keys
    ):
        errors["refer_again"] = "Give the questions to refer again for as a list of question keys"
        return []
    keys = list(dict.fromkeys(question_keys))
    if not keys:
        errors["refer_again"] = "Select at least one need to refer the client for"
        return []
    options = {option.key: option for option in refer_again_options(submission)}
    partners = partners_by_slug({option.partner_slug for option in options.values()})
    problems, new = [], []
    for key in keys:
        option = options.get(key)
        if option is None:
            problems.append(f"“{key}” is not a question in this questionnaire")
        elif option.open_referral is not None:
            problems.append(
                f"Referral {option.open_referral.reference} for “{option.text}” is still open "
                f"with {option.open_referral.partner.name}"
            )
        elif option.partner_slug not in partners or not partners[option.partner_slug].active:
            problems.append(f"{option.partner_name} is not an active partner agency")
        else:
            new.append(intake.NewReferral(key, partners[option.partner_slug]))
    if problems:
        errors["refer_again"] = "; ".join(problems)
        return []
    return new


def refer_again(
    submission: Submission, question_keys, actor: User, now: datetime
) -> list[Referral]:
    """After a "no" or "partly": new ``received`` referrals, each to its question's partner for
    the client's borough, with a fresh forwarding deadline. A question with a referral still
    open is refused."""
    follow_up = _already_recorded(submission)
    if follow_up is None:
        raise FollowUpRefused(
            f"Record the follow-up for questionnaire {submission.reference} before referring "
            "the client again."
        )
    if follow_up.needs_met not in NEEDS_NOT_MET:
        raise FollowUpRefused(
            "The client said their needs were met: refer them again only when their needs were "
            "not met, or only partly."
        )
    _check_client(submission)
    errors: dict[str, str] = {}
    new = _new_referrals(submission, question_keys, errors)
    if errors:
        raise FollowUpInvalid(errors)
    return intake.add_referrals(submission, new, actor, now, source="follow_up")
