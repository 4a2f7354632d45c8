"""A period's counts, for the filter asked for: where the managers' figures get their numbers.

Each count for a period is the sum of the stored day and month rows that ``hub.figures.stored``'s
plan picks (a few thousand rows for a year, whatever the number of referrals), plus any day
changed since it was stored, counted afresh from the referrals with the very columns that store
it (``hub.figures.counts``). The stored counts count every referral as if its deadlines had
passed, so ``timed_corrections`` takes away, live, the few whose deadline is still ahead of
``now``. Nothing loads referrals into Python: each query returns a handful of rows per partner,
month or code.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import and_, func, literal_column, not_, select, union
from sqlalchemy.orm import Session

from hub.figures.counts import (
    FOREVER,
    REFERRAL_SOURCE,
    SUBMISSION_SOURCE,
    add,
    duration_count_columns,
    referral_count_columns,
    referral_keys,
    rounded,
    submission_count_columns,
    submission_keys,
    timed,
)
from hub.figures.filters import (
    Filters,
    month_index,
    month_index_of_day,
    organisation_id,
    period_not_leading,
    referral_conditions,
    referral_from,
    stored_conditions,
    submission_conditions,
)
from hub.models import (
    NEEDS_MET,
    WELLBEING_QUESTIONS,
    Client,
    FollowUp,
    Referral,
    Submission,
    WellbeingScore,
)
from hub.rollups import (
    DURATION_COUNTS,
    REFERRAL_COUNTS,
    SUBMISSION_COUNTS,
    duration_counts,
    referral_counts,
    submission_counts,
)
from hub.status import WITH_PARTNER, Status

referral = Referral.__table__
submission = Submission.__table__
client = Client.__table__


def sums(table, names, plan, filters: Filters, *keys):
    """The stored rows ``plan`` reads from ``table``, summed by ``keys``."""
    return (
        select(*keys, *(func.sum(table.c[name]).label(name) for name in names))
        .where(plan.rows(table), *stored_conditions(table, filters))
        .group_by(*keys)
    )


# --- Referrals -------------------------------------------------------------------------------


def referral_groups(
    session: Session, filters: Filters, months, plan, by_origin: bool = False
) -> list[Mapping]:
    """The period's referral counts (``REFERRAL_COUNTS``, as if every deadline had passed) by
    partner, question and month; or (``by_origin``) only how many, by referrer and borough.
    Stored rows summed, and stale days counted from the referrals themselves."""
    c, r = referral_counts.c, referral.c
    if by_origin:
        stored_keys = [c.referrer_id, c.borough]
        raw_keys = referral_keys()[2:]
        names: tuple[str, ...] = ("referrals",)
    else:
        stored_keys = [
            c.partner_id,
            c.question_key,
            month_index_of_day(c.day, months).label("month_index"),
        ]
        raw_keys = [
            r.partner_id,
            r.question_key,
            month_index(r.received_at, months).label("month_index"),
        ]
        names = REFERRAL_COUNTS
    rows = list(
        session.execute(sums(referral_counts, names, plan, filters, *stored_keys)).mappings()
    )
    stale = plan.stale_windows(r.received_at)
    if stale is not None:
        columns = [column for column in referral_count_columns() if column.name in names]
        rows += session.execute(
            select(*raw_keys, *columns)
            .select_from(REFERRAL_SOURCE)
            .where(stale, *referral_conditions(filters))
            .group_by(*raw_keys)
        ).mappings()
    return rows


def timed_corrections(session: Session, filters: Filters, now: datetime, months):
    """What to take from the stored counts at ``now``: the referrals counted as due or overdue
    whose deadline is in fact still ahead. Only those with a deadline after ``now`` can be
    such, and the indexes on the deadlines find them (a few days' worth) without a pass over
    the period."""
    r = referral.c
    forever, current = timed(FOREVER), timed(now)
    # Their ids first, each kind by its own index, so no filter can lead the database into a
    # pass over the period instead.
    ahead = union(
        *(
            select(r.id).where(*conditions)
            for conditions in (
                (r.forwarded_at.is_(None), r.forward_due_at > now),
                (r.status == Status.RECEIVED, r.forward_due_at > now),
                (r.contacted_at.is_(None), r.contact_due_at > now),
                (r.status.in_(WITH_PARTNER), r.contact_due_at > now),
            )
        )
    )
    keys = [r.partner_id, r.question_key, month_index(r.received_at, months).label("month_index")]
    return session.execute(
        select(
            *keys,
            *(
                func.count().filter(and_(forever[name], not_(current[name]))).label(name)
                for name in forever
            ),
        )
        .select_from(referral_from(filters))
        .where(
            r.id.in_(ahead),
            *period_not_leading(filters, session.get_bind().dialect.name),
            *referral_conditions(filters, period=False),
        )
        .group_by(*keys)
    ).mappings()


def duration_groups(session: Session, filters: Filters, plan) -> dict[int, dict]:
    """The period's stored duration counts by partner (id), with stale days counted afresh."""
    c = duration_counts.c
    rows = list(
        session.execute(
            sums(duration_counts, DURATION_COUNTS, plan, filters, c.partner_id)
        ).mappings()
    )
    stale = plan.stale_windows(referral.c.received_at)
    if stale is not None:
        r = referral.c
        rows += session.execute(
            select(r.partner_id, *duration_count_columns(session.get_bind().dialect.name))
            .where(stale, *referral_conditions(filters))
            .group_by(r.partner_id)
        ).mappings()
    groups: dict[int, dict] = {}
    for row in rows:
        add(groups.setdefault(row["partner_id"], {}), {n: row[n] for n in DURATION_COUNTS})
    return groups


# --- Questionnaires --------------------------------------------------------------------------


def questionnaires(session: Session, filters: Filters, months, plan, full: bool = True) -> dict:
    """The period's questionnaires: how many by month, referrer (id) and borough; and (if
    ``full``) the follow-up answers and wellbeing changes. With a partner or a question filter,
    only questionnaires with such a flag count: the stored counts keep those apart for each
    partner and each question, but not for the two together, which are counted from the
    questionnaires themselves."""
    if filters.partner and filters.question:
        return _questionnaires_counted(session, filters, months, full)
    c = submission_counts.c
    month = month_index_of_day(c.day, months).label("month_index")
    flagged = [
        c.flag_partner_id == (organisation_id(filters.partner) if filters.partner else 0),
        c.flag_question == (filters.question or ""),
    ]
    rows = list(
        session.execute(
            sums(
                submission_counts, SUBMISSION_COUNTS, plan, filters, c.referrer_id, c.borough, month
            ).where(*flagged)
        ).mappings()
    )
    stale = plan.stale_windows(submission.c.received_at)
    if stale is not None:
        keys = [
            *submission_keys(),
            month_index(submission.c.received_at, months).label("month_index"),
        ]
        rows += session.execute(
            select(*keys, *submission_count_columns())
            .select_from(SUBMISSION_SOURCE)
            .where(stale, *submission_conditions(filters))
            .group_by(*keys)
        ).mappings()
    total: dict[str, int] = dict.fromkeys(SUBMISSION_COUNTS, 0)
    result = {"by_month": {}, "referrers": {}, "boroughs": {}}
    for row in rows:
        add(total, {name: row[name] for name in SUBMISSION_COUNTS})
        for table, key in (
            (result["by_month"], row["month_index"]),
            (result["referrers"], row["referrer_id"]),
            (result["boroughs"], row["borough"]),
        ):
            table[key] = table.get(key, 0) + row["submissions"]
    pairs = total["wellbeing_pairs"]
    result["follow_ups"] = {
        "recorded": total["follow_ups"],
        "needs_met": {answer: total[f"needs_met_{answer}"] for answer in NEEDS_MET},
    }
    result["wellbeing"] = {
        "pairs": pairs,
        "change": {
            name: rounded(total[f"wellbeing_{name}_change"] / pairs) if pairs else None
            for name in WELLBEING_QUESTIONS
        },
    }
    return result


def _questionnaires_counted(session: Session, filters: Filters, months, full: bool) -> dict:
    """``questionnaires`` counted from the questionnaires themselves."""
    s = submission.c
    month = month_index(s.received_at, months).label("month_index")
    rows = session.execute(
        select(month, s.referrer_organisation_id, client.c.borough, func.count())
        .select_from(submission.join(client, client.c.id == s.client_id))
        .where(*submission_conditions(filters))
        .group_by(literal_column("month_index"), s.referrer_organisation_id, client.c.borough)
    ).all()
    result = {"by_month": {}, "referrers": {}, "boroughs": {}}
    for index, org_id, borough, count in rows:
        for table, key in (
            (result["by_month"], index),
            (result["referrers"], org_id),
            (result["boroughs"], borough),
        ):
            table[key] = table.get(key, 0) + count
    if full:
        result["follow_ups"] = _follow_ups(session, filters)
        result["wellbeing"] = _wellbeing(session, filters)
    return result


def _follow_ups(session: Session, filters: Filters) -> dict:
    f = FollowUp.__table__.c
    rows = dict(
        session.execute(
            select(f.needs_met, func.count())
            .select_from(submission.join(FollowUp.__table__, f.submission_id == submission.c.id))
            .where(*submission_conditions(filters))
            .group_by(f.needs_met)
        ).all()
    )
    return {
        "recorded": sum(rows.values()),
        "needs_met": {answer: rows.get(answer, 0) for answer in NEEDS_MET},
    }


def _wellbeing(session: Session, filters: Filters) -> dict:
    """The mean change (follow-up minus questionnaire) in each ONS wellbeing score, over the
    questionnaires with both."""
    table = WellbeingScore.__table__
    before = table.alias("before")
    after = table.alias("after")
    row = session.execute(
        select(
            func.count(),
            *(func.avg(after.c[name] - before.c[name]).label(name) for name in WELLBEING_QUESTIONS),
        )
        .select_from(
            submission.join(
                before,
                and_(before.c.submission_id == submission.c.id, before.c.stage == "questionnaire"),
            ).join(
                after,
                and_(after.c.submission_id == submission.c.id, after.c.stage == "follow_up"),
            )
        )
        .where(*submission_conditions(filters))
    ).one()
    pairs, *changes = row
    return {
        "pairs": pairs,
        "change": {
            name: rounded(change) if pairs else None
            for name, change in zip(WELLBEING_QUESTIONS, changes, strict=True)
        },
    }
