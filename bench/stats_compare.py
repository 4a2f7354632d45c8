"""The figures bench's comparison: the hand-written SQL's numbers arranged as
``hub.figures.report.figures`` answers them, and every difference between the two named by its
path."""

from __future__ import annotations


def in_figures_form(raw: dict) -> dict:
    """The hand-written numbers arranged as ``hub.figures.report.figures`` answers them, for
    comparing."""
    organisations = raw["organisations"]

    def share(within, due):
        return round(within / due, 4) if due else None

    def rounded(value):
        return None if value is None else round(float(value), 2)

    def forwarding(counts, pair):
        return {
            "forwarded": counts["forwarded"],
            "median_hours": rounded(pair[0]),
            "p90_hours": rounded(pair[1]),
            "due": counts["forward_due"],
            "within_sla": counts["forward_within"],
            "share_within_sla": share(counts["forward_within"], counts["forward_due"]),
            "overdue_open": counts["forward_overdue"],
        }

    def contact(counts, pair):
        return {
            "contacted": counts["contacted"],
            "median_days": rounded(pair[0]),
            "p90_days": rounded(pair[1]),
            "due": counts["contact_due"],
            "within_sla": counts["contact_within"],
            "share_within_sla": share(counts["contact_within"], counts["contact_due"]),
            "overdue_open": counts["contact_overdue"],
        }

    submissions_by_month: dict[int, int] = {}
    by_referrer: dict[int, list[int]] = {}
    by_borough: dict[str | None, list[int]] = {}
    for month, referrer, borough, count in raw["submissions"]:
        submissions_by_month[month] = submissions_by_month.get(month, 0) + count
        by_referrer.setdefault(referrer, [0, 0])[0] += count
        by_borough.setdefault(borough, [0, 0])[0] += count
    for referrer, borough, count in raw["referrals_by_who"]:
        by_referrer.setdefault(referrer, [0, 0])[1] += count
        by_borough.setdefault(borough, [0, 0])[1] += count
    submissions = sum(submissions_by_month.values())
    total = raw["total"]
    none = (None, None)
    pairs, *changes = raw["wellbeing"]
    return {
        "submissions": submissions,
        "referrals": total["referrals"],
        "flags_per_questionnaire": round(total["referrals"] / submissions, 2)
        if submissions
        else None,
        "forwarding": forwarding(total, raw["forward"].get(-1, none)),
        "contact": contact(total, raw["contact"].get(-1, none)),
        "by_month": [
            {
                "month": first.strftime("%Y-%m"),
                "submissions": submissions_by_month.get(index, 0),
                "referrals": raw["by_month"].get(index, {}).get("referrals", 0),
                "forwarding_share": share(
                    raw["by_month"].get(index, {}).get("forward_within", 0),
                    raw["by_month"].get(index, {}).get("forward_due", 0),
                ),
                "contact_share": share(
                    raw["by_month"].get(index, {}).get("contact_within", 0),
                    raw["by_month"].get(index, {}).get("contact_due", 0),
                ),
            }
            for index, first in enumerate(raw["months"])
        ],
        "by_question": dict(raw["by_question"]),
        "by_referrer": {
            organisations[id_][0]: tuple(counts) for id_, counts in by_referrer.items()
        },
        "by_borough": {slug: tuple(counts) for slug, counts in by_borough.items()},
        "outcomes": dict(raw["outcomes"]),
        "declines": _declines_by_label(raw["declines"]),
        "follow_ups": {
            "recorded": sum(raw["follow_ups"].values()),
            "needs_met": {
                answer: raw["follow_ups"].get(answer, 0) for answer in ("yes", "partly", "no")
            },
        },
        "wellbeing": {
            "pairs": pairs,
            "change": {
                name: rounded(change) if pairs else None
                for name, change in zip(
                    ("life_satisfaction", "worthwhile", "happy", "anxious"), changes, strict=True
                )
            },
        },
        "partners": {
            organisations[id_][0]: {
                "referrals": counts["referrals"],
                "forwarding": forwarding(counts, raw["forward"].get(id_, none)),
                "contact": contact(counts, raw["contact"].get(id_, none)),
                "overdue_open": counts["forward_overdue"] + counts["contact_overdue"],
            }
            for id_, counts in raw["partners"].items()
        },
    }


def comparable(figures: dict) -> dict:
    """``hub.figures.report.figures``' answer keyed the same way as ``in_figures_form``'s."""
    return {
        "submissions": figures["submissions"],
        "referrals": figures["referrals"],
        "flags_per_questionnaire": figures["flags_per_questionnaire"],
        "forwarding": figures["forwarding"],
        "contact": figures["contact"],
        "by_month": [
            {
                key: row[key]
                for key in (
                    "month",
                    "submissions",
                    "referrals",
                    "forwarding_share",
                    "contact_share",
                )
            }
            for row in figures["by_month"]
        ],  # fmt: skip
        "by_question": {row["key"]: row["referrals"] for row in figures["by_question"]},
        "by_referrer": {
            row["slug"]: (row["submissions"], row["referrals"]) for row in figures["by_referrer"]
        },
        "by_borough": {
            row["slug"]: (row["submissions"], row["referrals"]) for row in figures["by_borough"]
        },
        "outcomes": {row["code"]: row["count"] for row in figures["outcomes"]},
        "declines": {row["reason"]: row["count"] for row in figures["declines"]},
        "follow_ups": figures["follow_ups"],
        "wellbeing": figures["wellbeing"],
        "partners": {
            row["partner"]: {
                key: row[key] for key in ("referrals", "forwarding", "contact", "overdue_open")
            }
            for row in figures["partners"]
        },  # fmt: skip
    }


def differences(ours, theirs, path: str = "") -> list[str]:
    """Where two answers differ; medians and percentiles may differ by 0.01 (rounding of a
    float worked out two ways)."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        found = []
        for key in sorted(set(ours) | set(theirs), key=str):
            found += differences(ours.get(key), theirs.get(key), f"{path}.{key}")
        return found
    if isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        return [
            d
            for i, (a, b) in enumerate(zip(ours, theirs, strict=True))
            for d in differences(a, b, f"{path}[{i}]")
        ]
    if isinstance(ours, float) and isinstance(theirs, float) and abs(ours - theirs) <= 0.0101:
        return []
    if ours == theirs:
        return []
    return [f"{path}: hub.figures.report {ours!r}, hand-written SQL {theirs!r}"]


def _declines_by_label(by_code: dict) -> dict:
    """The hand-written SQL's declines by code, as the hub's figures name them: no code, or one
    the hub does not know, is "other"."""
    from hub.referrals.decline_reasons import DECLINE_REASONS, OTHER, reason_label

    labelled: dict[str, int] = {}
    for code, count in by_code.items():
        label = reason_label(code if code in DECLINE_REASONS else OTHER)
        labelled[label] = labelled.get(label, 0) + count
    return labelled
