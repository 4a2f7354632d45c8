"""What each of the managers' counts means, written once.

Every count is an SQL aggregate over the referrals (or questionnaires) received in a window.
The same columns store a day's counts (``hub.figures.stored``) and count a stale day afresh
(``hub.figures.period_counts``), so a figure is the same whichever way it was counted. The
stored counts never depend on the moment they are read: each counts a referral as it will stand
once its deadlines have passed (``FOREVER``); ``hub.figures.period_counts`` takes away, live, the
few referrals whose deadline is still ahead.

How the SLA shares are counted (docs/design.md, "JSON API v1"):

- Forwarding. A referral is *due* once it has been forwarded, or once its stored
  ``forward_due_at`` has passed while it still waited at the hub (a referral cancelled before its
  deadline never fell due). It is *within* the SLA if ``forwarded_at <= forward_due_at``.
- Contact. A referral is *due* once the partner has recorded contact, or once its stored
  ``contact_due_at`` has passed without contact and without the referral having been declined,
  closed or cancelled before that deadline. It is *within* the SLA if
  ``contacted_at <= contact_due_at``.

So an open referral past its deadline counts as a miss: a partner cannot look better by not
acting.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import and_, case, func, literal, null, or_, select, union_all

from hub.figures.filters import in_window
from hub.models import (
    NEEDS_MET,
    WELLBEING_QUESTIONS,
    Client,
    FollowUp,
    Referral,
    Submission,
    WellbeingScore,
)
from hub.referrals import overdue
from hub.rollups import DURATION_STEPS, REFERRAL_COUNTS, SUBMISSION_COUNTS
from hub.status import Outcome, Status

# The moment the stored counts are counted as of: after every deadline.
FOREVER = datetime(9999, 12, 31)

referral = Referral.__table__
submission = Submission.__table__
client = Client.__table__


# --- Turnaround against the SLA --------------------------------------------------------------


def _forward_due(now: datetime):
    """Forwarding has fallen due: forwarded, or still at the hub at its deadline without having
    been cancelled before it."""
    r = referral.c
    return or_(
        r.forwarded_at.is_not(None),
        and_(
            r.forward_due_at <= now,
            or_(r.cancelled_at.is_(None), r.cancelled_at > r.forward_due_at),
        ),
    )


def _contact_due(now: datetime):
    """Contact has fallen due: contacted, or at the deadline without contact and without having
    been declined, closed or cancelled before it."""
    r = referral.c
    ended = func.coalesce(r.declined_at, r.closed_at, r.cancelled_at)
    return or_(
        r.contacted_at.is_not(None),
        and_(r.contact_due_at <= now, or_(ended.is_(None), ended > r.contact_due_at)),
    )


def forwarding_met(now: datetime):
    """One referral's forwarding SLA in SQL: 1 met, 0 missed, NULL not yet due."""
    r = referral.c
    return case((r.forwarded_at <= r.forward_due_at, 1), (_forward_due(now), 0), else_=null())


def contact_met(now: datetime):
    """One referral's contact SLA in SQL: 1 met, 0 missed, NULL not yet due."""
    r = referral.c
    return case((r.contacted_at <= r.contact_due_at, 1), (_contact_due(now), 0), else_=null())


def timed(now: datetime) -> dict:
    """The counts that change with the clock, each as a condition on one referral at ``now``."""
    return {
        "forward_due": _forward_due(now),
        "forward_overdue": overdue.forward_overdue_clause(now),
        "contact_due": _contact_due(now),
        "contact_overdue": overdue.contact_overdue_clause(now),
    }


TIMED = ("forward_due", "forward_overdue", "contact_due", "contact_overdue")
OUTCOME_CODES = tuple(Outcome)  # those partners close with, then the hub's own
# The stored counts' names, as the figures call them. ``forward_waiting`` counts a referral
# still at the hub, which is overdue once its deadline passes; ``contact_waiting`` likewise.
FIGURE_NAMES = {
    "forward_waiting": "forward_overdue",
    "contact_waiting": "contact_overdue",
    **{f"outcome_{code}": f"outcome:{code}" for code in OUTCOME_CODES},
}


