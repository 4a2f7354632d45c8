"""Receiving a completed questionnaire: one submission, one ``received`` referral per "yes".

The web pages and the API both come here. A repeated idempotency key (the API's header, or the
draft a page was completing) returns the first submission instead of creating another. The API
also stores a hash of the body it was sent with the key: the same key with another body is
refused (``IdempotencyKeyReused``), as answering with the first would silently drop it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hub.extensions import db
from hub.models import (
    Client,
    Organisation,
    QuestionnaireVersion,
    Referral,
    Submission,
    User,
    client_match_key,
)
from hub.referrals import follow_ups, intake, sla
from hub.referrals.client_details import ClientDetails
from hub.referrals.questionnaire_versions import definition_of
from hub.status import OPEN_STATUSES
from partners.directory import partners_by_slug

# No 0/O, 1/I/L: references are read aloud over the phone.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


class UnknownPartner(LookupError):
    """A flag names a partner the hub does not have: the questionnaire and the hub disagree."""


class IdempotencyKeyReused(ValueError):
    """The idempotency key was sent before with another body. Nothing was created."""

    def __init__(self, key: str):
        self.key = key
        super().__init__(f"The idempotency key {key!r} was used before for a different body")


@dataclass
class Received:
    submission: Submission
    created: bool


def new_reference() -> str:
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"SL-{body[:4]}-{body[4:]}"


def body_hash(body: dict) -> str:
    """The SHA-256 of a request body as canonical JSON (keys sorted, no spaces between tokens),
    so a retry that orders its keys or spaces its JSON otherwise is still the same body."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def find_by_idempotency_key(user: User, key: str) -> Submission | None:
    return db.session.scalar(
        select(Submission).filter_by(submitted_by_id=user.id, idempotency_key=key)
    )


def _earlier(user: User, key: str, body_hash: str | None) -> Submission | None:
    """The submission the key already made, if any; ``IdempotencyKeyReused`` if it was made
    from another body. Without a hash on either side (a page's draft, a submission from before
    the hashes were kept) the key alone decides, as it always did."""
    earlier = find_by_idempotency_key(user, key)
    if (
        earlier is not None
        and body_hash is not None
        and earlier.idempotency_body_hash is not None
        and earlier.idempotency_body_hash != body_hash
    ):
        raise IdempotencyKeyReused(key)
    return earlier


def _possible_duplicates(match_key: str, partner_ids: set[int]) -> dict[int, int]:
    """For each partner, the id of the earliest open referral of the same person (name and date
    of birth) to that partner.

    Only the person's own referrals are read, found through the client's match key, and then
    sorted out here: filtering by partner and status in SQL tempts the planner into walking every
    open referral of those partners instead."""
    if not partner_ids:
        return {}
    earliest: dict[int, int] = {}
    for referral_id, partner_id, status in db.session.execute(
        select(Referral.id, Referral.partner_id, Referral.status)
        .join(Submission, Referral.submission_id == Submission.id)
        .join(Client, Submission.client_id == Client.id)
        .where(Client.match_key == match_key)
    ):
        if partner_id in partner_ids and status in OPEN_STATUSES:
            earliest[partner_id] = min(referral_id, earliest.get(partner_id, referral_id))
    return earliest


def submit_questionnaire(
    version: QuestionnaireVersion,
    details: ClientDetails,
    answers: dict[str, bool],
    submitted_by: User,
    now: datetime,
    notes: str | None = None,
    idempotency_key: str | None = None,
    idempotency_body_hash: str | None = None,
    consent_recorded_by: User | None = None,
    consent_recorded_at: datetime | None = None,
    wellbeing: dict[str, int] | None = None,
) -> Received:
    """Record a completed questionnaire and its referrals in the caller's transaction.

    Consent must already have been given (the caller checks and says so to the user). It was
    recorded by the submitter as they submit, unless the caller says who recorded it and when.
    ``wellbeing`` holds the client's four ONS wellbeing answers when they gave them (checked
    beforehand with ``hub.referrals.wellbeing.clean_wellbeing``).
    ``answers`` are validated by the questionnaire engine; AnswersInvalid propagates with every
    problem. ``idempotency_body_hash`` (``body_hash`` of the API's body) is stored with the key;
    the same key with another hash raises ``IdempotencyKeyReused``, having created nothing.
    """
    if idempotency_key:
        earlier = _earlier(submitted_by, idempotency_key, idempotency_body_hash)
        if earlier is not None:
            return Received(earlier, created=False)

    questionnaire = definition_of(version)
    answers = questionnaire.validate(answers)
    flags = questionnaire.flags(answers, borough=details.borough)
    # Every lookup first, then every new row, then one flush: no autoflush between them.
    partners = _partners_by_slug({flag.partner for flag in flags})
    match_key = client_match_key(details.given_name, details.family_name, details.date_of_birth)
    duplicates = _possible_duplicates(match_key, {partner.id for partner in partners.values()})

    client = Client(**_client_columns(details), match_key=match_key, created_at=now)
    submission = Submission(
        reference=new_reference(),
        questionnaire_version=version,
        client=client,
        submitted_by=submitted_by,
        referrer_organisation_id=submitted_by.organisation_id,
        received_at=now,
        follow_up_due_at=sla.follow_up_due(now),
        answers=answers,
        notes=(notes or "").strip() or None,
        consent_given=True,
        consent_recorded_by=consent_recorded_by or submitted_by,
        consent_recorded_at=consent_recorded_at or now,
        idempotency_key=idempotency_key,
        idempotency_body_hash=idempotency_body_hash if idempotency_key else None,
    )
    db.session.add(submission)
    try:
        db.session.flush()
    except IntegrityError:
        # Two requests with one key at once: the other one won, so answer with its submission
        # (or refuse, if it was made from another body).
        db.session.rollback()
        if idempotency_key:
            earlier = _earlier(submitted_by, idempotency_key, idempotency_body_hash)
            if earlier is not None:
                return Received(earlier, created=False)
        raise
    intake.receive_referrals(
        submission,
        [
            intake.NewReferral(
                flag.question_key,
                partners[flag.partner],
                duplicates.get(partners[flag.partner].id),
            )
            for flag in flags
        ],
        now,
        submitted_by,
    )
    if wellbeing is not None:
        follow_ups.record_wellbeing(submission, "questionnaire", wellbeing, submitted_by, now)
    return Received(submission, created=True)


def _partners_by_slug(slugs: set[str]) -> dict[str, Organisation]:
    found = partners_by_slug(slugs)
    missing = slugs - found.keys()
    if missing:
        raise UnknownPartner(
            "This questionnaire refers to partners the hub does not have: "
            + ", ".join(sorted(missing))
        )
    return found


def _client_columns(details: ClientDetails) -> dict:
    return {
        "given_name": details.given_name,
        "family_name": details.family_name,
        "date_of_birth": details.date_of_birth,
        "address": details.address,
        "postcode": details.postcode,
        "borough": details.borough,
        "phone": details.phone,
        "email": details.email,
        "preferred_contact": details.preferred_contact,
        "contact_times": details.contact_times,
    }
