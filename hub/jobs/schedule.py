"""The hub's scheduled jobs, listed in one place. Each is a plain function of ``now`` that
returns a summary of what it did, and each is safe to run twice: what it sends or records
carries a unique key. ``flask --app hub jobs run-due`` runs them all once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from hub.figures import stored
from hub.jobs import watch
from notifications import dispatch

Summary = dict[str, int]

# In order: the SLA watch and the daily messages queue what is due; then put back messages a
# crashed dispatcher left, and send what is due, so a run's warnings go out in the same run.
JOBS: list[tuple[str, Callable[[datetime], Summary]]] = [
    ("watch", watch.watch_referrals),
    ("follow-ups due", watch.follow_ups_digest),
    ("partner digests", watch.partner_digests),
    ("sweep", dispatch.sweep_stuck),
    ("dispatch", dispatch.dispatch_due),
    # Last, so the figures' counts take in everything this run changed.
    ("figures", stored.refresh_job),
]


def run_due(now: datetime) -> list[tuple[str, Summary]]:
    """Run every job once as of ``now``; each commits its own work."""
    return [(name, job(now)) for name, job in JOBS]


def describe(summary: Summary) -> str:
    """``{"sent": 3, "to retry": 0}`` as ``3 sent, 0 to retry``."""
    return ", ".join(f"{count} {what}" for what, count in summary.items())
