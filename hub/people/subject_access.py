"""Subject access: everything the hub holds about one person, as one JSON-ready record.

``record`` gathers the client's details, their questionnaire (answers, notes, consent, wellbeing,
follow-up), each referral with its history and contact attempts, and the messages sent about
them. ``same_person`` lists the other clients with the same name and date of birth (as
``hub.referrals.consent`` does), for an admin to choose among.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from hub import audit
from hub.extensions import db
from hub.models import Client, OutboxMessage, Submission, User

# Everything the client's row holds (subject access is everything, so no list to keep up).
CLIENT_FIELDS = tuple(column.key for column in Client.__table__.columns if column.key != "id")


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def same_person(client: Client) -> list[Client]:
    return list(
        db.session.scalars(
            select(Client)
            .where(Client.match_key == client.match_key, Client.id != client.id)
            .order_by(Client.id)
        )
    )


def _referral(referral) -> dict:
    return {
        "reference": referral.reference,
        "partner": referral.partner.name,
        "question": referral.question_key,
        "status": referral.status,
        "outcome": referral.outcome,
        "reason": referral.status_reason,
        **{
            name: _plain(getattr(referral, name))
            for name in ("received_at", "forwarded_at", "contacted_at", "closed_at")
        },
        "history": [
            {"at": _plain(event.at), "what": event.kind, "details": event.details or {}}
            for event in referral.events
        ],
        "contact_attempts": [
            {
                "at": _plain(attempt.attempted_at),
                "method": attempt.method,
                "reached": attempt.reached,
                "notes": attempt.notes,
            }
            for attempt in referral.attempts
        ],
    }


def _messages(referral_ids: list[int]) -> list[dict]:
    messages = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.referral_id.in_(referral_ids))
        .order_by(OutboxMessage.id)
    )
    return [
        {
            "created_at": _plain(message.created_at),
            "channel": message.channel,
            "recipient": message.recipient,
            "kind": message.kind,
            "subject": message.subject,
            "body": message.body,
            "status": message.status,
        }
        for message in messages
    ]


def record(client: Client) -> dict:
    """Everything held about this client, as plain JSON values."""
    submissions = list(
        db.session.scalars(
            select(Submission).where(Submission.client_id == client.id).order_by(Submission.id)
        )
    )
    questionnaires = []
    referral_ids = []
    for submission in submissions:
        referral_ids += [referral.id for referral in submission.referrals]
        follow_up = submission.follow_up
        questionnaires.append(
            {
                "reference": submission.reference,
                "questionnaire": submission.questionnaire_version.title,
                "received_at": _plain(submission.received_at),
                "referrer": submission.referrer_organisation.name,
                "answers": submission.answers,
                "notes": submission.notes,
                "consent_given": submission.consent_given,
                "consent_recorded_at": _plain(submission.consent_recorded_at),
                "wellbeing": [
                    {
                        "stage": score.stage,
                        "life_satisfaction": score.life_satisfaction,
                        "worthwhile": score.worthwhile,
                        "happy": score.happy,
                        "anxious": score.anxious,
                    }
                    for score in submission.wellbeing
                ],
                "follow_up": follow_up
                and {
                    "needs_met": follow_up.needs_met,
                    "helped": follow_up.helped,
                    "notes": follow_up.notes,
                    "recorded_at": _plain(follow_up.recorded_at),
                },
                "referrals": [_referral(referral) for referral in submission.referrals],
            }
        )
    return {
        "client_id": client.id,
        "details": {name: _plain(getattr(client, name)) for name in CLIENT_FIELDS},
        "questionnaires": questionnaires,
        "messages": _messages(referral_ids),
    }


def note_export(client: Client, actor: User | None, now: datetime) -> None:
    """Record the export in the audit trail (``hub.audit``), in the caller's transaction."""
    audit.record(actor, "person_exported", now, person_id=client.id)
