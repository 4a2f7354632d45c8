"""Pseudonymised referral rows for evaluators: one row per referral, as the exports hand them
out (``hub.figures.exports`` writes them to CSV or Excel).

What a referral row leaves out, and why:
- names, addresses, phone numbers, email addresses, dates of birth and postcodes identify the
  client; in their place are a pseudonym (the same for the same person across questionnaires),
  an age band at the questionnaire and the postcode district (the outward code, "SE5");
- every free-text field (notes, reasons for declining or cancelling, contact attempts) may name
  or describe the client, so none is exported: the status and the times say what happened.

Rows are picked by the figures' own conditions (``hub.figures.filters``), so they are the
referrals the figures count, and read in keyset pages of ``PAGE_SIZE`` referrals (never all at
once). Nothing here reads the clock: callers pass ``now``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import aliased

from hub.clock import LONDON
from hub.extensions import db
from hub.figures import counts
from hub.figures.filters import Filters, referral_conditions
from hub.models import (
    WELLBEING_QUESTIONS,
    Client,
    FollowUp,
    Organisation,
    Referral,
    Submission,
    WellbeingScore,
)

PAGE_SIZE = 1000

# --- Pseudonyms, age bands and postcode districts ----------------------------------------------

PSEUDONYM_PREFIX = "C-"
PSEUDONYM_HEX = 16  # 64 bits: no collision in any realistic number of clients


def pseudonym_key(config: Mapping[str, Any]) -> bytes:
    """The secret behind the pseudonyms: ``HUB_PSEUDONYM_KEY``, or else one derived from
    ``SECRET_KEY`` (with its own label, so the two keys are never the same). Without the key a
    pseudonym cannot be turned back into a name and date of birth, not even by guessing them."""
    own = config.get("HUB_PSEUDONYM_KEY")
    if own:
        return own.encode()
    return hmac.new(
        str(config["SECRET_KEY"]).encode(), b"sail-hub export pseudonyms", hashlib.sha256
    ).digest()


def pseudonym(match_key: str, key: bytes) -> str:
    """A stable pseudonym for a client: HMAC-SHA256 of their match key (name and date of birth,
    case-folded: the same person in every questionnaire), shortened, e.g. ``C-3f9a0c2e1b7d4a66``."""
    digest = hmac.new(key, match_key.encode(), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:PSEUDONYM_HEX]


# Five-year bands from 50; SAIL is for older people, so younger clients share one band and the
# oldest another (few people are over 90, and a narrower band could single them out).
AGE_BANDS = ("under 50",) + tuple(f"{low}-{low + 4}" for low in range(50, 90, 5)) + ("90+",)


def age_on(date_of_birth: date, day: date) -> int:
    return (
        day.year
        - date_of_birth.year
        - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))
    )


def age_band(date_of_birth: date, day: date) -> str:
    """The client's age band on ``day``: "under 50", "50-54", ..., "85-89", "90+"."""
    age = age_on(date_of_birth, day)
    if age < 50:
        return AGE_BANDS[0]
    if age >= 90:
        return AGE_BANDS[-1]
    low = age - age % 5
    return f"{low}-{low + 4}"


def postcode_district(postcode: str | None) -> str:
    """The outward code of a UK postcode: "SE5" from "SE5 8AB" (or "se58ab"); an outward code
    alone (what ``hub.people.anonymise`` keeps of a postcode) is its own district."""
    compact = "".join((postcode or "").split()).upper()
    if len(compact) > 4 or compact[-2:].isalpha():  # a whole postcode ends "9AA"
        return compact[:-3] if len(compact) > 3 else ""
    return compact


# --- Referral rows ------------------------------------------------------------------------------

WELLBEING_COLUMNS = [f"wellbeing_questionnaire_{key}" for key in WELLBEING_QUESTIONS] + [
    f"wellbeing_follow_up_{key}" for key in WELLBEING_QUESTIONS
]

