"""Exports for evaluators as files: the managers' figures, and the pseudonymised referral rows of
``hub.figures.export_rows``, as CSV or Excel (XLSX), each download recorded in ``export_audit``.

A CSV is written as the rows arrive and an XLSX through openpyxl's write-only workbook into a
temporary file. Nothing here reads the clock: callers pass ``now``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from hub import audit as trail
from hub.extensions import db
from hub.figures.export_rows import (
    REFERRAL_HEADER,
    WELLBEING_COLUMNS,
    ReferralSnapshot,
    referral_rows,
)
from hub.figures.filters import Filters
from hub.models import ExportAudit, User

FIGURES = "figures"
REFERRALS = "referrals"
KINDS = (FIGURES, REFERRALS)
CSV = "csv"
XLSX = "xlsx"
FORMATS = (CSV, XLSX)


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


# --- Referral rows as files ---------------------------------------------------------------------

_TIME_INDEXES = [i for i, name in enumerate(REFERRAL_HEADER) if name.endswith("_at")]
_NUMBER_COLUMNS = {"hours_to_forward", "days_to_contact", *WELLBEING_COLUMNS}
_TEXT_INDEXES = [
    i
    for i, name in enumerate(REFERRAL_HEADER)
    if i not in _TIME_INDEXES and name not in _NUMBER_COLUMNS
]


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
    # By the code of the reason chosen from the list, never the partner's words (which may
    # name the client).
    for decline in figures["declines"]:
        rows.append(("declines", decline["code"], "referrals", decline["count"]))
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
    trail.record(
        user,
        "exported",
        now,
        subject=f"{kind} as {file_format}",
        details={"filters": filters.as_args(), "rows": rows},
    )
    return audit
