"""The data layer for the partner portal: the inbox's tabs and one referral's page.

Every lookup goes through ``hub.auth.access.referrals_visible_to``, so a partner user (or a
signed-link visitor, who may see one referral) finds only what it may see; anything else is simply
not found. Templates never query: what they show is loaded here. ``now`` comes from the view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import joinedload, selectinload

from hub.auth.access import referrals_visible_to
from hub.clock import parse_iso
from hub.extensions import db
from hub.filters import london_time
from hub.labels import (
    CONTACT_METHOD_LABELS,
    PARTNER_DETAIL_LABELS,
    PARTNER_EVENT_LABELS,
    event_label,
    outcome_label,
)
from hub.models import ContactAttempt, Referral, ReferralEvent, Submission, User
from hub.referrals import lifecycle
from hub.status import FINISHED_STATUSES, WITH_PARTNER, Status
from hub.triage.queries import HistoryEntry, Page, PageNotFound, _paginate, question_text

__all__ = ["Page", "PageNotFound", "question_text"]

# The inbox's tabs, in order: (key, label, statuses).
TABS = (
    ("new", "New", (Status.FORWARDED,)),
    ("in_progress", "In progress", (Status.ACCEPTED, Status.CONTACTED)),
    ("closed", "Closed", FINISHED_STATUSES),
)
TAB_STATUSES = {key: statuses for key, _, statuses in TABS}
DEFAULT_TAB = "new"

# --- The inbox --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    count: int
    current: bool


@dataclass(frozen=True)
class InboxSummary:
    to_contact: int
    overdue: int


def tabs(user: User, current: str) -> list[Tab]:
    """Each tab with how many referrals it holds, in one query."""
    counts = db.session.execute(
        select(
            *(func.count(case((Referral.status.in_(statuses), 1))) for _, _, statuses in TABS)
        ).where(referrals_visible_to(user))
    ).one()
    return [
        Tab(key, label, count, key == current)
        for (key, label, _), count in zip(TABS, counts, strict=True)
    ]


def inbox_summary(user: User, now: datetime) -> InboxSummary:
    """How many referrals still owe the client a first contact, and how many of those are late."""
    with_partner = Referral.status.in_(WITH_PARTNER)
    to_contact, overdue = db.session.execute(
        select(
            func.count(case((with_partner, 1))),
            func.count(case((and_(with_partner, Referral.contact_due_at <= now), 1))),
        ).where(referrals_visible_to(user))
    ).one()
    return InboxSummary(to_contact=to_contact, overdue=overdue)


def _tab_order(tab: str) -> tuple:
    if tab == "closed":  # most recently finished first
        ended = func.coalesce(Referral.closed_at, Referral.declined_at, Referral.cancelled_at)
        return (ended.desc(), Referral.id.desc())
    if tab == "in_progress":  # those still owing a first contact, soonest deadline first
        return (
            case((Referral.status == Status.ACCEPTED, 0), else_=1),
            Referral.contact_due_at,
            Referral.contacted_at.desc(),
            Referral.id,
        )
    return (Referral.contact_due_at, Referral.id)


def inbox(user: User, tab: str, now: datetime, number: int = 1) -> Page:
    """One tab of the inbox, a page at a time, as ``ReferralRow``s."""
    query = (
        select(Referral)
        .where(referrals_visible_to(user), Referral.status.in_(TAB_STATUSES[tab]))
        .order_by(*_tab_order(tab))
    )
    return _paginate(query, number, now)


# --- One referral -----------------------------------------------------------------------------


def referral_for_page(user: User, referral_id: int) -> Referral | None:
    """A referral the user may see, with everything its page shows loaded up front."""
    return db.session.scalar(
        select(Referral)
        .where(Referral.id == referral_id, referrals_visible_to(user))
        .options(
            joinedload(Referral.partner),
            selectinload(Referral.events)
            .joinedload(ReferralEvent.actor)
            .joinedload(User.organisation),
            selectinload(Referral.attempts)
            .joinedload(ContactAttempt.recorded_by)
            .joinedload(User.organisation),
            selectinload(Referral.submission).options(
                joinedload(Submission.client),
                joinedload(Submission.questionnaire_version),
            ),
        )
        .execution_options(populate_existing=True)
    )


def lock_referral(user: User, referral_id: int) -> Referral | None:
    """A referral the user may see, locked for a change (a second change at once waits, then
    sees the first); None for one it may not see, so it cannot even be locked."""
    return db.session.scalar(
        select(Referral)
        .where(Referral.id == referral_id, referrals_visible_to(user))
        .with_for_update(of=Referral)
        .execution_options(populate_existing=True)
    )


def available_actions(referral: Referral) -> set[str]:
    """The partner's actions the lifecycle allows from the referral's status now."""
    return {
        action
        for action in ("accept", "attempt", "contact", "close", "decline")
        if referral.status in lifecycle.ALLOWED_FROM[action]
    }


# --- History, as the partner sees it ----------------------------------------------------------

# Hub staff's notes are internal, and so are the SLA watch's breach records: the hub's own
# forwarding deadlines (the partner had not been sent the referral yet), and the escalation to
# hub staff when the partner's contact deadline passes (between the hub and its staff; the
# partner reads the reminders it was sent). A re-route's details concern another agency, and so
# does a change of partner before forwarding. A note the hub marked for the partner
# (``partner_note``) is shown.
HIDDEN_KINDS = {
    "note",
    "held",
    "forward_warning",
    "forward_breach",
    "contact_breach",
    "partner_changed",
}


def _yes_no(value) -> str:
    return "Yes" if value else "No"


def _moment(value) -> str:
    return london_time(parse_iso(value)) if value else ""


# The details a partner sees, in this order, and how each is shown; the rest (other agencies,
# other referrals) are left out.
SHOWN_DETAILS = (
    ("method", lambda value: CONTACT_METHOD_LABELS.get(value, value)),
    ("attempted_at", _moment),
    ("reached", _yes_no),
    ("contacted_at", _moment),
    ("outcome", outcome_label),
    ("previous_outcome", outcome_label),
    ("reason", str),
    ("note", str),
    ("notes", str),
)


def _who(actor: User | None) -> str:
    if actor is None:
        return "The hub (automatic)"
    return f"{actor.name}, {actor.organisation.name}"


def history(referral: Referral) -> list[HistoryEntry]:
    """The referral's events a partner may read, newest first, in words."""
    entries = []
    for event in referral.events:
        if event.kind in HIDDEN_KINDS:
            continue
        details = event.details or {}
        shown = [] if event.kind == "rerouted" else details
        entries.append(
            HistoryEntry(
                at=event.at,
                who=_who(event.actor),
                what=event_label(event.kind, PARTNER_EVENT_LABELS),
                details=[
                    (PARTNER_DETAIL_LABELS[key], show(shown[key]))
                    for key, show in SHOWN_DETAILS
                    if key in shown and shown[key] is not None
                ],
            )
        )
    # Newest first; of events at the same moment, the one recorded last comes first.
    return sorted(reversed(entries), key=lambda entry: entry.at, reverse=True)


@dataclass(frozen=True)
class HubNote:
    at: datetime
    who: str
    text: str


def hub_notes(referral: Referral) -> list[HubNote]:
    """The notes hub staff marked for the partner (``lifecycle.PARTNER_NOTE``), newest first:
    shown at the top of the partner's page for the referral, and in its history."""
    notes = [
        HubNote(event.at, _who(event.actor), (event.details or {}).get("note", ""))
        for event in referral.events
        if event.kind == lifecycle.PARTNER_NOTE
    ]
    return sorted(reversed(notes), key=lambda note: note.at, reverse=True)
