"""The search bench runs end to end at a tiny size, and every kind of search it times finds what
it was taken from (no timing asserted: docs/bench.md keeps the figures)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from bench.search import KINDS

ROOT = Path(__file__).resolve().parents[2]


def test_the_search_bench_runs_end_to_end():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "bench/search.py", "--referrals", "800", "--samples", "5", "--plans"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "SQLite: 800 referrals" in result.stdout
    for kind in KINDS:
        times = r" +[\d.]+ ms" * 6  # api, queue and sql: p50 and p95
        line = re.search(rf"^  {kind}{times} +(\d+)", result.stdout, re.MULTILINE)
        assert line, (kind, result.stdout)
        assert int(line.group(1)) >= 1, f"the {kind} searches found nothing"
    assert "USING INDEX ix_client_family_given_lower" in result.stdout
