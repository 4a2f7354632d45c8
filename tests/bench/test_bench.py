"""The bench scripts still run (a few requests, no timing asserted: they print figures)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_submissions_bench_runs_end_to_end():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "bench/submissions.py", "--clients", "2", "--requests", "10",
         "--workers", "1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "(10 requests, 0 failed)" in result.stdout
    assert "hub / baseline throughput" in result.stdout


def test_the_retries_load_loses_nothing_and_doubles_nothing():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "bench/retries.py", "--clients", "4", "--each", "4", "--workers", "2"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert "held: 16 submissions, 48 referrals; lost 0, doubled 0" in result.stdout
