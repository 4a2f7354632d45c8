"""The figures bench: its hand-written SQL and ``hub.figures.report.figures`` agree on generated
history (on SQLite and PostgreSQL), and the script runs end to end at a tiny size (no timing
asserted)."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bench.stats import NOW, period
from bench.stats_compare import comparable, differences, in_figures_form
from bench.stats_sql import hand_written
from hub.demo import history
from hub.demo.load import load_demo
from hub.figures import report, stored

# The hand-written SQL and the figures' differ between SQLite and PostgreSQL.
pytestmark = pytest.mark.both_databases

ROOT = Path(__file__).resolve().parents[2]


def test_the_hand_written_sql_and_hub_stats_agree_on_every_number(db):
    load_demo(NOW - timedelta(days=400))
    db.session.commit()
    # Two months of history, so some recent referrals are still open and overdue.
    history.generate_history(2_000, NOW, months=2, seed=3, events=False)
    filters = period()
    raw = hand_written(db.session.connection(), filters, NOW)
    # Counted afresh (every day is still noted stale), then from the stored counts.
    figures = report.figures(db.session, filters, NOW)
    ours, theirs = comparable(figures), in_figures_form(raw)
    assert differences(ours, theirs) == []
    assert stored.refresh(db.session) > 60
    assert differences(comparable(report.figures(db.session, filters, NOW)), theirs) == []
    assert figures["referrals"] == 2_000
    assert figures["forwarding"]["overdue_open"] > 0 and figures["contact"]["overdue_open"] > 0
    assert len(figures["partners"]) > 10 and figures["outcomes"]

    # The comparison is not blind: one count off, or one median moved, is reported.
    changed = copy.deepcopy(theirs)
    changed["partners"][figures["partners"][0]["partner"]]["contact"]["due"] += 1
    changed["forwarding"]["median_hours"] += 0.05
    assert len(differences(ours, changed)) == 2


def test_the_stats_bench_runs_end_to_end():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "bench/stats.py", "--referrals", "1500", "--runs", "1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "SQLite: 1,500 referrals generated" in result.stdout
    assert "ratio stats / hand-written" in result.stdout
    assert "agree on every number" in result.stdout