# --- Referral counts -------------------------------------------------------------------------


def referral_count_columns() -> list:
    """The stored referral counts (``hub.rollups.REFERRAL_COUNTS``) as aggregates over
    ``referral``: each counts a referral as it will stand once its deadlines have passed."""
    r = referral.c
    forever = timed(FOREVER)
    columns = {
        "referrals": func.count(),
        "forwarded": func.count(r.forwarded_at),
        "forward_due": func.count().filter(forever["forward_due"]),
        "forward_within": func.count().filter(r.forwarded_at <= r.forward_due_at),
        "forward_waiting": func.count().filter(forever["forward_overdue"]),
        "contacted": func.count(r.contacted_at),
        "contact_due": func.count().filter(forever["contact_due"]),
        "contact_within": func.count().filter(r.contacted_at <= r.contact_due_at),
        "contact_waiting": func.count().filter(forever["contact_overdue"]),
        **{
            f"outcome_{code}": func.count().filter(
                and_(r.status == Status.CLOSED, r.outcome == code)
            )
            for code in OUTCOME_CODES
        },
    }
    return [columns[name].label(name) for name in REFERRAL_COUNTS]


REFERRAL_SOURCE = referral.join(submission, submission.c.id == referral.c.submission_id).join(
    client, client.c.id == submission.c.client_id
)


def referral_keys() -> list:
    return [
        referral.c.partner_id,
        referral.c.question_key,
        submission.c.referrer_organisation_id.label("referrer_id"),
        client.c.borough,
    ]


def referral_counts_query(window: tuple[datetime, datetime]):
    """One day's stored referral counts (``hub.figures.stored``), by partner, question, referrer
    and borough, for the referrals received in ``window``."""
    keys = referral_keys()
    return (
        select(*keys, *referral_count_columns())
        .select_from(REFERRAL_SOURCE)
        .where(*in_window(referral.c.received_at, window))
        .group_by(*keys)
    )


# --- Questionnaire counts --------------------------------------------------------------------

_follow_up = FollowUp.__table__
_wellbeing_before = WellbeingScore.__table__.alias("wellbeing_before")
_wellbeing_after = WellbeingScore.__table__.alias("wellbeing_after")
SUBMISSION_SOURCE = (
    submission.join(client, client.c.id == submission.c.client_id)
    .outerjoin(_follow_up, _follow_up.c.submission_id == submission.c.id)
    .outerjoin(
        _wellbeing_before,
        and_(
            _wellbeing_before.c.submission_id == submission.c.id,
            _wellbeing_before.c.stage == "questionnaire",
        ),
    )
    .outerjoin(
        _wellbeing_after,
        and_(
            _wellbeing_after.c.submission_id == submission.c.id,
            _wellbeing_after.c.stage == "follow_up",
        ),
    )
)


def submission_count_columns() -> list:
    """The stored questionnaire counts (``hub.rollups.SUBMISSION_COUNTS``) over
    ``SUBMISSION_SOURCE``, which has one row per questionnaire."""
    f = _follow_up.c
    before, after = _wellbeing_before.c, _wellbeing_after.c
    columns = {
        "submissions": func.count(),
        "follow_ups": func.count(f.id),
        **{
            f"needs_met_{answer}": func.count().filter(f.needs_met == answer)
            for answer in NEEDS_MET
        },
        "wellbeing_pairs": func.count().filter(and_(before.id.is_not(None), after.id.is_not(None))),
        **{
            f"wellbeing_{name}_change": func.coalesce(func.sum(after[name] - before[name]), 0)
            for name in WELLBEING_QUESTIONS
        },
    }
    return [columns[name].label(name) for name in SUBMISSION_COUNTS]


