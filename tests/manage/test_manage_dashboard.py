"""The managers' dashboard at /manage: who may see it, the figures for a small history built by
hand (worked out here), a filter that narrows them, bad filter input, and the sortable
per-partner table.

The page reads the real clock, so the history lies in January and February 2026, long enough
ago that every deadline in it has passed; the page is asked for that period explicitly.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from html.parser import HTMLParser

import pytest

from hub.clock import in_london, utcnow
from hub.figures.filters import default_period
from hub.manage.dashboard import share_axis_start
from hub.referrals import lifecycle
from tests.factories import submit, user
from tests.support import page_text, referral_for

H = timedelta(hours=1)
D = timedelta(days=1)
PERIOD = "from=2026-01-01&to=2026-02-28"


class Tables(HTMLParser):
    """Every <table id=...> on a page as rows of cell texts, and each header's aria-sort."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.aria_sort: dict[str, str] = {}
        self._table = self._row = self._cell = None
        self._cell_attrs: dict = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "id" in attrs:
            self._table = self.tables.setdefault(attrs["id"], [])
        elif self._table is not None and tag == "tr":
            self._row = []
        elif self._row is not None and tag in ("td", "th"):
            self._cell, self._cell_attrs = [], attrs

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            text = re.sub(r"\s+", " ", "".join(self._cell)).strip()
            self._row.append(text)
            if self._cell_attrs.get("aria-sort"):
                self.aria_sort[text] = self._cell_attrs["aria-sort"]
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables_of(response) -> Tables:
    parser = Tables()
    parser.feed(response.get_data(as_text=True))
    return parser


@pytest.fixture
def history(db, demo_hub):
    """Three questionnaires; the comments give each referral's hours to forward and days to
    contact."""
    frontline, hub = user("frontline"), user("hub")
    # Before the period, never forwarded: not counted in the period's figures, but overdue now.
    before = submit(frontline, datetime(2025, 12, 31, 23, 0), yes=("smoke_alarms",))

    # S1 (January): fire safety forwarded in 2 h, contact in 3 days, closed as service
    # provided; falls forwarded in 30 h (a miss), contact in 20 days (a miss), closed as
    # client declined.
    s1 = submit(frontline, datetime(2026, 1, 5, 9, 0), yes=("smoke_alarms", "falls"))
    fire, falls = referral_for(s1, "smoke_alarms"), referral_for(s1, "falls")
    lifecycle.forward_referral(fire, hub, fire.received_at + 2 * H)
    lifecycle.record_contact(fire, None, fire.forwarded_at + 3 * D)
    lifecycle.close_referral(fire, None, fire.contacted_at + H, "service_provided")
    lifecycle.forward_referral(falls, hub, falls.received_at + 30 * H)
    lifecycle.record_contact(falls, None, falls.forwarded_at + 20 * D)
    lifecycle.close_referral(falls, None, falls.contacted_at + H, "client_declined")

    # S2 (February): fire safety forwarded in 4 h and never contacted (open and overdue: a
    # contact miss); befriending never forwarded (open and overdue: a forwarding miss).
    s2 = submit(frontline, datetime(2026, 2, 10, 10, 0), yes=("smoke_alarms", "lonely"))
    waiting_contact, waiting_forward = referral_for(s2, "smoke_alarms"), referral_for(s2, "lonely")
    lifecycle.forward_referral(waiting_contact, hub, waiting_contact.received_at + 4 * H)

    # S3 (February): falls forwarded in 10 h, declined two days later, before contact was due.
    s3 = submit(frontline, datetime(2026, 2, 20, 12, 0), yes=("falls",))
    declined = referral_for(s3, "falls")
    lifecycle.forward_referral(declined, hub, declined.received_at + 10 * H)
    lifecycle.decline_referral(declined, None, declined.forwarded_at + 2 * D, "Not in our area")
    db.session.commit()
    return {
        "fire_partner": fire.partner,
        "before_period": before.referrals[0].reference,
        "waiting_contact": (waiting_contact.id, waiting_contact.reference),
        "waiting_forward": (waiting_forward.id, waiting_forward.reference),
    }


# --- Who may see it ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "hub", "admin"])
def test_managers_hub_staff_and_admins_see_the_dashboard(client, sign_in_as, role):
    sign_in_as(role)
    response = client.get("/manage")
    assert response.status_code == 200
    assert "Turnaround and outcomes" in page_text(response)
    body = response.get_data(as_text=True)
    assert 'href="/manage"' in body  # the "Figures" link
    # Only managers and admins may export, so only they are offered the link.
    assert ("Download these figures" in body) == (role != "hub")


