"""The data layer for the hub's triage pages (the partner portal reuses its rows and paging).

Filtered, ordered and paginated queries that return rows ready to show: everything a template
reads is loaded here, so templates never query. ``now`` comes from the view (see ``hub.clock``).
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import and_, exists, false, func, select, true
from sqlalchemy.orm import aliased, joinedload, selectinload

from hub.extensions import db
from hub.filters import london_time
from hub.labels import (
    HUB_HISTORY_METHOD_LABELS,
    SOURCE_LABELS,
    detail_label,
    event_label,
    outcome_label,
)
from hub.models import (
    Organisation,
    Referral,
    ReferralEvent,
    Submission,
    User,
)
from hub.pagination import Page, PageNotFound  # noqa: F401  (the views catch it from here)
from hub.referrals.intake import is_held
from hub.referrals.overdue import (
    current_deadline,
    current_deadline_clause,
    is_overdue,
    overdue_clause,
)
from hub.referrals.questionnaire_versions import definition_of
from hub.referrals.search import referral_condition
from hub.status import OPEN_STATUSES, STATUSES, Status
from partners.directory import partner_names

PAGE_SIZE = 50
OPEN = "open"
ALL = "all"
# Declined by the partner and not yet re-routed: the hub owes it a decision.
DECLINED_WAITING = "declined_waiting"
# Waiting at the hub for a partner that is not taking referrals: the hub must re-route it.
PARTNER_PAUSED = "partner_paused"


# --- Rows and pages ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    status: str = Status.RECEIVED
    partner: Organisation | None = None
    overdue: bool = False
    q: str = ""  # a reference, name, date of birth or postcode (``hub.referrals.search``)


@dataclass(frozen=True)
class ReferralRow:
    """A referral as a list shows it: what it is about and the deadline that applies now."""

    referral: Referral
    question: str
    deadline: datetime | None
    deadline_kind: str | None  # "forward" (the hub's) or "contact" (the partner's)
    overdue: bool
    rerouted_to: str | None = None  # a declined referral's re-routed successor (the queue only)


def question_text(referral: Referral) -> str:
    """The question as the client was asked it, in the questionnaire version they answered."""
    definition = definition_of(referral.submission.questionnaire_version)
    try:
        return definition.question(referral.question_key).text
    except KeyError:
        return referral.question_key


def question_short(referral: Referral) -> str:
    """The question's short label (the bank's ``short``), as a list or a message names it."""
    definition = definition_of(referral.submission.questionnaire_version)
    try:
        return definition.question(referral.question_key).short
    except KeyError:
        return referral.question_key


def _row(referral: Referral, now: datetime) -> ReferralRow:
    """A list's row (the hub's queue, a partner's inbox): the question by its short label."""
    deadline, kind = current_deadline(referral)
    return ReferralRow(
        referral=referral,
        question=question_short(referral),
        deadline=deadline,
        deadline_kind=kind,
        overdue=is_overdue(referral, now),
    )


_LIST_LOADS = (
    joinedload(Referral.partner),
    selectinload(Referral.submission).selectinload(Submission.client),
    selectinload(Referral.submission).selectinload(Submission.questionnaire_version),
)


def _paginate(query, number: int, now: datetime, size: int = PAGE_SIZE) -> Page:
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = Page.numbered(number, size, total)
    rows = db.session.scalars(query.offset(page.offset).limit(size).options(*_LIST_LOADS))
    page.items = [_row(referral, now) for referral in rows]
    return page


# --- The hub's queue --------------------------------------------------------------------------


def _not_rerouted():
    successor = aliased(Referral)
    return ~exists(select(successor.id).where(successor.rerouted_from_id == Referral.id))


def _status_condition(status: str):
    if status == ALL:
        return true()
    if status == OPEN:
        return Referral.status.in_(OPEN_STATUSES)
    if status == DECLINED_WAITING:
        return and_(Referral.status == Status.DECLINED, _not_rerouted())
    if status == PARTNER_PAUSED:  # as ``intake.is_held`` says it
        paused = select(Organisation.id).where(Organisation.taking_referrals.is_(False))
        return and_(Referral.status == Status.RECEIVED, Referral.partner_id.in_(paused))
    if status in STATUSES:
        return Referral.status == status
    return false()