def submission_keys() -> list:
    return [submission.c.referrer_organisation_id.label("referrer_id"), client.c.borough]


def submission_counts_query(window: tuple[datetime, datetime]):
    """One day's stored questionnaire counts (``hub.figures.stored``), by referrer and borough:
    for every questionnaire (``flag_partner_id`` 0, ``flag_question`` ""), and again for those
    with a flag for each partner, and for each question."""
    s, r = submission.c, referral.c
    keys = submission_keys()
    in_day = in_window(s.received_at, window)
    every = (
        select(
            literal(0).label("flag_partner_id"),
            literal("").label("flag_question"),
            *keys,
            *submission_count_columns(),
        )
        .select_from(SUBMISSION_SOURCE)
        .where(*in_day)
        .group_by(*keys)
    )
    selects = [every]
    for flag, column in (("flag_partner_id", r.partner_id), ("flag_question", r.question_key)):
        # Each questionnaire once for each partner (or question) it has a flag for.
        flagged = (
            select(r.submission_id, column.label("flag"))
            .join(submission, s.id == r.submission_id)
            .where(*in_day)
            .group_by(r.submission_id, column)
            .subquery()
        )
        if flag == "flag_partner_id":
            columns = [flagged.c.flag.label(flag), literal("").label("flag_question")]
        else:
            columns = [literal(0).label("flag_partner_id"), flagged.c.flag.label(flag)]
        selects.append(
            select(*columns, *keys, *submission_count_columns())
            .select_from(SUBMISSION_SOURCE.join(flagged, flagged.c.submission_id == s.id))
            .where(*in_day)
            .group_by(flagged.c.flag, *keys)
        )
    return union_all(*selects)


# --- Duration counts -------------------------------------------------------------------------


def durations(dialect: str):
    """Receipt to forwarding, and forwarding to contact, exactly as the duration indexes
    (migration 0005) have them, so that a walk can use them; and how many seconds one unit of
    them is: days on SQLite (``julianday`` differences), seconds on PostgreSQL."""
    r = referral.c
    if dialect == "sqlite":
        return (
            func.julianday(r.forwarded_at) - func.julianday(r.received_at),
            func.julianday(r.contacted_at) - func.julianday(r.forwarded_at),
            86400.0,
        )
    return (
        func.extract("epoch", r.forwarded_at - r.received_at),
        func.extract("epoch", r.contacted_at - r.forwarded_at),
        1,
    )


def duration_step(step: int, unit: float):
    """``DURATION_STEPS[step]`` in the durations' unit (whole seconds on PostgreSQL, whose
    durations are exact numbers, so the comparison keeps to the index)."""
    seconds = DURATION_STEPS[step]
    return seconds if unit == 1 else seconds / unit


def duration_count_columns(dialect: str) -> list:
    """The stored duration counts (``hub.rollups.DURATION_COUNTS``): how many durations there
    are, and how many fall under each of ``DURATION_STEPS``."""
    forward, contact, unit = durations(dialect)
    columns = [func.count(forward).label("forwarded"), func.count(contact).label("contacted")]
    for name, values in (("forward", forward), ("contact", contact)):
        columns += [
            func.count().filter(values < duration_step(step, unit)).label(f"{name}_under_{step}")
            for step in range(len(DURATION_STEPS))
        ]
    return columns


def duration_counts_query(window: tuple[datetime, datetime], dialect: str):
    """One day's stored duration counts (``hub.figures.stored``), by partner."""
    r = referral.c
    return (
        select(r.partner_id, *duration_count_columns(dialect))
        .where(*in_window(r.received_at, window))
        .group_by(r.partner_id)
    )


def add(total: dict, counts: Mapping) -> None:
    """Add ``counts`` into ``total``, name by name."""
    for name, value in counts.items():
        total[name] = total.get(name, 0) + value


def rounded(value: float | None) -> float | None:
    """A mean, median or percentile as the figures show it: to two places."""
    return None if value is None else round(float(value), 2)
