"""The data layer for what a referrer sees of the questionnaires they submitted.

A referrer sees the questionnaires they submitted themselves, never anyone else's, and of each
referral only what they may pass on to the client: the agency, what it is about, where it has got
to and its outcome. Partners' notes, decline and cancel reasons and the hub's follow-up notes stay
out: nothing here reads them into a row. Everything a page shows is loaded up front.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from hub.extensions import db
from hub.filters import london_date
from hub.labels import NEEDS_MET_LABELS, REFERRER_OUTCOME_LABELS, outcome_label
from hub.models import Referral, Submission
from hub.pagination import Page, PageNotFound
from hub.referrals import lifecycle
from hub.referrals.questionnaire_versions import definition_of
from hub.status import WITH_PARTNER, Status

PAGE_SIZE = 20

__all__ = ["Page", "PageNotFound", "questionnaires_of", "questionnaire_of"]


@dataclass(frozen=True)
class ReferralView:
    """One referral as the referrer sees it."""

    reference: str
    agency: str
    about: str  # the question as the client was asked it
    short: str  # its short label, which tells two referrals to one agency apart
    status: str
    status_words: str
    outcome: str | None


@dataclass(frozen=True)
class FollowUpView:
    done: bool
    words: str


@dataclass(frozen=True)
class QuestionnaireView:
    """One submitted questionnaire with its referrals, ready to show."""

    id: int
    reference: str
    client_id: int  # for the audit trail
    client_name: str
    received_at: datetime
    referrals: list[ReferralView]
    summary: str
    follow_up: FollowUpView


def _outcome_words(outcome: str | None) -> str | None:
    """The outcome as the referrer reads it; ``None`` while there is none."""
    return outcome_label(outcome, REFERRER_OUTCOME_LABELS) if outcome else None


def _rerouted_to(referrals: list[Referral]) -> dict[int, Referral]:
    """Declined referral id -> the referral that took over its need. A re-route stays on the
    same questionnaire, so the questionnaire's own referrals are enough."""
    return {r.rerouted_from_id: r for r in referrals if r.rerouted_from_id is not None}


def status_words(referral: Referral, successor: Referral | None) -> str:
    """Where the referral has got to, in words the referrer can pass on to the client."""
    status = referral.status
    if status == Status.RECEIVED:
        return "Waiting to be sent to the agency"
    if status in WITH_PARTNER:
        sent = f"Sent to the agency on {london_date(referral.forwarded_at)}"
        if status == Status.ACCEPTED:
            sent += f" and accepted on {london_date(referral.accepted_at)}"
        return f"{sent}; they aim to contact the client by {london_date(referral.contact_due_at)}"
    if status == Status.CONTACTED:
        return f"Agency has contacted the client on {london_date(referral.contacted_at)}"
    if status == Status.CLOSED:
        return f"Closed: {_outcome_words(referral.outcome)}"
    if status == Status.DECLINED:
        if successor is not None:
            return f"Re-routed to {successor.partner.name}"
        return "Declined by the agency: the hub is finding another service"
    if status == Status.CANCELLED:
        # The referrer recorded the client's consent, so they may know it was withdrawn; any
        # other reason is the hub's.
        if (referral.status_reason or "").startswith(lifecycle.CONSENT_WITHDRAWN):
            return "Cancelled: consent withdrawn"
        return "Cancelled"
    return status.capitalize()


def summary_line(referrals: list[Referral]) -> str:
    """ "2 of 3 agencies have contacted the client": counting each need once (a re-routed
    referral by the agency that took it over) and leaving cancelled referrals out."""
    if not referrals:
        return "No agencies: every answer was no"
    superseded = set(_rerouted_to(referrals))
    live = [r for r in referrals if r.id not in superseded and r.status != Status.CANCELLED]
    if not live:
        return "Every referral was cancelled"
    contacted = sum(1 for r in live if r.contacted_at is not None)
    agencies = "agency" if len(live) == 1 else "agencies"
    verb = "has" if contacted == 1 else "have"
    line = f"{contacted} of {len(live)} {agencies} {verb} contacted the client"
    waiting = sum(1 for r in live if r.status == Status.RECEIVED)
    if waiting:
        line += f"; {waiting} waiting to be sent to {'an agency' if waiting == 1 else 'agencies'}"
    return line


def _follow_up(submission: Submission) -> FollowUpView:
    follow_up = submission.follow_up
    if follow_up is None:
        return FollowUpView(
            done=False,
            words="The hub will call the client to check their needs were met, from "
            f"{london_date(submission.follow_up_due_at)}",
        )
    needs_met = NEEDS_MET_LABELS.get(follow_up.needs_met, follow_up.needs_met).lower()
    return FollowUpView(
        done=True,
        words=f"Follow-up call on {london_date(follow_up.recorded_at)}: needs met {needs_met}",
    )


def _question(submission: Submission, key: str) -> tuple[str, str]:
    """The question's text and short label, in the version the client answered."""
    try:
        question = definition_of(submission.questionnaire_version).question(key)
    except KeyError:
        return key, key
    return question.text, question.short


def _view(submission: Submission) -> QuestionnaireView:
    referrals = list(submission.referrals)
    successors = _rerouted_to(referrals)
    questions = {r.question_key: _question(submission, r.question_key) for r in referrals}
    return QuestionnaireView(
        id=submission.id,
        reference=submission.reference,
        client_id=submission.client_id,
        client_name=submission.client.full_name,
        received_at=submission.received_at,
        referrals=[
            ReferralView(
                reference=referral.reference,
                agency=referral.partner.name,
                about=questions[referral.question_key][0],
                short=questions[referral.question_key][1],
                status=referral.status,
                status_words=status_words(referral, successors.get(referral.id)),
                outcome=_outcome_words(referral.outcome),
            )
            for referral in referrals
        ],
        summary=summary_line(referrals),
        follow_up=_follow_up(submission),
    )


_LOADS = (
    joinedload(Submission.client),
    joinedload(Submission.questionnaire_version),
    joinedload(Submission.follow_up),
    selectinload(Submission.referrals).joinedload(Referral.partner),
)


def questionnaires_of(user_id: int, number: int = 1, size: int = PAGE_SIZE) -> Page:
    """The questionnaires one user submitted, newest first."""
    mine = Submission.submitted_by_id == user_id
    total = db.session.scalar(select(func.count(Submission.id)).where(mine))
    page = Page.numbered(number, size, total)
    submissions = db.session.scalars(
        select(Submission)
        .where(mine)
        .order_by(Submission.received_at.desc(), Submission.id.desc())
        .offset(page.offset)
        .limit(size)
        .options(*_LOADS)
    ).unique()
    page.items = [_view(submission) for submission in submissions]
    return page


def questionnaire_of(user_id: int, submission_id: int) -> QuestionnaireView | None:
    """One questionnaire, if that user submitted it; ``None`` for anyone else's."""
    submission = db.session.scalar(
        select(Submission)
        .where(Submission.id == submission_id, Submission.submitted_by_id == user_id)
        .options(*_LOADS)
    )
    return _view(submission) if submission is not None else None
