"""The hub's scheduled jobs, listed in one place. Each is a plain function of ``now`` that
returns a summary of what it did, and each is safe to run twice: what it sends or records
carries a unique key. ``flask --app hub jobs run-due`` runs them all once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from notifications import dispatch

Summary = dict[str, int]

# In order: put back messages a crashed dispatcher left, then send what is due.
JOBS: list[tuple[str, Callable[[datetime], Summary]]] = [
    ("sweep", dispatch.sweep_stuck),
    ("dispatch", dispatch.dispatch_due),
]


def run_due(now: datetime) -> list[tuple[str, Summary]]:
    """Run every job once as of ``now``; each commits its own work."""
    return [(name, job(now)) for name, job in JOBS]


def describe(summary: Summary) -> str:
    """``{"sent": 3, "to retry": 0}`` as ``3 sent, 0 to retry``."""
    return ", ".join(f"{count} {what}" for what, count in summary.items())
