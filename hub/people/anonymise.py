"""Removing a person's details: after the retention period, and on request (erasure).

``anonymise`` is the one function both use. It removes from a client's record, and from
everything written about their questionnaire, what could identify them: names, address, full
postcode, phone, email, contact times, date of birth, and every free-text note (the
questionnaire's notes, contact attempts', the follow-up's, the history's notes and reasons) and the
messages sent to them or about them. It keeps exactly what the managers' figures and the
pseudonymised rows read (``hub.figures``): the borough, the postcode district, an age band on the
questionnaire's day, the partner's reason for declining (the figures count declines by reason),
the outcome, the dates and the wellbeing scores. None of the columns the figures' triggers watch
(migration 0005) change, so no stored count moves.

``retention_job`` is the scheduler's (``hub.jobs.schedule``): once a day it deletes stale drafts
(``drafts_job``) and anonymises those past ``HUB_RETENTION_MONTHS``, committing a batch at a time.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy import and_, delete, exists, or_, select, update
from sqlalchemy.orm import aliased

from hub import audit, limits
from hub.clock import in_london
from hub.extensions import db, insert_or_skip
from hub.figures.export_rows import age_on, postcode_district
from hub.models import (
    Client,
    ContactAttempt,
    FollowUp,
    JobMark,
    OutboxMessage,
    QuestionnaireDraft,
    Referral,
    ReferralEvent,
    Submission,
    User,
)
from hub.referrals import lifecycle
from hub.status import OPEN_STATUSES, Status
from notifications import kinds, outbox
from notifications.messages import to_partners

REMOVED = "[removed]"
ERASED = "Erased on request"
# The history's free-text details (``hub.referrals.lifecycle``): notes and reasons.
FREE_TEXT_DETAILS = ("notes", "note", "reason")
BATCH = 200


def anonymised_birth_date(date_of_birth: date, questionnaire_day: date) -> date:
    """A stand-in date of birth that holds only the age band (``hub.figures.export_rows``) on
    the questionnaire's day: the client is exactly the band's lowest age that day (49 for
    "under 50")."""
    age = age_on(date_of_birth, questionnaire_day)
    kept = 49 if age < 50 else 90 if age >= 90 else age - age % 5
    day = questionnaire_day
    if (day.month, day.day) == (2, 29):
        day = day.replace(day=28)
    return day.replace(year=day.year - kept)


def anonymise(client_ids: list[int], now: datetime) -> int:
    """Remove the personal details of these clients and of their questionnaires; answers how
    many clients it changed. Callers commit."""
    clients = list(
        db.session.scalars(
            select(Client).where(Client.id.in_(client_ids), Client.anonymised_at.is_(None))
        )
    )
    if not clients:
        return 0
    ids = [client.id for client in clients]
    submissions = list(
        db.session.scalars(
            select(Submission)
            .where(Submission.client_id.in_(ids))
            .order_by(Submission.received_at.desc())
        )
    )
    # A client is recorded with one questionnaire; should there be more, the first one's day.
    first_seen = {submission.client_id: submission.received_at for submission in submissions}
    contacts = {client.id: {client.email, client.phone} - {None} for client in clients}
    for client in clients:
        day = in_london(first_seen.get(client.id, client.created_at)).date()
        client.date_of_birth = anonymised_birth_date(client.date_of_birth, day)
        client.postcode = postcode_district(client.postcode)
        client.given_name = client.family_name = client.address = REMOVED
        client.phone = client.email = client.contact_times = None
        client.match_key = f"anonymised:{client.id}"
        client.anonymised_at = now
    submission_ids = [submission.id for submission in submissions]
    referral_ids = list(
        db.session.scalars(select(Referral.id).where(Referral.submission_id.in_(submission_ids)))
    )
    _remove_free_text(submission_ids, referral_ids)
    _remove_messages(referral_ids, contacts, now)
    db.session.execute(
        delete(QuestionnaireDraft).where(QuestionnaireDraft.submission_id.in_(submission_ids))
    )
    db.session.flush()
    return len(clients)


def _remove_free_text(submission_ids: list[int], referral_ids: list[int]) -> None:
    db.session.execute(
        update(Submission).where(Submission.id.in_(submission_ids)).values(notes=None)
    )
    db.session.execute(
        update(FollowUp).where(FollowUp.submission_id.in_(submission_ids)).values(notes=None)
    )
    db.session.execute(
        update(ContactAttempt)
        .where(ContactAttempt.referral_id.in_(referral_ids))
        .values(notes=None)
    )
    # A decline's reason stays: the figures count declines by reason (and name only the common
    # ones in exports); a cancellation's or reopening's reason goes.
    db.session.execute(
        update(Referral)
        .where(Referral.id.in_(referral_ids), Referral.declined_at.is_(None))
        .values(status_reason=None)
    )
    events = db.session.scalars(
        select(ReferralEvent).where(ReferralEvent.referral_id.in_(referral_ids))
    )
    for event in events:
        details = event.details or {}
        if any(key in details for key in FREE_TEXT_DETAILS):
            event.details = {k: v for k, v in details.items() if k not in FREE_TEXT_DETAILS}


def _remove_messages(referral_ids: list[int], contacts: dict, now: datetime) -> None:
    """Sent and failed messages about the client lose their texts and recipients; one still to
    go to the client is not sent. One still to go to a partner or referrer (a reference and a
    link, never a client's details) is sent, e.g. an erasure's "referral cancelled"."""
    addresses = set().union(*contacts.values()) if contacts else set()
    messages = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.referral_id.in_(referral_ids))
    )
    for message in messages:
        kind = kinds.KINDS.get(message.kind)
        to_client = message.recipient in addresses or (
            kind is not None and kind.audience == kinds.CLIENT
        )
        if message.status in (outbox.PENDING, outbox.SENDING):
            if not to_client:
                continue
            outbox.withdraw(message, now)
        message.recipient = REMOVED
        message.body = REMOVED
        message.html = message.subject = message.secrets = message.last_error = None


# --- Retention --------------------------------------------------------------------------------


def retention_cutoff(now: datetime) -> datetime:
    return now - relativedelta(months=current_app.config["HUB_RETENTION_MONTHS"])


def _still_kept(cutoff: datetime):
    """Match keys (a person: same name and date of birth) with a questionnaire received, or a
    referral open, awaiting the hub after a decline, or ended, since ``cutoff``."""
    rerouted = aliased(Referral)
    return (
        select(Client.match_key)
        .join(Submission, Submission.client_id == Client.id)
        .outerjoin(Referral, Referral.submission_id == Submission.id)
        .where(
            or_(
                Submission.received_at > cutoff,
                Referral.status.in_(OPEN_STATUSES),
                and_(
                    Referral.status == Status.DECLINED,
                    ~exists().where(rerouted.rerouted_from_id == Referral.id),
                ),
                Referral.closed_at > cutoff,
                Referral.declined_at > cutoff,
                Referral.cancelled_at > cutoff,
            )
        )
    )


def due_for_removal(now: datetime, limit: int = BATCH) -> list[int]:
    """Clients whose person's last questionnaire and referral ended before the cut-off."""
    return list(
        db.session.scalars(
            select(Client.id)
            .where(
                Client.anonymised_at.is_(None),
                Client.match_key.not_in(_still_kept(retention_cutoff(now))),
            )
            .order_by(Client.id)
            .limit(limit)
        )
    )


def retention_job(now: datetime) -> dict[str, int]:
    """Once a London day: delete stale drafts, and remove the personal details of everyone past
    the retention period, a batch at a time. A rerun the same day finds it done; a run stopped
    half-way is finished by the next day's (each batch commits what it removed)."""
    key = f"retention:{in_london(now).date()}"
    if db.session.get(JobMark, key) is not None:
        return {"drafts deleted": 0, "people anonymised": 0}
    summary = drafts_job(now)
    removed = 0
    while ids := due_for_removal(now):
        removed += anonymise(ids, now)
        db.session.commit()
    db.session.execute(insert_or_skip(JobMark, "key").values(key=key, done_at=now))
    db.session.commit()
    return {**summary, "people anonymised": removed}


def drafts_job(now: datetime) -> dict[str, int]:
    """Delete questionnaire drafts left unchanged for ``HUB_DRAFT_DAYS``: abandoned ones, and
    submitted ones (the questionnaire holds the client's details now)."""
    cutoff = now - timedelta(days=current_app.config["HUB_DRAFT_DAYS"])
    deleted = db.session.execute(
        delete(QuestionnaireDraft).where(QuestionnaireDraft.updated_at < cutoff)
    ).rowcount
    db.session.commit()
    return {"drafts deleted": deleted}


# --- Erasure on request -----------------------------------------------------------------------


class ErasureRefused(ValueError):
    """No reason, or one that cannot be stored: nothing was changed."""


def reason_problem(reason: str | None) -> str | None:
    """Why ``reason`` cannot be an erasure's reason (blank, too long, unstorable), or None."""
    text = limits.clean(reason)
    if not text:
        return "Enter the reason for erasing this person’s details"
    return limits.text_problem(text, "Reason", limits.NOTE)


def erase(client: Client, actor: User | None, now: datetime, reason: str) -> list[Referral]:
    """Erase one client on request: cancel their open referrals through the lifecycle with the
    reason (telling partners that had them), record the erasure on each referral's history, then
    remove the details as retention does. Answers the referrals cancelled. Callers commit."""
    problem = reason_problem(reason)
    if problem:
        raise ErasureRefused(problem)
    reason = limits.clean(reason)
    if client.anonymised_at is not None:
        raise ErasureRefused("This person’s details have already been removed")
    referrals = list(
        db.session.scalars(
            select(Referral)
            .join(Submission, Referral.submission_id == Submission.id)
            .where(Submission.client_id == client.id)
            .order_by(Referral.id)
            .with_for_update(of=Referral)
            .execution_options(populate_existing=True)
        )
    )
    cancelled = []
    for referral in referrals:
        if referral.status in OPEN_STATUSES:
            lifecycle.cancel_referral(referral, actor, now, f"{ERASED}: {reason}")
            to_partners.referral_cancelled(referral, now)
            cancelled.append(referral)
    # In the audit trail, which outlives the details: who asked for it, and why.
    audit.record(actor, "person_erased", now, person_id=client.id, details={"reason": reason})
    anonymise([client.id], now)
    return cancelled
