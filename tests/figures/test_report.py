"""The managers' figures against a small history built by hand, whose answers are worked out
here: medians and 90th percentiles, shares within the SLAs with overdue open referrals counted as
misses, the period's boundaries in London time, filters, an empty period, and the API."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from hub.extensions import db
from hub.figures import report, stored
from hub.figures.filters import FilterError, Filters, parse_filters
from hub.referrals import lifecycle
from hub.referrals.follow_ups import record_follow_up, record_wellbeing
from tests.api_support import bearer
from tests.factories import submit, user
from tests.support import referral_for

# The figures' SQL differs between SQLite and PostgreSQL (dates, durations, medians).
pytestmark = pytest.mark.both_databases

MARCH = Filters(date(2026, 3, 1), date(2026, 3, 31))
AS_OF = datetime(2026, 4, 10, 12, 0)  # every figure is worked out as of this moment
H = timedelta(hours=1)
D = timedelta(days=1)


@pytest.fixture(params=["counted afresh", "stored counts"])
def history(request, demo_hub):
    """Questionnaires around March 2026 (GMT until 29 March, BST after). The comments give each
    referral's hours to forward and days to contact. Every test runs twice: with each day still
    noted as stale, so the figures count the referrals themselves; and after ``hub.figures.stored``
    has stored the day and month counts, so the figures sum those."""
    frontline, hub = user("frontline"), user("hub")

    # Just before the period (23:59 GMT on 28 February) and just after it (00:30 BST on 1 April).
    submit(frontline, datetime(2026, 2, 28, 23, 59), yes=("smoke_alarms",))
    submit(frontline, datetime(2026, 3, 31, 23, 30), yes=("smoke_alarms",))

    # S7, the first moment of the period: befriending forwarded at exactly 24 h (within), contact
    # at exactly 14 days (within).
    s7 = submit(frontline, datetime(2026, 3, 1, 0, 0), yes=("lonely",))
    r8 = referral_for(s7, "lonely")
    lifecycle.forward_referral(r8, hub, r8.received_at + 24 * H)
    lifecycle.record_contact(r8, None, r8.forwarded_at + 14 * D)

    # S1: fire safety forwarded in 2 h, contact in 3 days, closed; falls forwarded in 30 h
    # (a miss), contact in 20 days (a miss), closed as client declined.
    s1 = submit(frontline, datetime(2026, 3, 2, 9, 0), yes=("smoke_alarms", "falls"))
    r1, r2 = referral_for(s1, "smoke_alarms"), referral_for(s1, "falls")
    lifecycle.forward_referral(r1, hub, r1.received_at + 2 * H)
    lifecycle.record_contact(r1, None, r1.forwarded_at + 3 * D)
    lifecycle.close_referral(r1, None, r1.contacted_at + H, "service_provided")
    lifecycle.forward_referral(r2, hub, r2.received_at + 30 * H)
    lifecycle.record_contact(r2, None, r2.forwarded_at + 20 * D)
    lifecycle.close_referral(r2, None, r2.contacted_at + H, "client_declined")
    record_wellbeing(
        s1,
        "questionnaire",
        {"life_satisfaction": 6, "worthwhile": 6, "happy": 5, "anxious": 4},
        frontline,
        s1.received_at,
    )

    # S2 (Southwark): fire safety forwarded in 4 h and never contacted (overdue since 24 March:
    # a contact miss); befriending never forwarded (overdue since 11 March: a forwarding miss).
    s2 = submit(
        frontline,
        datetime(2026, 3, 10, 10, 0),
        yes=("smoke_alarms", "lonely"),
        borough="southwark",
        postcode="SE5 8AB",
    )
    r3 = referral_for(s2, "smoke_alarms")
    lifecycle.forward_referral(r3, hub, r3.received_at + 4 * H)

    # S3: falls forwarded in 10 h, declined two days later: contact never fell due.
    s3 = submit(frontline, datetime(2026, 3, 20, 12, 0), yes=("falls",))
    r5 = referral_for(s3, "falls")
    lifecycle.forward_referral(r5, hub, r5.received_at + 10 * H)
    lifecycle.decline_referral(r5, None, r5.forwarded_at + 2 * D, "  Not in our area ")

    # S4: befriending cancelled after an hour: forwarding never fell due.
    s4 = submit(frontline, datetime(2026, 3, 25, 8, 0), yes=("lonely",))
    lifecycle.cancel_referral(referral_for(s4, "lonely"), hub, s4.received_at + H, "Duplicate")

    # S5, 23:30 BST on 31 March, the last hour of the period: forwarded in 1 h, contact not due.
    s5 = submit(frontline, datetime(2026, 3, 31, 22, 30), yes=("smoke_alarms",))
    r7 = referral_for(s5, "smoke_alarms")
    lifecycle.forward_referral(r7, hub, r7.received_at + H)

    for submission, needs_met in ((s1, "yes"), (s2, "partly")):
        record_follow_up(
            submission,
            hub,
            submission.received_at + 28 * D,
            needs_met,
            [],
            None,
            {"life_satisfaction": 8, "worthwhile": 7, "happy": 6, "anxious": 2}
            if submission is s1
            else None,
        )
    db.session.commit()
    if request.param == "stored counts":
        assert stored.refresh(db.session) > 0
        assert stored.stale_days(db.session) == set()


def test_march_figures_worked_by_hand(db, history):
    result = report.figures(db.session, MARCH, AS_OF)

    assert result["submissions"] == 6
    assert result["referrals"] == 8
    assert result["flags_per_questionnaire"] == 1.33
    # Hours 1, 2, 4, 10, 24, 30. Due: those six and the unforwarded befriending referral;
    # the cancelled one never fell due. Within: all but 30 h and the unforwarded one.
    assert result["forwarding"] == {
        "forwarded": 6,
        "median_hours": 7.0,
        "p90_hours": 27.0,
        "due": 7,
        "within_sla": 5,
        "share_within_sla": 0.7143,
        "overdue_open": 1,
    }
    # Days 3, 14, 20. Due: those three and the fire safety referral never contacted;
    # the declined one and the one forwarded on 31 March are not due.
    assert result["contact"] == {
        "contacted": 3,
        "median_days": 14.0,
        "p90_days": 18.8,
        "due": 4,
        "within_sla": 2,
        "share_within_sla": 0.5,
        "overdue_open": 1,
    }
    assert result["outcomes"] == [
        {"code": "client_declined", "label": "Client declined", "count": 1},
        {"code": "service_provided", "label": "Service provided", "count": 1},
    ]
    # Declined in free text, without a reason from the list: "other".
    assert result["declines"] == [{"code": "other", "reason": "Other", "count": 1}]
    assert result["follow_ups"] == {"recorded": 2, "needs_met": {"yes": 1, "partly": 1, "no": 0}}
    assert result["wellbeing"] == {
        "pairs": 1,
        "change": {"life_satisfaction": 2.0, "worthwhile": 1.0, "happy": 1.0, "anxious": -2.0},
    }
    assert result["by_month"] == [
        {
            "month": "2026-03",
            "label": "March 2026",
            "submissions": 6,
            "referrals": 8,
            "forwarding_share": 0.7143,
            "contact_share": 0.5,
        }
    ]
    by_question = {row["key"]: row["referrals"] for row in result["by_question"]}
    assert by_question == {"smoke_alarms": 3, "lonely": 3, "falls": 2}
    assert [
        (row["slug"], row["submissions"], row["referrals"]) for row in result["by_borough"]
    ] == [
        ("lambeth", 5, 6),
        ("southwark", 1, 2),
    ]
    assert [(row["slug"], row["submissions"]) for row in result["by_referrer"]] == [
        ("lambeth-adult-social-care", 6)
    ]


def test_per_partner_figures(db, history):
    partners = {row["partner"]: row for row in report.figures(db.session, MARCH, AS_OF)["partners"]}

    assert set(partners) == {"lfb-home-fire-safety", "nhs-falls-prevention", "age-uk-befriending"}
    fire = partners["lfb-home-fire-safety"]
    assert fire["referrals"] == 3
    assert fire["overdue_open"] == 1
    assert fire["forwarding"] | {} == {
        "forwarded": 3,
        "median_hours": 2.0,
        "p90_hours": 3.6,  # hours 1, 2, 4
        "due": 3,
        "within_sla": 3,
        "share_within_sla": 1.0,
        "overdue_open": 0,
    }
    assert fire["contact"] == {
        "contacted": 1,
        "median_days": 3.0,
        "p90_days": 3.0,
        "due": 2,  # contacted in 3 days, and the one overdue
        "within_sla": 1,
        "share_within_sla": 0.5,
        "overdue_open": 1,
    }
    falls = partners["nhs-falls-prevention"]
    assert (falls["forwarding"]["median_hours"], falls["forwarding"]["p90_hours"]) == (20.0, 28.0)
    assert falls["contact"]["share_within_sla"] == 0.0
    befriending = partners["age-uk-befriending"]
    assert befriending["forwarding"]["share_within_sla"] == 0.5
    assert befriending["overdue_open"] == 1


def test_a_partner_cannot_look_better_by_not_acting(db, history):
    """The overdue open referral is a miss now; had it been contacted late it would still be a
    miss, and on time a hit. Doing nothing never improves the share."""
    fire = Filters(MARCH.start, MARCH.end, partner="lfb-home-fire-safety")
    before = report.figures(db.session, fire, AS_OF)["contact"]
    assert (before["within_sla"], before["due"]) == (1, 2)

    # Before its deadline (24 March 14:00) it was not yet due at all.
    early = report.figures(db.session, fire, datetime(2026, 3, 24, 13, 0))["contact"]
    assert (early["within_sla"], early["due"], early["overdue_open"]) == (1, 1, 0)


def test_filters_narrow_every_figure(db, history):
    falls = report.figures(
        db.session, Filters(MARCH.start, MARCH.end, partner="nhs-falls-prevention"), AS_OF
    )
    assert (falls["submissions"], falls["referrals"]) == (2, 2)
    assert [row["partner"] for row in falls["partners"]] == ["nhs-falls-prevention"]
    assert falls["follow_ups"]["recorded"] == 1  # S1 has a falls flag; S3 no follow-up

    southwark = report.figures(
        db.session, Filters(MARCH.start, MARCH.end, borough="southwark"), AS_OF
    )
    assert (southwark["submissions"], southwark["referrals"]) == (1, 2)
    assert southwark["forwarding"]["overdue_open"] == 1
    assert southwark["follow_ups"]["needs_met"]["partly"] == 1

    lonely = report.figures(db.session, Filters(MARCH.start, MARCH.end, question="lonely"), AS_OF)
    assert (lonely["submissions"], lonely["referrals"]) == (3, 3)
    assert lonely["forwarding"]["due"] == 2

    other = report.figures(
        db.session,
        Filters(MARCH.start, MARCH.end, referrer="southwark-community-nursing"),
        AS_OF,
    )
    assert (other["submissions"], other["referrals"]) == (0, 0)


def test_period_boundaries_follow_london_dates(db, history):
    spring = report.figures(db.session, Filters(date(2026, 2, 1), date(2026, 4, 30)), AS_OF)
    assert [(row["month"], row["submissions"], row["referrals"]) for row in spring["by_month"]] == [
        ("2026-02", 1, 1),  # 23:59 GMT on 28 February
        ("2026-03", 6, 8),
        ("2026-04", 1, 1),  # 23:30 UTC on 31 March is 00:30 BST on 1 April
    ]
    first_day = report.figures(db.session, Filters(date(2026, 3, 1), date(2026, 3, 1)), AS_OF)
    assert first_day["referrals"] == 1
    last_day = report.figures(db.session, Filters(date(2026, 3, 31), date(2026, 3, 31)), AS_OF)
    assert last_day["referrals"] == 1


def test_an_empty_period(db, history):
    result = report.figures(db.session, Filters(date(2025, 1, 1), date(2025, 1, 31)), AS_OF)
    assert result["submissions"] == result["referrals"] == 0
    assert result["flags_per_questionnaire"] is None
    assert result["forwarding"] == {
        "forwarded": 0,
        "median_hours": None,
        "p90_hours": None,
        "due": 0,
        "within_sla": 0,
        "share_within_sla": None,
        "overdue_open": 0,
    }
    assert result["contact"]["share_within_sla"] is None
    assert result["partners"] == result["outcomes"] == result["declines"] == []
    assert result["wellbeing"] == {
        "pairs": 0,
        "change": dict.fromkeys(("life_satisfaction", "worthwhile", "happy", "anxious")),
    }
    assert result["by_month"][0]["referrals"] == 0


def test_overdue_now_lists_open_referrals_past_their_deadline(db, history):
    """Whenever they were received: the period is for the figures, not for what is late now."""
    rows = report.overdue_now(db.session, MARCH, AS_OF)
    assert [(row["partner"], row["stage"], row["due_at"]) for row in rows] == [
        ("lfb-home-fire-safety", "forward", datetime(2026, 3, 1, 23, 59)),  # received in February
        ("age-uk-befriending", "forward", datetime(2026, 3, 11, 10, 0)),
        ("lfb-home-fire-safety", "contact", datetime(2026, 3, 24, 14, 0)),
        ("lfb-home-fire-safety", "forward", datetime(2026, 4, 1, 23, 30)),  # received in April
    ]
    narrowed = report.overdue_now(
        db.session, Filters(MARCH.start, MARCH.end, partner="lfb-home-fire-safety"), AS_OF
    )
    assert [row["stage"] for row in narrowed] == ["forward", "contact", "forward"]
    southwark = Filters(MARCH.start, MARCH.end, borough="southwark")
    assert [row["stage"] for row in report.overdue_now(db.session, southwark, AS_OF)] == [
        "forward",
        "contact",
    ]


def test_parse_filters_reports_every_problem(db, demo_hub):
    today = date(2026, 11, 23)
    assert parse_filters({}, today) == Filters(date(2025, 12, 1), today)
    with pytest.raises(FilterError) as refused:
        parse_filters(
            {"from": "2026-02-30", "to": "soon", "partner": "nobody", "question": "x"}, today
        )
    assert set(refused.value.errors) == {"from", "to", "partner", "question"}
    assert refused.value.errors["from"] == "Enter the start date as a real date, like 2026-01-31"
    with pytest.raises(FilterError) as backwards:
        parse_filters({"from": "2026-03-02", "to": "2026-03-01"}, today)
    assert backwards.value.errors == {
        "to": "The end date must be the same as or after the start date"
    }
    chosen = parse_filters(
        {"from": "2026-03-01", "to": "2026-03-31", "borough": "southwark", "referrer": ""}, today
    )
    assert chosen.as_args() == {"from": "2026-03-01", "to": "2026-03-31", "borough": "southwark"}


def test_api_turnaround_answers_as_design_says(client, db, history):
    response = client.get(
        "/api/v1/stats/turnaround?from=2026-03-01&to=2026-03-31&partner=nhs-falls-prevention",
        headers=bearer("manager", AS_OF),
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {
        "submissions",
        "referrals",
        "forwarding",
        "contact",
        "outcomes",
        "partners",
    }
    assert body["submissions"] == 2
    assert body["referrals"] == 2
    assert set(body["forwarding"]) == {
        "forwarded",
        "median_hours",
        "p90_hours",
        "due",
        "within_sla",
        "share_within_sla",
    }
    assert set(body["contact"]) == {
        "contacted",
        "median_days",
        "p90_days",
        "due",
        "within_sla",
        "share_within_sla",
    }
    assert body["outcomes"] == {"client_declined": 1}
    assert [row["partner"] for row in body["partners"]] == ["nhs-falls-prevention"]
    assert set(body["partners"][0]) == {"partner", "referrals", "forwarding", "contact"}


def test_api_turnaround_refuses_bad_input_and_other_roles(client, db, history):
    headers = bearer("manager", AS_OF)
    response = client.get("/api/v1/stats/turnaround?to=2026-03-31&partner=nobody", headers=headers)
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"from", "partner"}
    assert client.get("/api/v1/stats/turnaround?from=2026-03-01&to=2026-03-31").status_code == 401
    for role, status in (("hub", 200), ("partner", 403), ("frontline", 403)):
        answer = client.get(
            "/api/v1/stats/turnaround?from=2026-03-01&to=2026-03-31", headers=bearer(role, AS_OF)
        )
        assert answer.status_code == status, role


@pytest.mark.parametrize(
    "filters",
    [MARCH, Filters(MARCH.start, MARCH.end, borough="southwark")],
    ids=["march", "southwark"],
)
def test_the_api_answer_is_the_dashboards_headline(db, history, filters):
    """The API works out only what it answers; those numbers are the dashboard's own."""
    answer = report.turnaround(db.session, filters, AS_OF)
    shown = report.figures(db.session, filters, AS_OF)

    def without_overdue(block):
        return {key: value for key, value in block.items() if key != "overdue_open"}

    assert answer == {
        "submissions": shown["submissions"],
        "referrals": shown["referrals"],
        "forwarding": without_overdue(shown["forwarding"]),
        "contact": without_overdue(shown["contact"]),
        "outcomes": {row["code"]: row["count"] for row in shown["outcomes"]},
        "partners": [
            {
                "partner": row["partner"],
                "referrals": row["referrals"],
                "forwarding": without_overdue(row["forwarding"]),
                "contact": without_overdue(row["contact"]),
            }
            for row in shown["partners"]
        ],
    }
