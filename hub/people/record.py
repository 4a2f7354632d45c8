"""A person's record: everything the hub has done for one person, across every questionnaire.

Each questionnaire records its client afresh (a ``Client`` row of its own), so one person seen
twice is two rows. Rows with the same name and date of birth (``Client.match_key``, as
``hub.referrals.submissions`` spots possible duplicates) may be one person or two: the records
cannot tell. So a person's record holds the client asked for and the rows hub staff have
confirmed are the same person; the other look-alikes are listed apart as "possibly the same
person", each with what staff need to decide (address, referrer, date) and a way to confirm.

A confirmation is kept in the audit trail (``hub.audit``, action ``same_person_confirmed``, the
client's id as ``person_id`` and the other's as ``details["same_as"]``): who confirmed, when,
and which two rows, with no table of its own. Confirmations join rows in both directions and
chain (A with B and B with C makes one person of all three). Only rows that still share a
match key count: once a row is anonymised (``hub.people.anonymise``) it leaves the record.

``person_record`` loads everything the page shows up front; ``confirm_same_person`` records a
confirmation in the caller's transaction; ``note_viewed`` records the view in the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from hub import audit
from hub.extensions import db
from hub.models import WELLBEING_QUESTIONS, Client, Referral, Submission, User

CONFIRMED = "same_person_confirmed"


class NotALookAlike(ValueError):
    """The other client is not one this record offers as possibly the same person."""


@dataclass(frozen=True)
class WellbeingRow:
    """One set of the four ONS wellbeing answers, when and where they were given."""

    at: datetime
    stage: str  # "questionnaire" or "follow_up"
    reference: str  # the questionnaire's
    scores: dict[str, int]


@dataclass(frozen=True)
class PersonRecord:
    client: Client  # the row asked for
    clients: list[Client]  # the rows confirmed to be this person, the one asked for among them
    questionnaires: list[Submission]  # theirs, newest first, with what the page shows loaded
    possible: list[Submission]  # look-alikes' questionnaires not confirmed, oldest first
    wellbeing: list[WellbeingRow]  # oldest first

    @property
    def latest(self) -> Client:
        """The details as last recorded (the newest questionnaire's)."""
        return self.questionnaires[0].client if self.questionnaires else self.client

    @property
    def born(self) -> date:
        return self.client.date_of_birth


def _look_alike_ids(client: Client) -> list[int]:
    return list(
        db.session.scalars(
            select(Client.id).where(Client.match_key == client.match_key).order_by(Client.id)
        )
    )


def _confirmed_pairs(ids: list[int]) -> list[tuple[int, int]]:
    events = db.session.scalars(
        select(audit.AuditEvent).where(
            audit.AuditEvent.action == CONFIRMED, audit.AuditEvent.person_id.in_(ids)
        )
    )
    return [
        (event.person_id, other)
        for event in events
        if isinstance(other := (event.details or {}).get("same_as"), int) and other in ids
    ]


def same_person_ids(client: Client) -> tuple[set[int], set[int]]:
    """(the ids of the rows confirmed to be this person, the other look-alikes' ids)."""
    ids = _look_alike_ids(client)
    links: dict[int, set[int]] = {each: set() for each in ids}
    for one, other in _confirmed_pairs(ids):
        links[one].add(other)
        links[other].add(one)
    person, waiting = {client.id}, [client.id]
    while waiting:
        for other in links.get(waiting.pop(), ()):
            if other not in person:
                person.add(other)
                waiting.append(other)
    return person, set(ids) - person


def _questionnaires(client_ids: set[int]) -> list[Submission]:
    if not client_ids:
        return []
    return list(
        db.session.scalars(
            select(Submission)
            .where(Submission.client_id.in_(client_ids))
            .order_by(Submission.received_at, Submission.id)
            .options(
                joinedload(Submission.client),
                joinedload(Submission.referrer_organisation),
                joinedload(Submission.questionnaire_version),
                joinedload(Submission.follow_up),
                selectinload(Submission.wellbeing),
                selectinload(Submission.referrals).joinedload(Referral.partner),
            )
        ).unique()
    )


def person_record(client_id: int) -> PersonRecord | None:
    client = db.session.get(Client, client_id)
    if client is None:
        return None
    person, others = same_person_ids(client)
    questionnaires = _questionnaires(person)
    wellbeing = sorted(
        (
            WellbeingRow(
                score.recorded_at,
                score.stage,
                questionnaire.reference,
                {key: getattr(score, key) for key in WELLBEING_QUESTIONS},
            )
            for questionnaire in questionnaires
            for score in questionnaire.wellbeing
        ),
        key=lambda row: row.at,
    )
    return PersonRecord(
        client=client,
        clients=sorted({q.client for q in questionnaires} | {client}, key=lambda c: c.id),
        questionnaires=list(reversed(questionnaires)),
        possible=_questionnaires(others),
        wellbeing=wellbeing,
    )


def confirm_same_person(record: PersonRecord, other_id: int, actor: User, now: datetime) -> Client:
    """Hub staff confirm that another questionnaire's client is this person: recorded in the
    audit trail, in the caller's transaction. ``NotALookAlike`` if it is not offered."""
    offered = {questionnaire.client_id: questionnaire for questionnaire in record.possible}
    if other_id not in offered:
        raise NotALookAlike(other_id)
    audit.record(
        actor,
        CONFIRMED,
        now,
        person_id=record.client.id,
        subject=offered[other_id].reference,
        details={"same_as": other_id},
    )
    return offered[other_id].client


def note_viewed(record: PersonRecord, actor: User, now: datetime) -> None:
    """``actor`` saw the personal details of every client on the record (the look-alikes'
    too), and commit: one audit event for each, so the trail of any of them shows the view."""
    for questionnaire in [*record.questionnaires, *record.possible]:
        audit.record(
            actor,
            "viewed_person",
            now,
            person_id=questionnaire.client_id,
            subject=questionnaire.reference,
            details={"where": "hub person's record"},
        )
    db.session.commit()
