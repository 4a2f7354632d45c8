"""The figures' running counts: small tables that keep managers' figures quick.

Managers' figures are sums of these tables rather than passes over every referral. Each row
counts the referrals (or questionnaires) received on one London day, or in one London month
(``span``), with one combination of what the figures can be filtered by. Database triggers
(migration 0005) note the day of every change in ``figures_stale``; ``hub.figures.stored`` works
those days out again, and until it has, the figures count them from the referrals.
"""

from __future__ import annotations

from sqlalchemy import Index, String

from hub.extensions import db
from hub.models import NEEDS_MET, WELLBEING_QUESTIONS
from hub.status import Outcome

ROLLUP_SPANS = ("day", "month")
# Referral counts that do not depend on the moment the figures are asked for
# (``hub.figures.counts``).
REFERRAL_COUNTS = (
    "referrals",
    "forwarded",
    "forward_due",
    "forward_within",
    "forward_waiting",
    "contacted",
    "contact_due",
    "contact_within",
    "contact_waiting",
    *(f"outcome_{code}" for code in Outcome),
)
SUBMISSION_COUNTS = (
    "submissions",
    "follow_ups",
    *(f"needs_met_{answer}" for answer in NEEDS_MET),
    "wellbeing_pairs",
    *(f"wellbeing_{name}_change" for name in WELLBEING_QUESTIONS),
)
# How many durations fall under each of these many seconds (a minute, then 20% more each step,
# to past two months): what lets a median be found by a short walk of an index
# (``hub.figures.percentiles``).
DURATION_STEPS = tuple(round(60 * 1.2**step) for step in range(64))
DURATION_COUNTS = (
    "forwarded",
    "contacted",
    *(f"forward_under_{step}" for step in range(len(DURATION_STEPS))),
    *(f"contact_under_{step}" for step in range(len(DURATION_STEPS))),
)


def _count_columns(names) -> list:
    return [db.Column(name, db.Integer, nullable=False, default=0) for name in names]


def _rollup_table(name: str, keys: list, counts) -> db.Table:
    return db.Table(
        name,
        db.Column("id", db.Integer, primary_key=True),
        db.Column("span", String(5), nullable=False),
        # The London day, or the first day of the London month.
        db.Column("day", db.Date, nullable=False),
        *keys,
        *_count_columns(counts),
        Index(f"ix_{name}_span_day", "span", "day"),
    )


referral_counts = _rollup_table(
    "referral_counts",
    [
        db.Column("partner_id", db.Integer, nullable=False),
        db.Column("question_key", String(80), nullable=False),
        db.Column("referrer_id", db.Integer, nullable=False),
        db.Column("borough", String(40)),
    ],
    REFERRAL_COUNTS,
)
submission_counts = _rollup_table(
    "submission_counts",
    [
        db.Column("referrer_id", db.Integer, nullable=False),
        db.Column("borough", String(40)),
        # Which questionnaires a row counts: every one (0 and ""), those with a flag for one
        # partner (its id), or those with a flag for one question (its key): what the figures
        # count with a partner or a question filter.
        db.Column("flag_partner_id", db.Integer, nullable=False),
        db.Column("flag_question", String(80), nullable=False),
    ],
    SUBMISSION_COUNTS,
)
duration_counts = _rollup_table(
    "duration_counts", [db.Column("partner_id", db.Integer, nullable=False)], DURATION_COUNTS
)
# The UTC date of the ``received_at`` of every referral or questionnaire changed since the
# counts were last worked out (written by triggers; emptied by ``hub.figures.stored.refresh``).
figures_stale = db.Table(
    "figures_stale",
    db.Column("id", db.Integer, primary_key=True),
    db.Column("day", db.Date, nullable=False, index=True),
)
