"""Exports for evaluators: the managers' figures, and one pseudonymised row per referral, as CSV
or Excel (XLSX), each download recorded in ``export_audit``.

What a referral row leaves out, and why:
- names, addresses, phone numbers, email addresses, dates of birth and postcodes identify the
  client; in their place are a pseudonym (the same for the same person across questionnaires),
  an age band at the questionnaire and the postcode district (the outward code, "SE5");
- every free-text field (notes, reasons for declining or cancelling, contact attempts) may name
  or describe the client, so none is exported: the status and the times say what happened.

Rows are read in keyset pages of ``PAGE_SIZE`` referrals (never all at once); a CSV is written
as the pages arrive and an XLSX through openpyxl's write-only workbook into a temporary file.
Nothing here reads the clock: callers pass ``now``.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import aliased

from hub.clock import LONDON
from hub.extensions import db
from hub.figures import counts
from hub.figures.filters import Filters, referral_conditions
from hub.models import (
    WELLBEING_QUESTIONS,
    Client,
    ExportAudit,
    FollowUp,
    Organisation,
    Referral,
    Submission,
    User,
    WellbeingScore,
)

FIGURES = "figures"
REFERRALS = "referrals"
KINDS = (FIGURES, REFERRALS)
CSV = "csv"
XLSX = "xlsx"
FORMATS = (CSV, XLSX)
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
    """The outward code of a UK postcode: "SE5" from "SE5 8AB" (or "se58ab")."""
    compact = "".join((postcode or "").split()).upper()
    return compact[:-3] if len(compact) > 3 else ""


def filename(kind: str, filters: Filters, file_format: str) -> str:
    """``sail-referrals-2026-01-01-to-2026-12-31.csv``, with the other filters named in it."""
    parts = ["sail", kind, filters.start.isoformat(), "to", filters.end.isoformat()]
    for name in ("partner", "referrer", "borough", "question"):
        value = getattr(filters, name)
        if value:
            parts += [name, value]
    safe = "-".join(parts)
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in safe)
    return f"{safe}.{file_format}"


# --- Cells --------------------------------------------------------------------------------------

FORMULA_STARTS = frozenset("=+-@\t\r")


def csv_value(value: Any) -> Any:
    """A cell as CSV text: times as ISO 8601 UTC with Z, blanks empty, and text that a
    spreadsheet would take as a formula (=, +, -, @) with a leading apostrophe."""
    kind = type(value)
    if kind is datetime:
        return value.isoformat(sep="T", timespec="seconds") + "Z"
    if kind is str:
        return "'" + value if value[:1] in FORMULA_STARTS else value
    return value  # numbers as they are; csv writes None as an empty cell


def csv_chunks(
    header: list[str], rows: Iterable[list], cells: Callable[[list], list] | None = None
) -> Iterator[str]:
    """CSV text, some hundreds of rows at a time (for a streamed response). ``cells`` turns a
    row into CSV cells; by default each value goes through ``csv_value``."""
    cells = cells or (lambda row: [csv_value(value) for value in row])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for number, row in enumerate(rows, 1):
        writer.writerow(cells(row))
        if number % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _xlsx_row(sheet, row: list, bold: bool = False) -> list:
    """A row for a write-only sheet: plain values, except that text starting with "=" is made
    a text cell (openpyxl would write it as a formula) and a header is bold."""
    if bold:
        cells = [WriteOnlyCell(sheet, value=value) for value in row]
        for cell in cells:
            cell.font = Font(bold=True)
        return cells
    return [
        _text_cell(sheet, value) if type(value) is str and value[:1] == "=" else value
        for value in row
    ]


def _text_cell(sheet, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


XLSX_MAX_ROWS = 1_048_576  # rows on one Excel sheet, its header row included
# openpyxl writes some 1,500 referral rows a second (34 cells each), and the file must be whole
# before it is sent: more rows than this take longer than a web request should, so they go as
# CSV instead, which is streamed as it is read (some 20,000 rows a second).
XLSX_REFERRAL_LIMIT = 20_000


def write_xlsx(
    sheets: Iterable[tuple[str, list[str], Iterable[list]]],
    out: IO[bytes],
    max_rows: int = XLSX_MAX_ROWS,
) -> None:
    """A workbook of (title, header, rows) sheets, written row by row (openpyxl write-only).
    Rows beyond what one sheet holds go on to "Title 2", "Title 3" and so on, each with the
    header again."""
    workbook = Workbook(write_only=True)

    def new_sheet(title: str, header: list[str]):
        sheet = workbook.create_sheet(title=title[:31])
        sheet.freeze_panes = "A2"
        sheet.append(_xlsx_row(sheet, header, bold=True))
        return sheet

    for title, header, rows in sheets:
        sheet, number, written = new_sheet(title, header), 1, 1
        for row in rows:
            if written == max_rows:
                number += 1
                sheet, written = new_sheet(f"{title} {number}", header), 1
            sheet.append(_xlsx_row(sheet, row))
            written += 1
    workbook.save(out)


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
_TIME_INDEXES = [i for i, name in enumerate(REFERRAL_HEADER) if name.endswith("_at")]
_NUMBER_COLUMNS = {"hours_to_forward", "days_to_contact", *WELLBEING_COLUMNS}
_TEXT_INDEXES = [
    i
    for i, name in enumerate(REFERRAL_HEADER)
    if i not in _TIME_INDEXES and name not in _NUMBER_COLUMNS
]

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
        # Each page on its own short connection: a slow download holds no transaction open.
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


def _referral_csv_cells(row: list) -> list:
    """A referral row as CSV cells: the same as ``csv_value`` gives, column by known column."""
    for index in _TIME_INDEXES:
        value = row[index]
        if value is not None:
            row[index] = value.isoformat(sep="T", timespec="seconds") + "Z"
    for index in _TEXT_INDEXES:
        value = row[index]
        if value and value[0] in FORMULA_STARTS:
            row[index] = "'" + value
    return row


def referral_csv(
    filters: Filters, now: datetime, key: bytes, snapshot: ReferralSnapshot
) -> Iterator[str]:
    rows = referral_rows(filters, now, key, snapshot)
    return csv_chunks(REFERRAL_HEADER, rows, _referral_csv_cells)


def referral_xlsx(
    filters: Filters, now: datetime, key: bytes, snapshot: ReferralSnapshot, out: IO[bytes]
) -> None:
    write_xlsx([("Referrals", REFERRAL_HEADER, referral_rows(filters, now, key, snapshot))], out)


# --- Figures ------------------------------------------------------------------------------------

FIGURE_HEADER = ["section", "breakdown", "measure", "value"]
FIGURE_SECTIONS = (
    ("headline", "Headline"),
    ("monthly", "Monthly"),
    ("by_question", "By question"),
    ("by_partner", "By partner"),
    ("by_referrer", "By referrer"),
    ("by_borough", "By borough"),
    ("outcomes", "Outcomes"),
    ("declines", "Declines"),
    ("follow_ups", "Follow-ups"),
    ("wellbeing", "Wellbeing"),
)
SLA_MEASURES = ("due", "within_sla", "share_within_sla")
# A decline's reason is the partner's own words: one written only once or twice may name or
# describe the client, so only reasons given at least this often are named; the rest are summed.
DECLINE_REASON_MINIMUM = 3
RARE_REASONS = f"other reasons (each given fewer than {DECLINE_REASON_MINIMUM} times)"


def _sla_rows(section: str, breakdown: str, stage: str, figures: Mapping) -> list[tuple]:
    done = "forwarded" if stage == "forwarding" else "contacted"
    unit = "hours" if stage == "forwarding" else "days"
    measures = (done, f"median_{unit}", f"p90_{unit}", *SLA_MEASURES, "overdue_open")
    return [
        (section, breakdown, f"{stage}_{measure}", figures.get(measure))
        for measure in measures
        if measure in figures
    ]


def figure_rows(figures: Mapping) -> list[tuple]:
    """The figures of ``hub.figures.report.figures`` as tidy rows: (section, breakdown, measure,
    value).
    ``breakdown`` names the month, question, partner, referrer, borough, outcome or reason; it
    is blank for a figure of the whole filter."""
    rows: list[tuple] = [
        ("headline", "", "questionnaires", figures["submissions"]),
        ("headline", "", "referrals", figures["referrals"]),
        ("headline", "", "referrals_per_questionnaire", figures["flags_per_questionnaire"]),
        *_sla_rows("headline", "", "forwarding", figures["forwarding"]),
        *_sla_rows("headline", "", "contact", figures["contact"]),
    ]
    for month in figures["by_month"]:
        for measure in ("submissions", "referrals", "forwarding_share", "contact_share"):
            name = "questionnaires" if measure == "submissions" else measure
            rows.append(("monthly", month["month"], name, month[measure]))
    for question in figures["by_question"]:
        rows.append(("by_question", question["key"], "referrals", question["referrals"]))
    for partner in figures["partners"]:
        rows.append(("by_partner", partner["partner"], "referrals", partner["referrals"]))
        rows += _sla_rows("by_partner", partner["partner"], "forwarding", partner["forwarding"])
        rows += _sla_rows("by_partner", partner["partner"], "contact", partner["contact"])
        if "overdue_open" in partner:
            rows.append(("by_partner", partner["partner"], "overdue_open", partner["overdue_open"]))
    for section, key in (("by_referrer", "by_referrer"), ("by_borough", "by_borough")):
        for entry in figures.get(key, []):
            name = entry["slug"] or "not recorded"
            rows.append((section, name, "questionnaires", entry["submissions"]))
            rows.append((section, name, "referrals", entry["referrals"]))
    for outcome in figures["outcomes"]:
        rows.append(("outcomes", outcome["code"], "referrals", outcome["count"]))
    rare = 0
    for decline in figures["declines"]:
        if decline["count"] >= DECLINE_REASON_MINIMUM:
            rows.append(("declines", decline["reason"], "referrals", decline["count"]))
        else:
            rare += decline["count"]
    if rare:
        rows.append(("declines", RARE_REASONS, "referrals", rare))
    follow_ups = figures["follow_ups"]
    rows.append(("follow_ups", "", "recorded", follow_ups["recorded"]))
    for answer, count in follow_ups["needs_met"].items():
        rows.append(("follow_ups", f"needs met: {answer}", "questionnaires", count))
    wellbeing = figures["wellbeing"]
    rows.append(("wellbeing", "", "pairs", wellbeing["pairs"]))
    for question, change in (wellbeing.get("change") or {}).items():
        rows.append(("wellbeing", question, "mean_change", change))
    return rows


def figures_csv(figures: Mapping) -> tuple[int, Iterator[str]]:
    rows = figure_rows(figures)
    return len(rows), csv_chunks(FIGURE_HEADER, [list(row) for row in rows])


def figures_xlsx(figures: Mapping, out: IO[bytes]) -> int:
    """One sheet per section, each with a header row: (breakdown, measure, value)."""
    rows = figure_rows(figures)
    by_section: dict[str, list[list]] = {section: [] for section, _ in FIGURE_SECTIONS}
    for section, breakdown, measure, value in rows:
        by_section.setdefault(section, []).append([breakdown, measure, value])
    write_xlsx(
        [
            (title, ["breakdown", "measure", "value"], by_section[section])
            for section, title in FIGURE_SECTIONS
        ],
        out,
    )
    return len(rows)


# --- The audit ----------------------------------------------------------------------------------


def record_export(
    user: User, kind: str, file_format: str, filters: Filters, rows: int, now: datetime
) -> ExportAudit:
    """Who exported what, when, with which filter: in the caller's transaction."""
    if kind not in KINDS or file_format not in FORMATS:
        raise ValueError(f"unknown export {kind!r} as {file_format!r}")
    audit = ExportAudit(
        user_id=user.id,
        kind=kind,
        file_format=file_format,
        filters=filters.as_args(),
        rows=rows,
        created_at=now,
    )
    db.session.add(audit)
    return audit