# Each column of the referral rows, and what it holds (shown on the exports page).
REFERRAL_COLUMNS: list[tuple[str, str]] = [
    ("referral", "The referral’s reference"),
    (
        "questionnaire",
        "The questionnaire’s reference (one questionnaire can make several referrals)",
    ),
    (
        "client",
        "The client’s pseudonym: the same for the same person (name and date of birth) in "
        "every questionnaire",
    ),
    (
        "age_band",
        "Age on the day of the questionnaire: under 50, 50-54, 55-59 and so on to 85-89, then 90+",
    ),
    ("postcode_district", "The first half of the postcode, for example SE5"),
    ("borough", "The client’s borough, where recorded"),
    ("referrer", "The organisation that completed the questionnaire"),
    ("question", "The question whose “yes” made the referral"),
    ("partner", "The partner agency it went to"),
    ("status", "received, forwarded, accepted, contacted, closed, declined or cancelled"),
    ("rerouted_from", "For a re-routed referral, the declined referral it replaced"),
    ("received_at", "When the hub received it (UTC)"),
    ("forward_due_at", "When it was due to be forwarded (UTC)"),
    ("forwarded_at", "When the hub forwarded it (UTC)"),
    ("accepted_at", "When the partner accepted it (UTC)"),
    ("contact_due_at", "When the partner was due to contact the client (UTC)"),
    ("contacted_at", "When the partner first contacted the client (UTC)"),
    ("closed_at", "When it was closed (UTC)"),
    ("declined_at", "When the partner declined it (UTC)"),
    ("cancelled_at", "When the hub cancelled it (UTC)"),
    ("hours_to_forward", "Hours from receipt to forwarding"),
    ("days_to_contact", "Days from forwarding to first contact"),
    ("forwarded_within_sla", "yes or no once forwarding was due; blank while not yet due"),
    ("contacted_within_sla", "yes or no once contact was due; blank while not yet due"),
    ("outcome", "The outcome code it was closed with"),
    (
        "follow_up_needs_met",
        "At the hub’s follow-up: were the client’s needs met (yes, partly, no)",
    ),
    (
        "wellbeing_…",
        "The four ONS wellbeing scores (0 to 10) at the questionnaire and at the follow-up",
    ),
]
REFERRAL_HEADER = [name for name, _ in REFERRAL_COLUMNS[:-1]] + WELLBEING_COLUMNS

_referrer = aliased(Organisation, name="referrer_org")
_partner = aliased(Organisation, name="partner_org")
_rerouted_from = aliased(Referral, name="rerouted_from")
_before = aliased(WellbeingScore, name="wellbeing_before")
_after = aliased(WellbeingScore, name="wellbeing_after")


def _filtered(statement: Select, filters: Filters) -> Select:
    """The referrals received in the period (London dates), with the other filters applied:
    ``hub.figures.filters``' own conditions, so the rows are the ones the figures count."""
    return (
        statement.join(Submission, Submission.id == Referral.submission_id)
        .join(Client, Client.id == Submission.client_id)
        .join(_referrer, _referrer.id == Submission.referrer_organisation_id)
        .join(_partner, _partner.id == Referral.partner_id)
        .where(*referral_conditions(filters))
    )


@dataclass(frozen=True)
class ReferralSnapshot:
    """How many referral rows an export holds, and the ids it spans: referrals received after
    the count are left out, so the file matches its audit record, and reading starts at the
    first id in the filter rather than at the start of the table."""

    rows: int
    first_id: int
    last_id: int


def referral_snapshot(filters: Filters) -> ReferralSnapshot:
    count, first, last = db.session.execute(
        _filtered(
            select(func.count(Referral.id), func.min(Referral.id), func.max(Referral.id)), filters
        )
    ).one()
    return ReferralSnapshot(rows=count, first_id=first or 0, last_id=last or 0)


