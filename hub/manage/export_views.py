"""Exports of the figures and of pseudonymised referral rows, audited (``/manage/exports``).

The page takes the dashboard's filter (``from``, ``to``, ``partner``, ``referrer``, ``borough``,
``question``) from the query string; the download form posts back to the same address, so the
filter travels with it. A download is recorded in ``export_audit`` and committed before the file
goes out; a refused request (bad filter, no choice made) records nothing. The referral rows as
Excel are built in the background instead (``hub.figures.export_jobs``): the page then shows
the job's progress, and its download is recorded in the same way.
"""

from __future__ import annotations

import io
import tempfile

from flask import (
    Response,
    abort,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from wtforms import RadioField, SelectChoice
from wtforms.validators import InputRequired

from hub.auth.access import acting_user, roles_required
from hub.clock import in_london, utcnow
from hub.extensions import db
from hub.figures import export_jobs, export_rows, exports, report
from hub.figures.filters import (
    FilterError,
    Filters,
    default_period_words,
    filter_choices,
    parse_filters,
    shown_dates,
)
from hub.filters import london_date
from hub.forms import HubForm
from hub.manage import manage

EXPORTERS = ("manager", "admin")
DATE_ANCHOR = {"from": "-day", "to": "-day"}  # an error on a date leads to its day box
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportForm(HubForm):
    kind = RadioField(
        "What do you want to download?",
        choices=[
            SelectChoice(exports.REFERRALS, "Referral rows: one for each referral, pseudonymised"),
            SelectChoice(exports.FIGURES, "Figures: the dashboard’s figures as a table"),
        ],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select what you want to download")],
    )
    file_format = RadioField(
        "Which format?",
        description=f"An Excel file holds up to {exports.XLSX_REFERRAL_LIMIT:,} referral rows; "
        "CSV has no limit.",
        choices=[
            SelectChoice(exports.XLSX, "Excel (XLSX)"),
            SelectChoice(exports.CSV, "CSV (comma-separated values)"),
        ],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select a format: Excel or CSV")],
    )

    def pre_validate_messages(self) -> None:
        """A value that is not one of the choices says what to do, like a missing one."""
        for field, message in (
            (self.kind, "Select what you want to download"),
            (self.file_format, "Select a format: Excel or CSV"),
        ):
            if field.errors:
                field.errors = [message]


@manage.route("/exports", methods=["GET", "POST"], endpoint="exports")
@roles_required(*EXPORTERS)
def exports_page():
    now = utcnow()
    form = ExportForm()
    try:
        filters = parse_filters(request.args, in_london(now).date())
    except FilterError as error:
        return _page(form, None, error.errors, status=400)
    if request.method == "POST":
        if not form.validate():
            form.pre_validate_messages()
            return _page(form, filters, {}, status=400)
        if form.kind.data == exports.REFERRALS and form.file_format.data == exports.XLSX:
            rows = export_rows.referral_snapshot(filters).rows
            if rows > exports.XLSX_REFERRAL_LIMIT:
                form.file_format.errors = [
                    f"An Excel file holds up to {exports.XLSX_REFERRAL_LIMIT:,} referral rows "
                    f"and this filter has {rows:,}: choose CSV, or fewer referrals"
                ]
                return _page(form, filters, {}, status=400)
        if export_jobs.in_background(form.kind.data, form.file_format.data):
            return _in_background(form.kind.data, form.file_format.data, filters, now)
        return _download(form.kind.data, form.file_format.data, filters, now)
    return _page(form, filters, {})


def _page(form: ExportForm, filters: Filters | None, errors: dict, status: int = 200):
    choices = filter_choices(db.session)
    today = in_london(utcnow()).date()
    return (
        render_template(
            "manage/exports.html",
            form=form,
            filters=filters,
            in_words=describe(filters, choices) if filters else [],
            referral_rows=export_rows.referral_snapshot(filters).rows if filters else None,
            errors=errors,
            values=request.args,
            dates=shown_dates(request.args, filters, today),
            default_words=default_period_words(today),
            choices=choices,
            columns=export_rows.REFERRAL_COLUMNS,
            age_bands=export_rows.AGE_BANDS,
            decline_reason_minimum=exports.DECLINE_REASON_MINIMUM,
            error_list=[
                {"text": message, "href": f"#{field}{DATE_ANCHOR.get(field, '')}"}
                for field, message in errors.items()
            ],
        ),
        status,
    )


def describe(filters: Filters, choices: dict) -> list[str]:
    """The filter in words, one line each: the period first, then any narrowing."""
    lines = [
        f"Referrals the hub received from {london_date(filters.start)} to "
        f"{london_date(filters.end)}, both days included (UK time)"
    ]
    for name, words in (
        ("partner", "Partner: {}"),
        ("referrer", "Referrer organisation: {}"),
        ("borough", "Borough: {}"),
        ("question", "Question: {}"),
    ):
        value = getattr(filters, name)
        if value:
            label = dict(choices[name + "s"]).get(value, value)
            lines.append(words.format(label))
    return lines


def _download(kind: str, file_format: str, filters: Filters, now):
    """Record the export, commit, then send the file: a CSV streamed as it is written, an XLSX
    written to a temporary file first (and recorded only once it is written)."""
    if kind == exports.REFERRALS:
        snapshot = export_rows.referral_snapshot(filters)
        key = export_rows.pseudonym_key(current_app.config)
        rows = snapshot.rows
        if file_format == exports.CSV:
            chunks = exports.referral_csv(filters, now, key, snapshot)
        else:

            def write(out):
                exports.referral_xlsx(filters, now, key, snapshot, out)
    else:
        figures = report.figures(db.session, filters, now)
        if file_format == exports.CSV:
            rows, chunks = exports.figures_csv(figures)
        else:

            def write(out):
                return exports.figures_xlsx(figures, out)

            rows = len(exports.figure_rows(figures))

    name = exports.filename(kind, filters, file_format)
    if file_format == exports.CSV:
        _record(kind, file_format, filters, rows, now)
        response = Response(stream_with_context(chunks), mimetype="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return _private(response)
    out = tempfile.TemporaryFile()  # noqa: SIM115  (send_file closes it once sent)
    write(out)
    _record(kind, file_format, filters, rows, now)
    out.seek(0)
    return _private(send_file(out, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=name))


def _in_background(kind: str, file_format: str, filters: Filters, now):
    """Ask for the file, commit (so a restart loses nothing), start building it, and show its
    progress."""
    job = export_jobs.ask(acting_user(), kind, file_format, filters, now)
    db.session.commit()
    export_jobs.start_thread(current_app._get_current_object(), job.id)
    return redirect(url_for("manage.export_job", job_id=job.id))


def _record(kind: str, file_format: str, filters: Filters, rows: int, now) -> None:
    """The audit row, committed before anything is sent."""
    exports.record_export(acting_user(), kind, file_format, filters, rows, now)
    db.session.commit()


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


# --- Exports built in the background (``hub.figures.export_jobs``) ------------------------------
# A job's page shows its progress, which ``hub/static/export-progress.js`` keeps up to date from
# the JSON beside it; its download is recorded in the export audit before the file is sent.


def _own_job(job_id: int):
    job = export_jobs.job_of(acting_user(), job_id)
    if job is None:
        abort(404)  # not there, or another person's
    return job


@manage.get("/exports/jobs/<int:job_id>", endpoint="export_job")
@roles_required(*EXPORTERS)
def export_job(job_id: int):
    job = _own_job(job_id)
    return _private(
        make_response(
            render_template(
                "manage/export_job.html",
                job=job,
                form=HubForm(),
                percent=export_jobs.percent_done(job),
                keep_hours=export_jobs.KEEP_HOURS,
            )
        )
    )


@manage.get("/exports/jobs/<int:job_id>.json", endpoint="export_job_progress")
@roles_required(*EXPORTERS)
def export_job_progress(job_id: int):
    job = _own_job(job_id)
    return _private(
        jsonify(
            status=job.status,
            rows_done=job.rows_done,
            rows_total=job.rows_total,
            percent=export_jobs.percent_done(job),
        )
    )


@manage.post("/exports/jobs/<int:job_id>/download", endpoint="export_job_download")
@roles_required(*EXPORTERS)
def export_job_download(job_id: int):
    job = _own_job(job_id)
    if not HubForm().validate_on_submit():
        abort(400)
    if job.status != export_jobs.READY:
        abort(409 if job.status in (export_jobs.WAITING, export_jobs.BUILDING) else 410)
    filters = Filters(**export_jobs.filter_values(job.filters))
    _record(job.kind, job.file_format, filters, job.rows_total, utcnow())
    content = job.content
    return _private(
        send_file(
            io.BytesIO(content),
            mimetype=XLSX_MIMETYPE,
            as_attachment=True,
            download_name=job.file_name,
        )
    )
