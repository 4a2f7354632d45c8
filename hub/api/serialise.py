"""Rows as the API's JSON (docs/design.md): times in UTC with ``Z``, partners as their slugs.

Each caller reads no more than its own pages show it: a partner, a referral's history as its
page does (``partner_events``); a referrer, no partner's or hub's reason (``referral`` with
``referrer=True``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from hub.clock import iso_z
from hub.extensions import db
from hub.models import (
    ContactAttempt,
    OutboxMessage,
    QuestionnaireVersion,
    Referral,
    ReferralEvent,
    Submission,
)
from hub.referrals.intake import is_held
from hub.referrals.lifecycle import CONSENT_WITHDRAWN
from hub.referrals.overdue import is_overdue
from hub.referrals.questionnaire_versions import definition_of
from hub.status import Status
from partners.queries import HIDDEN_KINDS, SHOWN_DETAILS


def questionnaire(version: QuestionnaireVersion) -> dict:
    definition = definition_of(version)
    return {
        "slug": version.slug,
        "version": version.version,
        "title": version.title,
        "boroughs": list(boroughs_of(definition)),
        "questions": [_question(question) for question in definition.questions],
    }


def boroughs_of(definition) -> tuple[str, ...]:
    return tuple(definition.boroughs)


def _question(question) -> dict:
    shown = {
        "key": question.key,
        "text": question.text,
        "short": question.short,  # added in issue 17: the label for tables and messages
        "partner": question.partner,
    }
    if question.partners_by_borough:
        shown["partners_by_borough"] = dict(question.partners_by_borough)
    return shown


@dataclass(frozen=True)
class LoopFacts:
    """What a referral's JSON says about its re-routing and contact attempts."""

    rerouted_from: str | None
    rerouted_to: str | None
    attempts: int


def loop_facts(rows: Iterable[Referral]) -> dict[int, LoopFacts]:
    """Loop facts for many referrals with one query (the attempt counts). A re-routed referral
    belongs to the same questionnaire as the declined one, so both ends of a re-route are among
    ``submission.referrals``: load those with the rows (``selectinload``) and they cost nothing
    more here."""
    rows = list(rows)
    ids = [row.id for row in rows]
    counts = {}
    if ids:
        counts = dict(
            db.session.execute(
                select(ContactAttempt.referral_id, func.count(ContactAttempt.id))
                .where(ContactAttempt.referral_id.in_(ids))
                .group_by(ContactAttempt.referral_id)
            ).all()
        )
    facts = {}
    for row in rows:
        siblings = row.submission.referrals
        source = next((r for r in siblings if r.id == row.rerouted_from_id), None)
        if source is None and row.rerouted_from_id is not None:
            source = db.session.get(Referral, row.rerouted_from_id)
        successor = next((r for r in siblings if r.rerouted_from_id == row.id), None)
        facts[row.id] = LoopFacts(
            rerouted_from=source.reference if source else None,
            rerouted_to=successor.reference if successor else None,
            attempts=counts.get(row.id, 0),
        )
    return facts


def referrer_reason(row: Referral) -> str | None:
    """The only reason a referrer reads: that the client withdrew consent (they recorded the
    consent, so they may know), in fixed words. The words typed with it, a partner's reason for
    declining and the hub's for cancelling stay with the hub and the partners, as on the
    referrer's pages (``hub.frontline.submitted_queries``)."""
    if row.status == Status.CANCELLED and (row.status_reason or "").startswith(CONSENT_WITHDRAWN):
        return CONSENT_WITHDRAWN
    return None


def referral(
    row: Referral, now: datetime, facts: LoopFacts | None = None, referrer: bool = False
) -> dict:
    """A referral; as its referrer reads it with ``referrer``."""
    if facts is None:
        facts = loop_facts([row])[row.id]
    return {
        "id": row.id,
        "reference": row.reference,
        "status": row.status,
        "partner": row.partner.slug,
        "question": row.question_key,
        "received_at": iso_z(row.received_at),
        "forward_due_at": iso_z(row.forward_due_at),
        "forwarded_at": iso_z(row.forwarded_at),
        "accepted_at": iso_z(row.accepted_at),
        "contact_due_at": iso_z(row.contact_due_at),
        "contacted_at": iso_z(row.contacted_at),
        "closed_at": iso_z(row.closed_at),
        "outcome": row.outcome,
        "overdue": is_overdue(row, now),
        "submission": row.submission.reference,
        "borough": row.submission.client.borough,
        # Waiting at the hub, its partner not taking referrals: re-route it ("partner_paused").
        "hold_reason": row.hold_reason if is_held(row) else None,
        "possible_duplicate_of": (
            row.possible_duplicate_of.reference if row.possible_duplicate_of else None
        ),
        "declined_at": iso_z(row.declined_at),
        "cancelled_at": iso_z(row.cancelled_at),
        "reason": referrer_reason(row) if referrer else row.status_reason,
        "rerouted_from": facts.rerouted_from,
        "rerouted_to": facts.rerouted_to,
        "attempts": facts.attempts,
    }


def attempt(row: ContactAttempt, referral: Referral) -> dict:
    return {
        "id": row.id,
        "referral": referral.reference,
        "method": row.method,
        "reached": row.reached,
        "attempted_at": iso_z(row.attempted_at),
        "notes": row.notes,
        "recorded_at": iso_z(row.recorded_at),
        "recorded_by": row.recorded_by.email if row.recorded_by else None,
    }


def event(row: ReferralEvent) -> dict:
    return {
        "kind": row.kind,
        "at": iso_z(row.at),
        "actor": row.actor.email if row.actor else None,
        "details": row.details or {},
    }


# The details of an event a partner reads: those its page shows, and the referral's own partner
# and question, which the page shows at its top.
PARTNER_DETAILS = frozenset(key for key, _ in SHOWN_DETAILS)


def partner_events(row: Referral) -> list[dict]:
    """The referral's history as its partner's page shows it (``partners.queries.history``):
    without the hub's notes and its own forwarding warnings and breaches, a re-route without
    where it went, and no detail about another agency or referral."""
    own = {"partner": row.partner.slug, "question": row.question_key}
    items = []
    for each in row.events:
        if each.kind in HIDDEN_KINDS:
            continue
        shown = event(each)
        shown["details"] = (
            {}
            if each.kind == "rerouted"
            else {
                key: value
                for key, value in shown["details"].items()
                if key in PARTNER_DETAILS or own.get(key, object()) == value
            }
        )
        items.append(shown)
    return items


def submission(row: Submission, now: datetime, referrer: bool = False) -> dict:
    """A questionnaire and its referrals; as its referrer reads it with ``referrer``."""
    facts = loop_facts(row.referrals)
    return {
        "id": row.id,
        "reference": row.reference,
        "borough": row.client.borough,
        "referrals": [
            referral(each, now, facts[each.id], referrer=referrer) for each in row.referrals
        ],
    }


def message(row: OutboxMessage) -> dict:
    return {
        "id": row.id,
        "referral": row.referral_id,
        "channel": row.channel,
        "recipient": row.recipient,
        "kind": row.kind,
        "status": row.status,
        "attempts": row.attempts,
        "provider_id": row.provider_id,
        "created_at": iso_z(row.created_at),
        "sent_at": iso_z(row.sent_at),
        "last_error": row.last_error,
    }
