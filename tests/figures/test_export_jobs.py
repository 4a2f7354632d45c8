"""Exports built in the background (hub/figures/export_jobs.py and its pages under
/manage/exports/jobs/): the referral rows as Excel are asked for, built with progress noted,
downloaded (each download audited), taken up again after a restart, and seen by nobody else."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from hub.extensions import db as _db
from hub.figures import export_jobs
from hub.models import ExportAudit, ExportJob
from tests.factories import user
from tests.figures import test_exports
from tests.figures.test_exports import download

history = test_exports.history  # the same small history as the direct exports' tests

pytestmark = [pytest.mark.both_databases, pytest.mark.committed]


@pytest.fixture
def started(monkeypatch):
    """The jobs the exports page asked to start; none is built until the test says so."""
    asked: list[int] = []
    monkeypatch.setattr(export_jobs, "start_thread", lambda app, job_id: asked.append(job_id))
    return asked


def job(job_id: int) -> ExportJob:
    _db.session.expire_all()
    return _db.session.get(ExportJob, job_id)


def test_excel_rows_are_built_in_the_background_then_downloaded(
    client,
    sign_in_as,
    history,
    started,
    now,
    monkeypatch,
):
    sign_in_as("manager")
    response = download(client, "referrals", "xlsx")
    assert response.status_code == 302
    (job_id,) = started
    assert response.headers["Location"] == f"/manage/exports/jobs/{job_id}"
    assert (job(job_id).status, job(job_id).rows_total) == ("waiting", 4)
    assert _db.session.scalar(select(func.count(ExportAudit.id))) == 0  # nothing sent yet

    page = client.get(f"/manage/exports/jobs/{job_id}").get_data(as_text=True)
    assert "Preparing your download" in page and "Waiting to start." in page
    assert "export-progress.js" in page
    assert client.get(f"/manage/exports/jobs/{job_id}.json").get_json() == {
        "status": "waiting",
        "rows_done": 0,
        "rows_total": 4,
        "percent": 0,
    }
    assert client.post(f"/manage/exports/jobs/{job_id}/download").status_code == 409

    notes = []
    monkeypatch.setattr(export_jobs, "PROGRESS_EVERY", 3)
    real_noting = export_jobs._noting
    monkeypatch.setattr(
        export_jobs,
        "_noting",
        lambda rows, every, note: real_noting(rows, every, lambda n: (notes.append(n), note(n))),
    )
    assert export_jobs.build(job_id, lambda: now) is True
    assert notes == [3]
    assert job(job_id).status == "ready"
    assert client.get(f"/manage/exports/jobs/{job_id}.json").get_json()["percent"] == 100
    page = client.get(f"/manage/exports/jobs/{job_id}").get_data(as_text=True)
    assert "Your download is ready" in page and "export-progress.js" not in page

    for _ in range(2):  # each download is recorded, as a direct one is
        response = client.post(f"/manage/exports/jobs/{job_id}/download")
        assert response.status_code == 200
        assert (
            "sail-referrals-2025-12-01-to-2026-03-02.xlsx"
            in (response.headers["Content-Disposition"])
        )
        assert response.headers["Cache-Control"] == "no-store"
        sheet = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True)["Referrals"]
        assert len(list(sheet.iter_rows(values_only=True))) == 1 + 4
    audits = _db.session.scalars(select(ExportAudit)).all()
    assert [(a.kind, a.file_format, a.rows) for a in audits] == [("referrals", "xlsx", 4)] * 2
    assert audits[0].filters == {"from": "2025-12-01", "to": "2026-03-02"}


def test_only_the_person_who_asked_sees_the_job(
    client,
    sign_in_as,
    history,
    started,
    now,
):
    sign_in_as("manager")
    download(client, "referrals", "xlsx")
    (job_id,) = started
    export_jobs.build(job_id, lambda: now)
    client.post("/logout")
    sign_in_as("admin")
    for path in (f"/manage/exports/jobs/{job_id}", f"/manage/exports/jobs/{job_id}.json"):
        assert client.get(path).status_code == 404
    assert client.post(f"/manage/exports/jobs/{job_id}/download").status_code == 404
    assert client.get("/manage/exports/jobs/999999").status_code == 404


def test_a_restart_loses_nothing(client, sign_in_as, history, started, now):
    """A job left waiting, or building with a stopped heartbeat, is built by the scheduler's
    job; one still building (its heartbeat fresh) is left to its builder."""
    sign_in_as("manager")
    for _ in range(3):
        download(client, "referrals", "xlsx")
    waiting, stopped, running = started
    for job_id, beat in ((stopped, now - timedelta(minutes=5)), (running, now)):
        _db.session.execute(
            _db.update(ExportJob)
            .where(ExportJob.id == job_id)
            .values(status="building", heartbeat_at=beat)
        )
    _db.session.commit()

    assert export_jobs.build_due(now) == {"built": 2, "expired": 0}
    assert [job(i).status for i in (waiting, stopped, running)] == ["ready", "ready", "building"]
    assert export_jobs.build(running, lambda: now) is False  # claimed by someone else
    assert export_jobs.build(waiting, lambda: now) is False  # built already

    # A day on, the one left building (its heartbeat long stopped) is built, and then every
    # file is removed, and the page says so.
    later = job(waiting).created_at + timedelta(hours=export_jobs.KEEP_HOURS, minutes=1)
    assert export_jobs.build_due(later) == {"built": 1, "expired": 3}
    assert job(waiting).status == "expired" and job(waiting).content is None
    assert "This download has been removed" in client.get(
        f"/manage/exports/jobs/{waiting}"
    ).get_data(as_text=True)
    assert client.post(f"/manage/exports/jobs/{waiting}/download").status_code == 410


def test_csv_and_figures_are_still_sent_at_once(client, sign_in_as, history, started):
    sign_in_as("manager")
    assert download(client, "referrals", "csv").status_code == 200
    assert download(client, "figures", "xlsx").status_code == 200
    assert started == []
    assert user("manager").id  # the audit names who downloaded
    assert _db.session.scalar(select(func.count(ExportAudit.id))) == 2
