"""The managers' figures, as the dashboard shows them and the API answers them: the entry points
``figures`` (the dashboard's and the exports' figures), ``turnaround`` (the answer of
``GET /api/v1/stats/turnaround``) and ``overdue_now`` (the dashboard's list of what is late).

Every figure is about the referrals *received* in a period (``hub.figures.filters``): volumes,
turnaround against the SLA, outcomes and follow-up results. The counts come from
``hub.figures.period_counts`` (what each means: ``hub.figures.counts``), and the medians and 90th
percentiles from ``hub.figures.percentiles``; this module arranges them by partner, month,
question, referrer and borough. ``share_within_sla = within_sla / due``, and ``None`` when
nothing is due yet; how *due* and *within* are counted is ``hub.figures.counts``' docstring.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from hub.figures import stored
from hub.figures.counts import FIGURE_NAMES, OUTCOME_CODES, TIMED, add, rounded
from hub.figures.filters import (
    Filters,
    filter_choices,
    month_buckets,
    referral_conditions,
    referral_from,
)
from hub.figures.percentiles import ALL, duration_percentiles
from hub.figures.period_counts import questionnaires, referral_groups, timed_corrections
from hub.labels import OUTCOME_LABELS
from hub.models import Organisation, Referral, ReferralEvent
from hub.referrals import overdue
from hub.referrals.decline_reasons import DECLINE_REASONS, OTHER, reason_label
from hub.rollups import REFERRAL_COUNTS
from hub.status import Status

NOT_RECORDED = "Not recorded"

referral = Referral.__table__


def _share(within: int, due: int) -> float | None:
    return round(within / due, 4) if due else None


def _forwarding(row: Mapping, percentiles: tuple) -> dict:
    median, p90 = percentiles
    return {
        "forwarded": row["forwarded"],
        "median_hours": rounded(median),
        "p90_hours": rounded(p90),
        "due": row["forward_due"],
        "within_sla": row["forward_within"],
        "share_within_sla": _share(row["forward_within"], row["forward_due"]),
        "overdue_open": row["forward_overdue"],
    }


def _contact(row: Mapping, percentiles: tuple) -> dict:
    median, p90 = percentiles
    return {
        "contacted": row["contacted"],
        "median_days": rounded(median),
        "p90_days": rounded(p90),
        "due": row["contact_due"],
        "within_sla": row["contact_within"],
        "share_within_sla": _share(row["contact_within"], row["contact_due"]),
        "overdue_open": row["contact_overdue"],
    }


COUNTS = (
    "referrals",
    "forwarded",
    "forward_due",
    "forward_within",
    "forward_overdue",
    "contacted",
    "contact_due",
    "contact_within",
    "contact_overdue",
)


@dataclass
class _Turnaround:
    """The referrals' counts, summed: the totals and the counts by partner (id), question and
    month (index), referrals by referrer (id) and borough, and the medians and p90s of each
    partner and the whole."""

    total: dict
    by_partner: dict[int, dict] = field(default_factory=dict)
    by_question: dict[str, int] = field(default_factory=dict)
    by_month: dict[int, dict] = field(default_factory=dict)
    referrers: dict[int, int] = field(default_factory=dict)
    boroughs: dict[str | None, int] = field(default_factory=dict)
    percentiles: dict = field(default_factory=dict)

    def tally(self, row: Mapping, counts: Mapping) -> None:
        add(self.total, counts)
        add(self.by_partner.setdefault(row["partner_id"], {}), counts)
        add(self.by_month.setdefault(row["month_index"], {}), counts)
        key = row["question_key"]
        self.by_question[key] = self.by_question.get(key, 0) + counts.get("referrals", 0)


def _turnaround(session: Session, filters: Filters, now: datetime, months, plan) -> _Turnaround:
    result = _Turnaround(dict.fromkeys(COUNTS, 0))
    for row in referral_groups(session, filters, months, plan):
        result.tally(row, {FIGURE_NAMES.get(name, name): row[name] for name in REFERRAL_COUNTS})
    for row in referral_groups(session, filters, months, plan, by_origin=True):
        for table, key in (
            (result.referrers, row["referrer_id"]),
            (result.boroughs, row["borough"]),
        ):
            table[key] = table.get(key, 0) + row["referrals"]
    for row in timed_corrections(session, filters, now, months):
        result.tally(row, {name: -row[name] for name in TIMED})
    result.percentiles = duration_percentiles(session, filters, plan)
    return result


def _organisations(session: Session, ids) -> dict:
    return {
        row.id: row
        for row in session.execute(
            select(Organisation.id, Organisation.slug, Organisation.name).where(
                Organisation.id.in_(set(ids))
            )
        )
    }


def _partner_rows(counted: _Turnaround, organisations: dict) -> list[dict]:
    """The per-partner table, by partner name."""
    percentiles = counted.percentiles
    return sorted(
        (
            {
                "partner": organisations[partner_id].slug,
                "name": organisations[partner_id].name,
                "referrals": counts["referrals"],
                "forwarding": _forwarding(
                    counts, percentiles["forward"].get(partner_id, (None, None))
                ),
                "contact": _contact(counts, percentiles["contact"].get(partner_id, (None, None))),
                "overdue_open": counts["forward_overdue"] + counts["contact_overdue"],
            }
            for partner_id, counts in counted.by_partner.items()
        ),
        key=lambda row: row["name"],
    )


def _outcome_rows(counted: _Turnaround) -> list[dict]:
    return _commonest_first(
        {"code": code, "label": OUTCOME_LABELS.get(code, code), "count": count}
        for code in OUTCOME_CODES
        if (count := counted.total.get(f"outcome:{code}", 0))
    )


def figures(session: Session, filters: Filters, now: datetime) -> dict:
    """Every figure the dashboard shows, for ``filters`` as of ``now`` (see the module's
    docstring for how the SLA shares are counted)."""
    months = month_buckets(filters)
    plan = stored.plan(session, filters.start, filters.end)
    counted = _turnaround(session, filters, now, months, plan)
    total, by_month, by_question = counted.total, counted.by_month, counted.by_question
    percentiles = counted.percentiles
    asked = questionnaires(session, filters, months, plan)
    submissions = sum(asked["by_month"].values())
    choices = filter_choices(session)
    question_labels = dict(choices["questions"])
    referrers = _origin_rows(asked["referrers"], counted.referrers)
    organisations = _organisations(session, set(counted.by_partner) | set(referrers))
    partners = _partner_rows(counted, organisations)

    def monthly(index: int, name: str) -> int:
        return by_month.get(index, {}).get(name, 0)

    borough_names = dict(choices["boroughs"])
    return {
        "submissions": submissions,
        "referrals": total["referrals"],
        "flags_per_questionnaire": (
            round(total["referrals"] / submissions, 2) if submissions else None
        ),
        "forwarding": _forwarding(total, percentiles["forward"].get(ALL, (None, None))),
        "contact": _contact(total, percentiles["contact"].get(ALL, (None, None))),
        "by_month": [
            {
                "month": first.strftime("%Y-%m"),
                "label": f"{calendar.month_name[first.month]} {first.year}",
                "submissions": asked["by_month"].get(index, 0),
                "referrals": monthly(index, "referrals"),
                "forwarding_share": _share(
                    monthly(index, "forward_within"), monthly(index, "forward_due")
                ),
                "contact_share": _share(
                    monthly(index, "contact_within"), monthly(index, "contact_due")
                ),
            }
            for index, (first, _) in enumerate(months)
        ],
        "by_question": _commonest_first(
            {"key": key, "label": question_labels.get(key, key), "referrals": count}
            for key, count in by_question.items()
        ),
        "by_referrer": _commonest_first(
            {
                "slug": organisations[org_id].slug,
                "name": organisations[org_id].name,
                **counts,
            }
            for org_id, counts in referrers.items()
        ),
        "by_borough": _commonest_first(
            {
                "slug": slug,
                "name": borough_names.get(slug, slug) if slug else NOT_RECORDED,
                **counts,
            }
            for slug, counts in _origin_rows(asked["boroughs"], counted.boroughs).items()
        ),
        "outcomes": _outcome_rows(counted),
        "declines": _declines(session, filters),
        "follow_ups": asked["follow_ups"],
        "wellbeing": asked["wellbeing"],
        "partners": partners,
    }


def _origin_rows(submissions: Mapping, referrals: Mapping) -> dict:
    """Questionnaires and referrals by referrer or borough, from their two counts."""
    return {
        key: {"submissions": submissions.get(key, 0), "referrals": referrals.get(key, 0)}
        for key in {**submissions, **referrals}
    }


def _commonest_first(rows) -> list[dict]:
    """Breakdown rows, the biggest first (by submissions, referrals or count), then by name."""

    def order(row):
        size = row.get("submissions", row.get("referrals", row.get("count")))
        return (-size, row.get("name") or row.get("code") or row.get("key"))

    return sorted(rows, key=order)


def _declines(session: Session, filters: Filters) -> list[dict]:
    """Declines by the reason's code the partner chose (``hub.referrals.decline_reasons``), the
    commonest first; a decline recorded without one (free text) counts as "other". The
    partner's own words are never counted: they may name the client."""
    r = referral.c
    event = ReferralEvent.__table__.c
    code = func.coalesce(ReferralEvent.details["reason_code"].as_string(), OTHER)
    rows = session.execute(
        select(code, func.count())
        .select_from(
            referral_from(filters).outerjoin(
                ReferralEvent.__table__,
                and_(event.referral_id == r.id, event.kind == "declined"),
            )
        )
        .where(*referral_conditions(filters), r.declined_at.is_not(None))
        .group_by(code)
    ).all()
    counts: dict[str, int] = {}
    for each, count in rows:  # an unknown code is "other" too
        key = each if each in DECLINE_REASONS else OTHER
        counts[key] = counts.get(key, 0) + count
    order = list(DECLINE_REASONS)
    return sorted(
        ({"code": key, "reason": reason_label(key), "count": n} for key, n in counts.items()),
        key=lambda row: (-row["count"], order.index(row["code"])),
    )