def _rows_statement(filters: Filters, snapshot: ReferralSnapshot, now: datetime) -> Select:
    columns = [
        Referral.id.label("id"),
        Referral.reference.label("reference"),
        Submission.reference.label("questionnaire"),
        Client.match_key.label("match_key"),
        Client.date_of_birth.label("date_of_birth"),
        Client.postcode.label("postcode"),
        Client.borough.label("borough"),
        _referrer.slug.label("referrer"),
        Referral.question_key.label("question_key"),
        _partner.slug.label("partner"),
        Referral.status.label("status"),
        _rerouted_from.reference.label("rerouted_from"),
        Submission.received_at.label("questionnaire_at"),
        *(
            getattr(Referral, name).label(name)
            for name in (
                "received_at",
                "forward_due_at",
                "forwarded_at",
                "accepted_at",
                "contact_due_at",
                "contacted_at",
                "closed_at",
                "declined_at",
                "cancelled_at",
                "outcome",
            )
        ),
        counts.forwarding_met(now).label("forwarding_met"),
        counts.contact_met(now).label("contact_met"),
        FollowUp.needs_met.label("needs_met"),
        *(getattr(_before, key).label(f"before_{key}") for key in WELLBEING_QUESTIONS),
        *(getattr(_after, key).label(f"after_{key}") for key in WELLBEING_QUESTIONS),
    ]
    statement = _filtered(select(*columns), filters)
    return (
        statement.outerjoin(_rerouted_from, _rerouted_from.id == Referral.rerouted_from_id)
        .outerjoin(FollowUp, FollowUp.submission_id == Submission.id)
        .outerjoin(
            _before,
            and_(_before.submission_id == Submission.id, _before.stage == "questionnaire"),
        )
        .outerjoin(_after, and_(_after.submission_id == Submission.id, _after.stage == "follow_up"))
        .where(Referral.id <= snapshot.last_id)
        .order_by(Referral.id)
    )


def _hours(start: datetime | None, end: datetime | None, unit: float) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / unit, 2)


YES_NO = {1: "yes", 0: "no", None: None}


class _LondonDates:
    """The London calendar date of naive UTC moments, worked out once per UTC hour."""

    def __init__(self):
        self._by_hour: dict[datetime, date] = {}

    def __call__(self, moment: datetime) -> date:
        hour = moment.replace(minute=0, second=0, microsecond=0)
        day = self._by_hour.get(hour)
        if day is None:
            day = self._by_hour[hour] = hour.replace(tzinfo=UTC).astimezone(LONDON).date()
        return day


def referral_rows(
    filters: Filters,
    now: datetime,
    key: bytes,
    snapshot: ReferralSnapshot,
    page_size: int = PAGE_SIZE,
) -> Iterator[list]:
    """One pseudonymised row per referral (``REFERRAL_HEADER``), read in keyset pages by id."""
    statement = _rows_statement(filters, snapshot, now)
    london_date = _LondonDates()
    pseudonyms: dict[str, str] = {}
    after = snapshot.first_id - 1
    while True:
        # Each page on its own short connection: a slow download holds no transaction open
        # (and, only reading, takes no write lock on SQLite: ``hub.extensions``).
        with db.engine.connect() as connection:
            page = connection.execute(statement.where(Referral.id > after).limit(page_size)).all()
        for (
            _id,
            reference,
            questionnaire,
            match_key,
            date_of_birth,
            postcode,
            borough,
            referrer,
            question,
            partner,
            status,
            rerouted_from,
            questionnaire_at,
            received_at,
            forward_due_at,
            forwarded_at,
            accepted_at,
            contact_due_at,
            contacted_at,
            closed_at,
            declined_at,
            cancelled_at,
            outcome,
            forwarding_met,
            contact_met,
            needs_met,
            *scores,
        ) in page:
            client = pseudonyms.get(match_key)
            if client is None:
                client = pseudonyms[match_key] = pseudonym(match_key, key)
            yield [
                reference,
                questionnaire,
                client,
                age_band(date_of_birth, london_date(questionnaire_at)),
                postcode_district(postcode),
                borough,
                referrer,
                question,
                partner,
                status,
                rerouted_from,
                received_at,
                forward_due_at,
                forwarded_at,
                accepted_at,
                contact_due_at,
                contacted_at,
                closed_at,
                declined_at,
                cancelled_at,
                _hours(received_at, forwarded_at, 3600),
                _hours(forwarded_at, contacted_at, 86400),
                YES_NO[forwarding_met],
                YES_NO[contact_met],
                outcome,
                needs_met,
                *scores,
            ]
        if len(page) < page_size:
            return
        after = page[-1][0]
        if len(pseudonyms) > 10 * page_size:
            pseudonyms.clear()