def queue(filters: QueueFilters, now: datetime, number: int = 1) -> Page:
    """Referrals matching the filters, soonest deadline first (those without one last)."""
    conditions = [_status_condition(filters.status)]
    if filters.partner is not None:
        conditions.append(Referral.partner_id == filters.partner.id)
    if filters.overdue:
        conditions.append(overdue_clause(now))
    if (found := referral_condition(filters.q)) is not None:
        conditions.append(found)
    query = (
        select(Referral)
        .where(*conditions)
        .order_by(*_queue_order())
        .options(  # what "forward all" for each questionnaire on the page needs
            selectinload(Referral.submission)
            .selectinload(Submission.referrals)
            .joinedload(Referral.partner)
        )
    )
    page = _paginate(query, number, now)
    _add_successors(page)
    return page


def _queue_order() -> tuple:
    """Soonest deadline first, those without one last; a questionnaire's referrals with the same
    deadline side by side, so the page can show them as one group."""
    deadline = current_deadline_clause()
    return (
        deadline.is_(None),
        deadline,
        Referral.submission_id,
        Referral.received_at,
        Referral.id,
    )


@dataclass(frozen=True)
class QueueGroup:
    """The rows of one questionnaire that sit together on a page of the queue."""

    submission: Submission
    rows: list[ReferralRow]

    @property
    def waiting(self) -> list[Referral]:
        """The questionnaire's referrals "forward all" would send, on this page or not."""
        return waiting_to_forward(self.submission)


def grouped(rows: list[ReferralRow]) -> list[QueueGroup]:
    """A page's rows, run by run of the same questionnaire, in the queue's order."""
    groups: list[QueueGroup] = []
    for row in rows:
        submission = row.referral.submission
        if groups and groups[-1].submission.id == submission.id:
            groups[-1].rows.append(row)
        else:
            groups.append(QueueGroup(submission, [row]))
    return groups


def next_waiting(after: Referral) -> Referral | None:
    """The referral to go on to once ``after`` is dealt with: another of its questionnaire still
    waiting to be forwarded, else the first waiting in the queue's order."""
    waiting = select(Referral).where(Referral.status == Status.RECEIVED, Referral.id != after.id)
    order = _queue_order()
    return db.session.scalar(
        waiting.where(Referral.submission_id == after.submission_id).order_by(*order).limit(1)
    ) or db.session.scalar(waiting.order_by(*order).limit(1))


def _add_successors(page: Page) -> None:
    """Mark the declined referrals on a page that were re-routed, with one query."""
    declined = [row.referral.id for row in page.items if row.referral.status == Status.DECLINED]
    if not declined:
        return
    successors = dict(
        db.session.execute(
            select(Referral.rerouted_from_id, Referral.reference).where(
                Referral.rerouted_from_id.in_(declined)
            )
        ).all()
    )
    page.items = [replace(row, rerouted_to=successors.get(row.referral.id)) for row in page.items]


def declined_waiting_count() -> int:
    """Declined referrals the hub has neither re-routed nor closed."""
    return db.session.scalar(
        select(func.count(Referral.id)).where(_status_condition(DECLINED_WAITING))
    )


def partner_paused_count() -> int:
    """Referrals waiting at the hub for a partner that is not taking referrals."""
    return db.session.scalar(
        select(func.count(Referral.id)).where(_status_condition(PARTNER_PAUSED))
    )


def partner_options() -> list[Organisation]:
    return list(
        db.session.scalars(
            select(Organisation).where(Organisation.kind == "partner").order_by(Organisation.name)
        )
    )


def reroute_options(declined: Referral) -> list[Organisation]:
    """The partner agencies a declined or held referral may go to: every active one taking
    referrals, but its own."""
    return list(
        db.session.scalars(
            select(Organisation)
            .where(
                Organisation.kind == "partner",
                Organisation.active.is_(True),
                Organisation.taking_referrals.is_(True),
                Organisation.id != declined.partner_id,
            )
            .order_by(Organisation.name)
        )
    )


# --- One referral -----------------------------------------------------------------------------


def referral_for_page(referral_id: int) -> Referral | None:
    """A referral with everything its page shows loaded up front."""
    return db.session.scalar(
        select(Referral)
        .where(Referral.id == referral_id)
        .options(
            joinedload(Referral.partner),
            joinedload(Referral.possible_duplicate_of),
            selectinload(Referral.events)
            .joinedload(ReferralEvent.actor)
            .joinedload(User.organisation),
            selectinload(Referral.submission).options(
                joinedload(Submission.client),
                joinedload(Submission.questionnaire_version),
                joinedload(Submission.referrer_organisation),
                joinedload(Submission.submitted_by),
                selectinload(Submission.referrals).joinedload(Referral.partner),
            ),
        )
        .execution_options(populate_existing=True)
    )


def referral_reference(referral_id: int | None) -> Referral | None:
    if referral_id is None:
        return None
    return db.session.get(Referral, referral_id)


