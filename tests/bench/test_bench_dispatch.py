"""The dispatch bench still runs (a handful of messages, no timing asserted: it prints figures)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_dispatch_bench_runs_end_to_end():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "bench/dispatch.py", "--messages", "10", "--batch", "4"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "(10 sent, 0 to retry, 0 failed; 5 SMS, 5 email)" in result.stdout
    assert "dispatch / ceiling ratio" in result.stdout
