"""Schedulers as real processes: two ``flask --app hub jobs run-due`` started together over 1,000
referrals whose first chase is due queue exactly one chase per referral; one killed half-way
and started again leaves no duplicate and no gap."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hub.extensions import db as _db
from hub.models import OutboxMessage, Referral, ReferralEvent
from hub.referrals import lifecycle
from tests.factories import submit, user

# Processes racing for the same rows: SQLite's one writer, PostgreSQL's row locks.
pytestmark = pytest.mark.both_databases

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 2, 10, 0)
QUESTIONNAIRES = 250
FLAGS = ("smoke_alarms", "falls", "lonely", "benefits")  # four agencies, 1,000 referrals


def forwarded_referrals(count: int) -> None:
    """``count`` questionnaires of four flags each, forwarded an hour after receipt."""
    frontline, hub = user("frontline"), user("hub")
    for _ in range(count):
        submission = submit(frontline, T0, yes=FLAGS)
        lifecycle.forward_all(submission, hub, T0 + timedelta(hours=1))
    _db.session.commit()


def assert_each_referral_chased_once() -> None:
    """Every one of the 1,000 referrals has exactly one chase recorded."""
    _db.session.expire_all()
    chases = _db.session.execute(
        select(ReferralEvent.referral_id, func.count())
        .where(ReferralEvent.kind == "chase")
        .group_by(ReferralEvent.referral_id)
    ).all()
    assert len(chases) == QUESTIONNAIRES * len(FLAGS)
    assert {count for _, count in chases} == {1}


def run_due_process(database_url: str, moment: str, script: str | None = None) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "HUB_BASE_URL": "http://hub.test",
        "HUB_ENV": "development",
    }
    for name in ("SMTP_HOST", "TWILIO_ACCOUNT_SID"):
        env.pop(name, None)  # messages go to the log channel
    command = [sys.executable, "-m", "flask", "--app", "hub", "jobs", "run-due", "--now", moment]
    if script is not None:
        command = [sys.executable, "-c", script, moment]
    # Output to files, not pipes: a process whose pipe nobody is reading yet (the test waits on
    # the other first) would block on a full pipe while holding SQLite's write lock, and the
    # other would wait for that lock: a deadlock of the test's making.
    # finished() closes them.
    out_file = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
    err_file = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=out_file, stderr=err_file, text=True
    )
    process.out_file, process.err_file = out_file, err_file
    return process


def finished(process: subprocess.Popen) -> tuple[str, str]:
    """Wait for ``process``; what it printed and what it logged."""
    process.wait(timeout=300)
    texts = []
    for file in (process.out_file, process.err_file):
        file.seek(0)
        texts.append(file.read())
        file.close()
    return texts[0], texts[1]


def test_two_run_due_processes_at_once_chase_each_referral_exactly_once(
    app, db, demo_hub, database_url
):
    forwarded_referrals(QUESTIONNAIRES)
    moment = (T0 + timedelta(hours=1, days=7)).isoformat() + "Z"
    processes = [run_due_process(database_url, moment) for _ in range(2)]
    outputs = [finished(process) for process in processes]
    for process, (_out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err[-3000:]
    assert_each_referral_chased_once()
    messages = _db.session.execute(
        select(OutboxMessage.referral_id, OutboxMessage.channel, func.count())
        .where(OutboxMessage.kind == "partner_chase")
        .group_by(OutboxMessage.referral_id, OutboxMessage.channel)
    ).all()
    assert len(messages) == QUESTIONNAIRES * len(FLAGS)  # one email each; no duty numbers
    assert {count for *_, count in messages} == {1}
    # Both processes did part of the work, or one did all: together, every referral once.
    chased = [int(out.split(" chased")[0].rsplit(" ", 1)[-1]) for out, _ in outputs]
    assert sum(chased) == QUESTIONNAIRES * len(FLAGS)
    assert (
        _db.session.scalar(
            select(func.count())
            .select_from(Referral)
            .where(Referral.sla_check_at <= T0 + timedelta(days=8))
        )
        == 0
    )


# A run-due process that kills itself (SIGKILL: no cleanup, no rollback handler) while queueing
# the 600th chase, half-way through its second batch of 500.
KILLED_MID_RUN = """
import os, signal, sys
from notifications.messages import to_partners
real = to_partners.partner_chase
calls = []
def chase(referral, number, now):
    calls.append(referral.id)
    if len(calls) == 600:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(referral, number, now)
to_partners.partner_chase = chase
from flask.cli import main
sys.argv = ["flask", "--app", "hub", "jobs", "run-due", "--now", sys.argv[1]]
main()
"""


def test_a_run_killed_mid_run_and_restarted_leaves_no_duplicate_and_no_gap(
    app, db, demo_hub, database_url
):
    forwarded_referrals(QUESTIONNAIRES)
    moment = (T0 + timedelta(hours=1, days=7)).isoformat() + "Z"
    killed = run_due_process(database_url, moment, script=KILLED_MID_RUN)
    _, err = finished(killed)
    assert killed.returncode == -9, err[-3000:]
    _db.session.expire_all()
    first_batch = _db.session.scalar(
        select(func.count()).select_from(ReferralEvent).where(ReferralEvent.kind == "chase")
    )
    assert first_batch == 500  # the first batch committed; the second died with the process
    _db.session.rollback()  # on SQLite an open transaction holds the write lock (hub.extensions)
    restarted = run_due_process(database_url, moment)
    out, err = finished(restarted)
    assert restarted.returncode == 0, err[-3000:]
    assert "500 chased" in out
    assert_each_referral_chased_once()
    keys = _db.session.scalars(
        select(OutboxMessage.key).where(OutboxMessage.kind == "partner_chase")
    ).all()
    assert len(keys) == len(set(keys)) == QUESTIONNAIRES * len(FLAGS)
