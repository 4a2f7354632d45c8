"""Rows as DESIGN's JSON: times in UTC with ``Z``, partners as their slugs."""

from __future__ import annotations

from datetime import datetime

from hub import lifecycle
from hub.clock import iso_z
from hub.models import QuestionnaireVersion, Referral, ReferralEvent, Submission
from hub.questionnaire_versions import definition_of


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
    shown = {"key": question.key, "text": question.text, "partner": question.partner}
    if question.partners_by_borough:
        shown["partners_by_borough"] = dict(question.partners_by_borough)
    return shown


def referral(row: Referral, now: datetime) -> dict:
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
        "overdue": lifecycle.is_overdue(row, now),
        "submission": row.submission.reference,
        "possible_duplicate_of": (
            row.possible_duplicate_of.reference if row.possible_duplicate_of else None
        ),
    }


def event(row: ReferralEvent) -> dict:
    return {
        "kind": row.kind,
        "at": iso_z(row.at),
        "actor": row.actor.email if row.actor else None,
        "details": row.details or {},
    }


def submission(row: Submission, now: datetime) -> dict:
    return {
        "id": row.id,
        "reference": row.reference,
        "referrals": [referral(each, now) for each in row.referrals],
    }