def rerouted_to(referral: Referral) -> Referral | None:
    """The referral a declined one was re-routed as, if it was, with its partner."""
    return db.session.scalar(
        select(Referral)
        .where(Referral.rerouted_from_id == referral.id)
        .options(joinedload(Referral.partner))
    )


def lock_referral(referral_id: int) -> Referral | None:
    """The referral, locked for a change: a second change at once waits, then sees the first."""
    return db.session.scalar(
        select(Referral)
        .where(Referral.id == referral_id)
        .with_for_update(of=Referral)
        .execution_options(populate_existing=True)
    )


def lock_referrals_of(submission: Submission) -> list[Referral]:
    """Every referral of a questionnaire, locked and read afresh, before forwarding them all."""
    return list(
        db.session.scalars(
            select(Referral)
            .where(Referral.submission_id == submission.id)
            .order_by(Referral.id)
            .with_for_update(of=Referral)
            .execution_options(populate_existing=True)
        )
    )


def waiting_to_forward(submission: Submission) -> list[Referral]:
    """The questionnaire's referrals "forward all" would send: waiting, and not held."""
    return [
        referral
        for referral in submission.referrals
        if referral.status == Status.RECEIVED and not is_held(referral)
    ]


@dataclass(frozen=True)
class Answer:
    key: str
    text: str
    answer: bool | None


@dataclass(frozen=True)
class AnswerSection:
    key: str
    title: str
    answers: list[Answer]


def answers_by_section(submission: Submission) -> list[AnswerSection]:
    """Every answer the client gave, grouped as the questionnaire version they answered groups
    them (a later version may have other questions)."""
    definition = definition_of(submission.questionnaire_version)
    stored = submission.answers or {}
    return [
        AnswerSection(
            key=section.key,
            title=section.title,
            answers=[
                Answer(question.key, question.text, stored.get(question.key))
                for question in section.questions
            ],
        )
        for section in definition.sections
    ]


# --- History ----------------------------------------------------------------------------------

TIME_DETAILS = {"attempted_at", "contacted_at"}  # stored as ISO text, shown in UK time
HIDDEN_DETAILS = {"question"}  # the page already says what the referral is about


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    who: str
    what: str
    details: list[tuple[str, str]] = field(default_factory=list)


def _who(actor: User | None) -> str:
    if actor is None:
        return "The hub (automatic)"
    return f"{actor.name}, {actor.organisation.name}"


def _partner_names(events: list[ReferralEvent]) -> dict[str, str]:
    return partner_names(
        {
            event.details.get(key)
            for event in events
            if event.details
            for key in ("partner", "previous_partner")
        }
        - {None}
    )


def _detail(key: str, value, names: dict[str, str]) -> tuple[str, str]:
    label = detail_label(key)
    if key in ("partner", "previous_partner"):
        value = names.get(value, value)
    elif key in ("outcome", "previous_outcome"):
        value = outcome_label(value) if value else "None"
    elif key == "method":
        value = HUB_HISTORY_METHOD_LABELS.get(value, value)
    elif key == "reached":
        value = "Yes" if value else "No"
    elif key == "source":
        value = SOURCE_LABELS.get(value, value)
    elif key in TIME_DETAILS:
        with suppress(TypeError, ValueError):
            value = london_time(datetime.fromisoformat(value))
    return label, str(value)


def _what(event: ReferralEvent, names: dict[str, str]) -> str:
    """What happened, in words: "Re-routed to NHS Falls Prevention", "Contact attempt"."""
    details = event.details or {}
    if event.kind == "rerouted" and details.get("partner"):
        return f"Re-routed to {names.get(details['partner'], details['partner'])}"
    if event.kind == "partner_changed" and details.get("partner"):
        return f"Partner changed to {names.get(details['partner'], details['partner'])}"
    if event.kind == "received" and details.get("rerouted_from"):
        return "Re-routed here by the hub"
    if event.kind == "received" and details.get("source"):
        return "Added by the hub"
    return event_label(event.kind)


def history(referral: Referral) -> list[HistoryEntry]:
    """The referral's events, newest first, in words."""
    events = list(referral.events)
    names = _partner_names(events)
    entries = [
        HistoryEntry(
            at=event.at,
            who=_who(event.actor),
            what=_what(event, names),
            details=[
                _detail(key, value, names)
                for key, value in (event.details or {}).items()
                if key not in HIDDEN_DETAILS
            ],
        )
        for event in events
    ]
    # Newest first; of events at the same moment, the one recorded last comes first.
    return sorted(reversed(entries), key=lambda entry: entry.at, reverse=True)