@pytest.mark.parametrize("role", ["frontline", "partner"])
def test_frontline_and_partner_staff_may_not(client, sign_in_as, role):
    sign_in_as(role)
    assert client.get("/manage").status_code == 403
    assert 'href="/manage"' not in client.get("/").get_data(as_text=True)


def test_a_signed_out_visitor_is_sent_to_sign_in(client, demo_hub):
    response = client.get(f"/manage?{PERIOD}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_a_manager_lands_on_the_dashboard(client, sign_in_as):
    sign_in_as("manager")
    assert client.get("/").headers["Location"] == "/manage"


# --- The figures ------------------------------------------------------------------------------


def test_the_figures_of_a_small_history(client, sign_in_as, history):
    sign_in_as("manager")
    response = client.get(f"/manage?{PERIOD}")
    assert response.status_code == 200
    text = page_text(response)

    assert "Referrals received from 1 January 2026 to 28 February 2026" in text
    # 3 questionnaires, 5 flags.
    assert "Questionnaires 3 " in text
    assert "Flags 5 " in text
    assert "Flags per questionnaire 1.7 " in text
    # Forwarded in 2, 4, 10 and 30 hours, and one never forwarded past its deadline (a miss):
    # 3 of 5 due on time. Median of 2, 4, 10, 30 is 7; the 90th percentile 10 + 0.7 × 20 = 24.
    assert "Forwarded within 24 hours 60% 3 of 5 referrals due so far." in text
    assert "Median time to forward 7.0 hours" in text
    assert "9 in 10 forwarded within 24.0 hours" in text
    # Contacted in 3 and 20 days, one open past its deadline (a miss); the declined one was
    # never due. Median 11.5, 90th percentile 3 + 0.9 × 17 = 18.3.
    assert "Contacted within 14 days 33% 1 of 3 referrals due so far." in text
    assert "Median time to contact 11.5 days" in text
    assert "9 in 10 contacted within 18.3 days" in text
    assert "Open and overdue 2 " in text
    assert "counts as a miss, so a partner cannot look better by not acting" in text

    tables = tables_of(response).tables
    assert tables["table-volumes"][1:] == [["January 2026", "1", "2"], ["February 2026", "2", "3"]]
    # January: forwarding 1 of 2, contact 1 of 2; February: forwarding 2 of 3, contact 0 of 1.
    assert tables["table-sla"][1:] == [
        ["January 2026", "50%", "50%"],
        ["February 2026", "67%", "0%"],
    ]
    assert sorted(tables["table-outcomes"][1:]) == [
        ["Client declined", "1"],
        ["Service provided", "1"],
    ]
    assert tables["table-declines"][1:] == [["Not in our area", "1"]]
    partners = {row[0]: row[1:] for row in tables["table-partners"][1:]}
    assert partners[history["fire_partner"].name] == [
        "2",
        "100% (2 of 2)",
        "50% (1 of 2)",
        "3.0 days",
        "1",
    ]
    assert partners["Age UK Befriending"][:3] == ["1", "0% (0 of 1)", "None due yet"]


def test_the_charts_carry_the_same_numbers_as_their_tables(client, sign_in_as, history):
    sign_in_as("manager")
    body = client.get(f"/manage?{PERIOD}").get_data(as_text=True)
    data = re.search(r'<script type="application/json" id="dashboard-charts">(.*?)</script>', body)
    charts = json.loads(data.group(1))
    assert charts["months"] == ["January 2026", "February 2026"]
    assert charts["submissions"] == [1, 2]
    assert charts["referrals"] == [2, 3]
    assert charts["forwarding_share"] == [50.0, 66.7]
    assert charts["contact_share"] == [50.0, 0.0]
    for chart in ("volumes", "sla", "outcomes"):
        assert f'<canvas id="chart-{chart}" aria-hidden="true">' in body
    assert "vendor/chart.umd.min.js" in body
    assert "manage.js" in body


def test_what_is_overdue_now_links_to_each_referral(client, sign_in_as, history):
    sign_in_as("manager")
    response = client.get(f"/manage?{PERIOD}")
    rows = tables_of(response).tables["table-overdue"][1:]
    forward_id, forward_ref = history["waiting_forward"]
    contact_id, contact_ref = history["waiting_contact"]
    # Whenever received (the period does not apply), longest overdue first: December's
    # unforwarded referral (due 1 January), then February's befriending referral (forwarding
    # due 11 February), then its fire safety referral (contact due 24 February).
    assert [row[0] for row in rows] == [history["before_period"], forward_ref, contact_ref]
    assert [row[2] for row in rows[1:]] == ["Forwarding", "Contact"]
    assert rows[1][3].startswith("11 Feb 2026, 10:00")  # UK time (GMT in February)
    body = response.get_data(as_text=True)
    assert f'href="/hub/referrals/{forward_id}">{forward_ref}<' in body
    assert f'href="/hub/referrals/{contact_id}">{contact_ref}<' in body


def test_a_partner_filter_narrows_the_figures(client, sign_in_as, history):
    sign_in_as("manager")
    fire = history["fire_partner"]
    response = client.get(f"/manage?{PERIOD}&partner={fire.slug}")
    assert response.status_code == 200
    text = page_text(response)
    assert f"partner: {fire.name}" in text
    assert "Flags 2 " in text
    assert "Forwarded within 24 hours 100% 2 of 2 referrals due so far." in text
    assert "Contacted within 14 days 50% 1 of 2 referrals due so far." in text
    body = response.get_data(as_text=True)
    assert f'<option value="{fire.slug}" selected>' in body
    exports = f"/manage/exports?from=2026-01-01&amp;to=2026-02-28&amp;partner={fire.slug}"
    assert f'href="{exports}">Download these figures or referral rows</a>' in body
    # Only the fire safety referrals are overdue now for this partner.
    overdue = tables_of(response).tables["table-overdue"][1:]
    assert [row[0] for row in overdue] == [
        history["before_period"],
        history["waiting_contact"][1],
    ]


def test_an_empty_period_says_so_without_failing(client, sign_in_as, history):
    sign_in_as("manager")
    response = client.get("/manage?from=2025-06-01&to=2025-06-30")
    assert response.status_code == 200
    text = page_text(response)
    assert "Questionnaires 0 " in text
    assert "Forwarded within 24 hours No data No referral was due to be forwarded yet." in text


def test_the_default_period_is_filled_in_and_said_truthfully(client, sign_in_as, history):
    sign_in_as("manager")
    today = in_london(utcnow()).date()
    start, end = default_period(today)
    assert start.day == 1 and end == today
    response = client.get("/manage")
    body = response.get_data(as_text=True)
    for field, day in (("from", start), ("to", end)):
        for part, value in (("day", day.day), ("month", day.month), ("year", day.year)):
            assert re.search(
                rf'id="{field}-{part}" name="{field}-{part}" type="text"[^>]* value="{value}"', body
            ), (field, part)
    words = f"{start.day} {start:%B %Y} to {end.day} {end:%B %Y}"
    assert f"the dates are {words} (this month so far and the 11 months before it)" in (
        page_text(response)
    )
    assert "last 12 months" not in body


def test_the_date_inputs_give_the_same_figures_as_the_dates_in_text(client, sign_in_as, history):
    sign_in_as("manager")
    typed = client.get(
        "/manage?from-day=1&from-month=1&from-year=2026&to-day=28&to-month=02&to-year=2026"
    )
    assert typed.status_code == 200
    assert "Referrals received from 1 January 2026 to 28 February 2026" in page_text(typed)
    assert tables_of(typed).tables == tables_of(client.get(f"/manage?{PERIOD}")).tables
    # The sort links carry the period as text, as bookmarks and other pages do.
    assert 'href="/manage?from=2026-01-01&amp;to=2026-02-28&amp;sort=referrals#partners"' in (
        typed.get_data(as_text=True)
    )


def test_the_contents_lead_to_each_section(client, sign_in_as, history):
    sign_in_as("manager")
    body = client.get(f"/manage?{PERIOD}").get_data(as_text=True)
    contents = body[
        body.index('<nav class="hub-contents"') : body.index("</nav>", body.index("hub-contents"))
    ]
    anchors = re.findall(r'href="#([a-z-]+)"', contents)
    assert anchors == [
        "filters",
        "headline",
        "months",
        "outcomes",
        "breakdowns",
        "declines",
        "follow-ups",
        "partners",
        "overdue",
    ]
    for anchor in anchors:
        assert f'id="{anchor}"' in body, anchor


def test_the_deadline_chart_axis_starts_a_little_below_the_lowest_share():
    assert share_axis_start([86.3, 96.0, None]) == 80
    assert share_axis_start([91.0, 99.5]) == 85
    assert share_axis_start([100.0]) == 95
    assert share_axis_start([4.0, 50.0]) == 0
    assert share_axis_start([None, None]) == 0


def test_the_page_says_where_the_deadline_axis_starts(client, sign_in_as, history):
    sign_in_as("manager")
    # January's shares are 50% and 50%: the axis starts at 45%.
    body = client.get("/manage?from=2026-01-01&to=2026-01-31").get_data(as_text=True)
    data = re.search(r'<script type="application/json" id="dashboard-charts">(.*?)</script>', body)
    assert json.loads(data.group(1))["share_axis_start"] == 45
    assert "The axis starts at 45%, not 0, so that the differences show." in body


# --- Bad input --------------------------------------------------------------------------------


def test_a_bad_date_shows_the_error_and_keeps_what_was_typed(client, sign_in_as, history):
    sign_in_as("manager")
    response = client.get(
        "/manage?from-day=31&from-month=2&from-year=2026&to-day=&to-month=3&to-year=2026"
        "&partner=nobody&sort=-referrals"
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    text = page_text(response)
    assert "<title>Error: " in body
    assert "There is a problem" in text
    assert '<a href="#from-day">The start date must be a real date, like 31 1 2026</a>' in body
    assert '<a href="#to-day">The end date must include a day</a>' in body
    assert '<a href="#partner">' in body
    assert re.search(r'id="from-day" name="from-day" type="text"[^>]* value="31"', body)
    assert re.search(r'id="to-month" name="to-month" type="text"[^>]* value="3"', body)
    assert "govuk-input--error" in body
    assert "Headline figures" not in text  # no figures for filters that mean nothing


def test_a_bad_date_in_text_is_refused_as_before(client, sign_in_as, history):
    sign_in_as("manager")
    response = client.get("/manage?from=2026-02-31&to=yesterday")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert '<a href="#from-day">Enter the start date as a real date, like 2026-01-31</a>' in body
    assert re.search(r'id="from-day" name="from-day" type="text"[^>]* value="31"', body)


def test_from_after_to_is_an_error_on_the_end_date(client, sign_in_as, history):
    sign_in_as("manager")
    response = client.get("/manage?from=2026-03-01&to=2026-02-01")
    assert response.status_code == 400
    assert '<a href="#to-day">The end date must be the same as or after the start date</a>' in (
        response.get_data(as_text=True)
    )


# --- Sorting ----------------------------------------------------------------------------------


def partner_names(response) -> list[str]:
    return [row[0] for row in tables_of(response).tables["table-partners"][1:]]


def test_the_partner_table_sorts_by_a_column_and_says_so(client, sign_in_as, history):
    sign_in_as("manager")
    by_name = client.get(f"/manage?{PERIOD}")
    names = partner_names(by_name)
    assert names == sorted(names, key=str.casefold)
    assert tables_of(by_name).aria_sort == {"Partner ▲": "ascending"}

    most = client.get(f"/manage?{PERIOD}&sort=-referrals")
    parsed = tables_of(most)
    counts = [int(row[1]) for row in parsed.tables["table-partners"][1:]]
    assert counts == sorted(counts, reverse=True)
    assert parsed.aria_sort == {"Referrals ▼": "descending"}

    # A share sorts ascending with the partners that have nothing due last.
    worst_first = tables_of(client.get(f"/manage?{PERIOD}&sort=contact"))
    shares = [row[3] for row in worst_first.tables["table-partners"][1:]]
    assert shares[0].startswith("0%")
    assert shares[-1] == "None due yet"


def test_sort_links_keep_the_filters_and_flip_the_direction(client, sign_in_as, history):
    sign_in_as("manager")
    body = client.get(f"/manage?{PERIOD}&sort=referrals").get_data(as_text=True)
    assert 'href="/manage?from=2026-01-01&amp;to=2026-02-28&amp;sort=-referrals#partners"' in body
    assert 'href="/manage?from=2026-01-01&amp;to=2026-02-28&amp;sort=partner#partners"' in body
    # The filter form keeps the sort too.
    assert '<input type="hidden" name="sort" value="referrals">' in body


def test_an_unknown_sort_falls_back_to_partner_names(client, sign_in_as, history):
    sign_in_as("manager")
    response = client.get(f"/manage?{PERIOD}&sort=nonsense")
    assert response.status_code == 200
    assert tables_of(response).aria_sort == {"Partner ▲": "ascending"}


def test_the_partner_table_names_the_hubs_own_sla(app, client, sign_in_as, history):
    app.config.update(HUB_FORWARD_SLA_HOURS=48, HUB_CONTACT_SLA_DAYS=10)
    sign_in_as("manager")
    header = tables_of(client.get(f"/manage?{PERIOD}")).tables["table-partners"][0]
    assert "Forwarded within 48 hours" in header
    assert "Contacted within 10 days" in header