def overdue_now(session: Session, filters: Filters, now: datetime, limit: int = 100) -> list[dict]:
    """Open referrals past their forwarding or contact deadline right now, whenever they were
    received (the period is ignored; the other filters apply), the longest overdue first."""
    r = referral.c
    deadline = overdue.current_deadline_clause()
    conditions = [overdue.overdue_clause(now), *referral_conditions(filters, period=False)]
    rows = session.execute(
        select(
            r.id,
            r.reference,
            r.status,
            deadline.label("due_at"),
            Organisation.slug,
            Organisation.name,
        )
        .select_from(referral_from(filters).join(Organisation, Organisation.id == r.partner_id))
        .where(*conditions)
        .order_by(deadline, r.id)
        .limit(limit)
    ).all()
    return [
        {
            "id": row.id,
            "reference": row.reference,
            "partner": row.slug,
            "partner_name": row.name,
            "stage": "forward" if row.status == Status.RECEIVED else "contact",
            "due_at": row.due_at,
        }
        for row in rows
    ]


def turnaround(session: Session, filters: Filters, now: datetime) -> dict:
    """The answer of ``GET /api/v1/stats/turnaround`` (docs/design.md, "JSON API v1"): the
    dashboard's headline and per-partner figures, without the breakdowns it does not carry."""
    months = month_buckets(filters)
    plan = stored.plan(session, filters.start, filters.end)
    counted = _turnaround(session, filters, now, months, plan)
    submissions = sum(
        questionnaires(session, filters, months, plan, full=False)["by_month"].values()
    )

    def block(values: dict) -> dict:
        return {key: value for key, value in values.items() if key != "overdue_open"}

    return {
        "submissions": submissions,
        "referrals": counted.total["referrals"],
        "forwarding": block(
            _forwarding(counted.total, counted.percentiles["forward"].get(ALL, (None, None)))
        ),
        "contact": block(
            _contact(counted.total, counted.percentiles["contact"].get(ALL, (None, None)))
        ),
        "outcomes": {row["code"]: row["count"] for row in _outcome_rows(counted)},
        "partners": [
            {
                "partner": row["partner"],
                "referrals": row["referrals"],
                "forwarding": block(row["forwarding"]),
                "contact": block(row["contact"]),
            }
            for row in _partner_rows(counted, _organisations(session, counted.by_partner))
        ],
    }
