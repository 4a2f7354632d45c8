"""Exports for evaluators (hub/figures/export_rows.py, hub/figures/exports.py and /manage/exports):
pseudonymised referral rows and the figures, as CSV and XLSX, audited; only managers and admins
may export."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import select

from hub.figures import export_rows, exports, report
from hub.figures.filters import Filters
from hub.models import ExportAudit
from hub.referrals import lifecycle
from tests.factories import submit, user

# The figures' SQL differs between SQLite and PostgreSQL (dates, durations, medians).
pytestmark = pytest.mark.both_databases

JAN = datetime(2026, 1, 10, 10, 0)
FEB = datetime(2026, 2, 1, 11, 0)
FEB_LATER = datetime(2026, 2, 10, 12, 0)
KEY = b"test-pseudonym-key"


YEAR = Filters(date(2025, 12, 1), date(2026, 3, 2))


# --- Pure parts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "day", "band"),
    [
        (date(1980, 1, 1), date(2026, 1, 1), "under 50"),
        (date(1976, 1, 2), date(2026, 1, 1), "under 50"),  # 49, its 50th birthday tomorrow
        (date(1976, 1, 1), date(2026, 1, 1), "50-54"),
        (date(1957, 3, 2), date(2026, 3, 1), "65-69"),  # 68
        (date(1957, 3, 1), date(2026, 3, 1), "65-69"),  # 69 today
        (date(1956, 3, 1), date(2026, 3, 1), "70-74"),
        (date(1936, 3, 2), date(2026, 3, 1), "85-89"),
        (date(1936, 3, 1), date(2026, 3, 1), "90+"),
        (date(1920, 2, 29), date(2026, 3, 1), "90+"),
    ],
)
def test_age_bands(born, day, band):
    assert export_rows.age_band(born, day) == band


def test_the_bands_cover_every_age_once():
    assert export_rows.AGE_BANDS == (
        "under 50", "50-54", "55-59", "60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90+",
    )  # fmt: skip
    seen = {export_rows.age_band(date(1900, 6, 1), date(1900 + age, 6, 1)) for age in range(0, 110)}
    assert seen == set(export_rows.AGE_BANDS)


@pytest.mark.parametrize(
    ("postcode", "district"),
    [
        ("SE5 8AB", "SE5"),
        ("sw1a1aa", "SW1A"),
        ("N1 9GU", "N1"),
        ("EC1A 1BB", "EC1A"),
        ("", ""),
        # What retention keeps of a postcode: the district alone.
        ("SE5", "SE5"),
        ("SW1A", "SW1A"),
        ("N1", "N1"),
    ],
)
def test_postcode_district_is_the_outward_code(postcode, district):
    assert export_rows.postcode_district(postcode) == district


def test_pseudonyms_are_stable_short_and_need_the_key():
    one = export_rows.pseudonym("edna|clarke|1941-05-17", KEY)
    assert one == export_rows.pseudonym("edna|clarke|1941-05-17", KEY)
    assert one.startswith("C-") and len(one) == 2 + 16
    assert one != export_rows.pseudonym("edna|clarke|1941-05-18", KEY)
    assert one != export_rows.pseudonym("edna|clarke|1941-05-17", b"another key")


def test_the_pseudonym_key_comes_from_its_setting_or_else_from_the_secret_key():
    own = export_rows.pseudonym_key({"HUB_PSEUDONYM_KEY": "own", "SECRET_KEY": "s"})
    assert own == b"own"
    derived = export_rows.pseudonym_key({"HUB_PSEUDONYM_KEY": None, "SECRET_KEY": "s"})
    assert derived not in (b"s", b"own") and len(derived) == 32
    assert derived == export_rows.pseudonym_key({"SECRET_KEY": "s"})
    assert derived != export_rows.pseudonym_key({"SECRET_KEY": "t"})


def test_csv_cells_that_look_like_formulas_are_made_text():
    lines = "".join(exports.csv_chunks(["a", "b"], [["=1+1", 5], ["@SUM(A1)", -3], ["+x", "-y"]]))
    assert list(csv.reader(io.StringIO(lines))) == [
        ["a", "b"],
        ["'=1+1", "5"],
        ["'@SUM(A1)", "-3"],  # numbers stay numbers
        ["'+x", "'-y"],
    ]


def test_file_names_say_what_and_which_filter():
    assert (
        exports.filename("referrals", YEAR, "csv") == "sail-referrals-2025-12-01-to-2026-03-02.csv"
    )
    narrowed = Filters(date(2026, 1, 1), date(2026, 12, 31), borough="southwark")
    assert (
        exports.filename("figures", narrowed, "xlsx")
        == "sail-figures-2026-01-01-to-2026-12-31-borough-southwark.xlsx"
    )


# --- Referral rows from a small history ---------------------------------------------------------


@pytest.fixture
def history(db, demo_hub, now):
    """Edna twice (the second time her name typed in other cases), Albert once.

    - Edna, 10 January: smoke alarms forwarded after 2 hours, contacted 3 days later, closed;
      falls never forwarded (overdue open: a miss).
    - Edna, 1 February: lonely, forwarded after 30 hours (late), never contacted (a miss).
    - Albert, 10 February, Southwark: scams, cancelled before forwarding.
    """
    frontline, hub = user("frontline"), user("hub")
    first = submit(frontline, JAN, yes=("smoke_alarms", "falls"))
    smoke, falls = first.referrals
    lifecycle.forward_referral(smoke, hub, JAN + timedelta(hours=2))
    lifecycle.record_contact(smoke, hub, JAN + timedelta(days=3, hours=2))
    lifecycle.close_referral(smoke, hub, JAN + timedelta(days=4), "service_provided")
    second = submit(
        frontline,
        FEB,
        yes=("lonely",),
        given_name="EDNA",
        family_name="clarke ",
        phone="020 7946 0999",
    )
    (lonely,) = second.referrals
    lifecycle.forward_referral(lonely, hub, FEB + timedelta(hours=30))
    albert = submit(
        frontline,
        FEB_LATER,
        yes=("scams",),
        given_name="Albert",
        family_name="Moss",
        date_of_birth="1935-02-11",
        address="4 Camberwell Grove, London",
        postcode="se5 8ab",
        borough="southwark",
        phone="020 7946 0456",
        email="albert.moss@example.org",
    )
    (scams,) = albert.referrals
    lifecycle.cancel_referral(scams, hub, FEB_LATER + timedelta(hours=1), "Client changed mind")
    db.session.commit()
    return {"smoke": smoke, "falls": falls, "lonely": lonely, "scams": scams}


def rows_of(filters, now) -> list[dict]:
    snapshot = export_rows.referral_snapshot(filters)
    text = "".join(exports.referral_csv(filters, now, KEY, snapshot))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == snapshot.rows
    return rows


@pytest.mark.committed  # the rows are read a page at a time, each on its own connection
def test_one_pseudonymised_row_per_referral(db, history, now):
    rows = {row["referral"]: row for row in rows_of(YEAR, now)}
    smoke, falls, lonely, scams = (rows[history[name].reference] for name in history)
    assert list(rows) == [history[name].reference for name in ("smoke", "falls", "lonely", "scams")]

    # The same person in two questionnaires, another person: two pseudonyms.
    assert smoke["client"] == falls["client"] == lonely["client"]
    assert scams["client"] != smoke["client"]
    assert smoke["client"].startswith("C-")
    assert smoke["questionnaire"] == falls["questionnaire"] != lonely["questionnaire"]

    # Edna (17 May 1941) is 84 in January and February 2026; Albert turned 91 on 11 February
    # 2026, the day after his questionnaire, so he was 90.
    assert {smoke["age_band"], lonely["age_band"], scams["age_band"]} == {"80-84", "90+"}
    assert scams["age_band"] == "90+"
    assert (smoke["postcode_district"], scams["postcode_district"]) == ("SW2", "SE5")
    assert (smoke["borough"], scams["borough"]) == ("lambeth", "southwark")
    assert smoke["referrer"] == user("frontline").organisation.slug
    assert (smoke["question"], smoke["partner"]) == ("smoke_alarms", history["smoke"].partner.slug)

    assert smoke["status"] == "closed" and smoke["outcome"] == "service_provided"
    assert smoke["received_at"] == "2026-01-10T10:00:00Z"
    assert smoke["forwarded_at"] == "2026-01-10T12:00:00Z"
    assert smoke["contacted_at"] == "2026-01-13T12:00:00Z"
    assert (smoke["hours_to_forward"], smoke["days_to_contact"]) == ("2.0", "3.0")
    assert (smoke["forwarded_within_sla"], smoke["contacted_within_sla"]) == ("yes", "yes")

    assert falls["status"] == "received" and falls["forwarded_at"] == ""
    assert (falls["forwarded_within_sla"], falls["contacted_within_sla"]) == ("no", "")

    # Forwarded late on 2 February, never contacted: its 14 days ended on 16 February.
    assert lonely["hours_to_forward"] == "30.0"
    assert (lonely["forwarded_within_sla"], lonely["contacted_within_sla"]) == ("no", "no")

    assert scams["status"] == "cancelled" and scams["cancelled_at"] == "2026-02-10T13:00:00Z"
    assert (scams["forwarded_within_sla"], scams["contacted_within_sla"]) == ("", "")


@pytest.mark.committed  # the rows are read a page at a time, each on its own connection
def test_contact_is_not_due_before_its_deadline(db, history, now):
    before = FEB + timedelta(days=3)
    rows = {row["referral"]: row for row in rows_of(YEAR, before)}
    assert rows[history["lonely"].reference]["contacted_within_sla"] == ""


@pytest.mark.committed  # the rows are read a page at a time, each on its own connection
def test_filters_narrow_the_rows(db, history, now):
    february = Filters(date(2026, 2, 1), date(2026, 2, 28))
    assert [row["question"] for row in rows_of(february, now)] == ["lonely", "scams"]
    southwark = Filters(YEAR.start, YEAR.end, borough="southwark")
    assert [row["question"] for row in rows_of(southwark, now)] == ["scams"]
    falls = Filters(YEAR.start, YEAR.end, question="falls")
    assert [row["question"] for row in rows_of(falls, now)] == ["falls"]
    partner = Filters(YEAR.start, YEAR.end, partner=history["smoke"].partner.slug)
    assert [row["question"] for row in rows_of(partner, now)] == ["smoke_alarms"]
    referrer = Filters(YEAR.start, YEAR.end, referrer="nobody-at-all")
    assert rows_of(referrer, now) == []


@pytest.mark.committed  # the rows are read a page at a time, each on its own connection
def test_the_period_is_london_dates_inclusive(db, demo_hub, now):
    # 23:30 UTC on 31 May is 00:30 on 1 June in London (summer time).
    submit(user("frontline"), datetime(2026, 5, 31, 23, 30), yes=("lonely",))
    db.session.commit()
    assert rows_of(Filters(date(2026, 6, 1), date(2026, 6, 1)), now)
    assert rows_of(Filters(date(2026, 5, 1), date(2026, 5, 31)), now) == []


@pytest.mark.committed  # the rows are read a page at a time, each on its own connection
def test_rows_are_read_in_pages(db, history, now):
    snapshot = export_rows.referral_snapshot(YEAR)
    paged = list(export_rows.referral_rows(YEAR, now, KEY, snapshot, page_size=1))
    whole = list(export_rows.referral_rows(YEAR, now, KEY, snapshot))
    assert paged == whole and len(whole) == 4


@pytest.mark.committed  # the rows are read a page at a time, each on its own connection
def test_referrals_received_after_the_count_are_left_out(db, history, now):
    snapshot = export_rows.referral_snapshot(YEAR)
    submit(user("frontline"), FEB_LATER, yes=("memory",))
    db.session.commit()
    rows = list(export_rows.referral_rows(YEAR, now, KEY, snapshot))
    assert len(rows) == snapshot.rows == 4


PERSONAL = (
    "Edna", "EDNA", "Clarke", "Albert", "Moss", "Acre Lane", "Camberwell", "SW2 5SG", "SE5 8AB",
    "SW25SG", "SE58AB", "020 7946", "+44", "7946", "albert.moss", "example.org", "1941-05-17",
    "1935-02-11", "1941", "1935", "Mornings", "Client changed mind",
)  # fmt: skip


@pytest.mark.committed  # the rows are read a page at a time, each on its own connection
def test_no_personal_details_in_either_format(db, history, now, tmp_path):
    snapshot = export_rows.referral_snapshot(YEAR)
    text = "".join(exports.referral_csv(YEAR, now, KEY, snapshot))
    path = tmp_path / "rows.xlsx"
    with path.open("wb") as out:
        exports.referral_xlsx(YEAR, now, KEY, snapshot, out)
    workbook = openpyxl.load_workbook(path, read_only=True)
    cells = " ".join(
        str(value) for row in workbook["Referrals"].iter_rows(values_only=True) for value in row
    )
    for found in (text, cells):
        for personal in PERSONAL:
            assert personal.casefold() not in found.casefold(), personal


@pytest.mark.committed  # the rows are read a page at a time, each on its own connection
def test_xlsx_rows_match_the_csv(db, history, now, tmp_path):
    snapshot = export_rows.referral_snapshot(YEAR)
    path = tmp_path / "rows.xlsx"
    with path.open("wb") as out:
        exports.referral_xlsx(YEAR, now, KEY, snapshot, out)
    sheet = openpyxl.load_workbook(path, read_only=True)["Referrals"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == export_rows.REFERRAL_HEADER
    assert len(rows) == 1 + 4
    first = dict(zip(rows[0], rows[1], strict=False))  # trailing blank cells are not stored
    assert first["received_at"] == JAN  # a real date and time (UTC) in Excel
    assert first["hours_to_forward"] == 2.0


@pytest.mark.committed  # the rows are read a page at a time, each on its own connection
def test_follow_up_and_wellbeing_columns(db, history, now):
    from hub.referrals import follow_ups

    submission = history["smoke"].submission
    scores = {"life_satisfaction": 5, "worthwhile": 6, "happy": 4, "anxious": 7}
    follow_ups.record_wellbeing(submission, "questionnaire", scores, user("hub"), JAN)
    follow_ups.record_follow_up(
        submission,
        user("hub"),
        JAN + timedelta(days=28),
        "partly",
        [],
        "Lovely lady, talked about her son",
        {"life_satisfaction": 7, "worthwhile": 7, "happy": 6, "anxious": 3},
    )
    db.session.commit()
    rows = {row["referral"]: row for row in rows_of(YEAR, now)}
    smoke = rows[history["smoke"].reference]
    assert smoke["follow_up_needs_met"] == "partly"
    assert smoke["wellbeing_questionnaire_happy"] == "4"
    assert smoke["wellbeing_follow_up_anxious"] == "3"
    assert rows[history["lonely"].reference]["follow_up_needs_met"] == ""
    assert "son" not in " ".join(" ".join(row.values()) for row in rows.values())


def test_an_export_is_recorded(db, demo_hub, now):
    manager = user("manager")
    exports.record_export(manager, "referrals", "csv", YEAR, 4, now)
    db.session.commit()
    audit = db.session.scalar(select(ExportAudit))
    assert (audit.user_id, audit.kind, audit.file_format, audit.rows, audit.created_at) == (
        manager.id,
        "referrals",
        "csv",
        4,
        now,
    )
    assert audit.filters == {"from": "2025-12-01", "to": "2026-03-02"}
    with pytest.raises(ValueError):
        exports.record_export(manager, "everything", "csv", YEAR, 0, now)


# --- Figures --------------------------------------------------------------------------------------


def test_figures_as_tidy_rows(db, history, now):
    figures = report.figures(db.session, YEAR, now)
    rows = exports.figure_rows(figures)
    assert all(len(row) == 4 for row in rows)
    by_key = {(section, breakdown, measure): value for section, breakdown, measure, value in rows}
    assert by_key[("headline", "", "questionnaires")] == 3
    assert by_key[("headline", "", "referrals")] == 4
    assert by_key[("headline", "", "forwarding_forwarded")] == 2
    assert by_key[("monthly", "2026-02", "referrals")] == 2
    assert by_key[("by_question", "falls", "referrals")] == 1
    assert by_key[("by_borough", "southwark", "referrals")] == 1
    assert by_key[("outcomes", "service_provided", "referrals")] == 1
    assert {section for section, *_ in rows} >= {
        "headline", "monthly", "by_question", "by_partner", "outcomes", "follow_ups", "wellbeing",
    }  # fmt: skip


def test_decline_reasons_given_rarely_are_not_named():
    figures = {
        "submissions": 0, "referrals": 0, "flags_per_questionnaire": None,
        "forwarding": {}, "contact": {}, "by_month": [], "by_question": [], "partners": [],
        "outcomes": [], "follow_ups": {"recorded": 0, "needs_met": {}},
        "wellbeing": {"pairs": 0, "change": None},
        "declines": [
            {"reason": "Outside our area", "count": 3},
            {"reason": "Mrs Clarke's son already helps", "count": 1},
            {"reason": "Already a client", "count": 2},
        ],
    }  # fmt: skip
    declines = [row for row in exports.figure_rows(figures) if row[0] == "declines"]
    assert declines == [
        ("declines", "Outside our area", "referrals", 3),
        ("declines", exports.RARE_REASONS, "referrals", 3),
    ]


# --- The page and the downloads -------------------------------------------------------------------

PAGE = "/manage/exports"
PERIOD = "?from=2025-12-01&to=2026-03-02"


@pytest.mark.parametrize("role", ["hub", "frontline", "partner"])
def test_only_managers_and_admins_may_export(client, sign_in_as, db, role):
    sign_in_as(role)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, data={"kind": "referrals", "file_format": "csv"}).status_code == 403
    assert db.session.scalar(select(ExportAudit)) is None


def test_signed_out_goes_to_sign_in(client, demo_hub):
    assert client.get(PAGE).status_code == 302


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_the_page_shows_the_filter_and_the_form(client, sign_in_as, history, role):
    sign_in_as(role)
    response = client.get(PAGE + PERIOD + "&borough=southwark")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "1 December 2025 to 2 March 2026" in page
    assert "Borough: Southwark" in page
    assert "That is 1 referral." in page
    assert 'name="kind"' in page and 'name="file_format"' in page
    assert (
        'action="/manage/exports?from=2025-12-01&amp;to=2026-03-02&amp;borough=southwark"' in page
    )
    assert "Age on the day of the questionnaire" in page and "90+" in page


def download(client, kind, file_format, query=PERIOD):
    return client.post(PAGE + query, data={"kind": kind, "file_format": file_format})


@pytest.mark.committed  # the rows are read a page at a time, each on its own connection
def test_referral_rows_as_csv(client, sign_in_as, history, db, now):
    sign_in_as("manager")
    response = download(client, "referrals", "csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="sail-referrals-2025-12-01-to-2026-03-02.csv"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data()
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert [row["referral"] for row in rows] == [
        history[name].reference for name in ("smoke", "falls", "lonely", "scams")
    ]
    assert len({row["client"] for row in rows}) == 2
    for personal in PERSONAL:
        assert personal.lower().encode() not in body.lower(), personal

    audit = db.session.scalar(select(ExportAudit))
    assert (audit.user_id, audit.kind, audit.file_format, audit.rows) == (
        user("manager").id,
        "referrals",
        "csv",
        4,
    )
    assert audit.filters == {"from": "2025-12-01", "to": "2026-03-02"}
    assert audit.created_at is not None


@pytest.mark.committed  # the rows are read a page at a time, each on its own connection
def test_the_filter_narrows_the_download_and_is_recorded(client, sign_in_as, history, db):
    sign_in_as("admin")
    response = download(client, "referrals", "csv", PERIOD + "&borough=southwark")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(row["question"], row["age_band"], row["postcode_district"]) for row in rows] == [
        ("scams", "90+", "SE5")
    ]
    audit = db.session.scalar(select(ExportAudit))
    assert audit.filters == {"from": "2025-12-01", "to": "2026-03-02", "borough": "southwark"}
    assert audit.rows == 1


def exports_mimetype():
    from hub.manage.export_views import XLSX_MIMETYPE

    return XLSX_MIMETYPE


def test_figures_as_csv_and_xlsx(client, sign_in_as, history, db, tmp_path):
    sign_in_as("manager")
    response = download(client, "figures", "csv")
    assert response.status_code == 200
    assert "sail-figures-2025-12-01-to-2026-03-02.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["section", "breakdown", "measure", "value"]
    assert ["headline", "", "referrals", "4"] in rows

    response = download(client, "figures", "xlsx")
    path = tmp_path / "figures.xlsx"
    path.write_bytes(response.get_data())
    workbook = openpyxl.load_workbook(path, read_only=True)
    assert workbook.sheetnames == [title for _, title in exports.FIGURE_SECTIONS]
    headline = list(workbook["Headline"].iter_rows(values_only=True))
    assert headline[0] == ("breakdown", "measure", "value")
    assert (None, "referrals", 4) in headline

    audits = db.session.scalars(select(ExportAudit).order_by(ExportAudit.id)).all()
    assert [(a.kind, a.file_format, a.rows) for a in audits] == [
        ("figures", "csv", len(rows) - 1),
        ("figures", "xlsx", len(rows) - 1),
    ]


@pytest.mark.parametrize(
    "query",
    ["?from=2026-13-01", "?from=2026-03-01&to=2026-01-01", "?partner=not-a-partner"],
)
def test_a_bad_filter_is_refused_and_nothing_is_recorded(client, sign_in_as, history, db, query):
    sign_in_as("manager")
    page = client.get(PAGE + query)
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "There is a problem" in text and "govuk-error-summary" in text
    assert 'name="kind"' not in text  # no download form without a good filter
    refused = download(client, "referrals", "csv", query)
    assert refused.status_code == 400
    assert "There is a problem" in refused.get_data(as_text=True)
    assert db.session.scalar(select(ExportAudit)) is None


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"kind": "referrals"},
        {"kind": "everything", "file_format": "csv"},
        {"file_format": "pdf"},
    ],
)
def test_a_download_needs_a_choice(client, sign_in_as, history, db, data):
    sign_in_as("manager")
    response = client.post(PAGE + PERIOD, data=data)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "There is a problem" in text
    assert "Not a valid choice" not in text
    assert db.session.scalar(select(ExportAudit)) is None


@pytest.mark.committed  # the rows are read a page at a time, each on its own connection
@pytest.mark.parametrize("moment", [FEB + timedelta(days=3), datetime(2026, 3, 2, 9, 0)])
def test_the_rows_add_up_to_the_figures(db, history, moment):
    figures = report.figures(db.session, YEAR, moment)
    rows = rows_of(YEAR, moment)
    for stage, column in (
        ("forwarding", "forwarded_within_sla"),
        ("contact", "contacted_within_sla"),
    ):
        answers = [row[column] for row in rows]
        assert answers.count("yes") + answers.count("no") == figures[stage]["due"], stage
        assert answers.count("yes") == figures[stage]["within_sla"], stage
    assert len(rows) == figures["referrals"]


def test_xlsx_text_is_never_a_formula_and_long_sheets_continue(tmp_path):
    path = tmp_path / "book.xlsx"
    rows = [['=HYPERLINK("http://x")', 1], ["plain", 2], ["more", 3], ["last", 4]]
    with path.open("wb") as out:
        exports.write_xlsx([("Rows", ["text", "number"], rows)], out, max_rows=3)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Rows", "Rows 2"]
    first = list(workbook["Rows"].iter_rows(values_only=True))
    assert first == [("text", "number"), ('=HYPERLINK("http://x")', 1), ("plain", 2)]
    assert workbook["Rows"]["A2"].data_type == "s"
    assert list(workbook["Rows 2"].iter_rows(values_only=True)) == [
        ("text", "number"),
        ("more", 3),
        ("last", 4),
    ]


@pytest.mark.committed  # the rows are read a page at a time, each on its own connection
def test_too_many_rows_for_excel_are_refused(client, sign_in_as, history, db, monkeypatch):
    monkeypatch.setattr(exports, "XLSX_REFERRAL_LIMIT", 3)
    sign_in_as("manager")
    response = download(client, "referrals", "xlsx")
    assert response.status_code == 400
    assert "An Excel file holds up to 3 referral rows and this filter has 4" in response.get_data(
        as_text=True
    )
    assert db.session.scalar(select(ExportAudit)) is None
    assert download(client, "referrals", "csv").status_code == 200
