"""The hub's scheduled jobs, listed in one place. Each is a plain function of ``now`` that
returns a summary of what it did, and each is safe to run twice: what it sends or records
carries a unique key. ``flask --app hub jobs run-due`` runs them all once, in order.

The scheduler runs them in ``LANES``: the email and SMS dispatchers each in a lane of its own,
so a mail server that hangs holds up neither SMS nor the SLA watch, and the rest in another.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from hub.figures import export_jobs, stored
from hub.jobs import watch
from hub.people import anonymise
from notifications import dispatch
from notifications.messages import to_hub_staff

Summary = dict[str, int]

# In order: the SLA watch and the daily messages queue what is due; then put back messages a
# crashed dispatcher left, and send what is due, so a run's warnings go out in the same run.
JOBS: list[tuple[str, Callable[[datetime], Summary]]] = [
    ("watch", watch.watch_referrals),
    ("follow-ups due", watch.follow_ups_digest),
    ("partner digests", watch.partner_digests),
    ("sweep", dispatch.sweep_stuck),
    # Before sending, so the digest of failures goes in the same run.
    ("failure digest", to_hub_staff.failed_digest_job),
    ("dispatch email", dispatch.dispatch_email),
    ("dispatch sms", dispatch.dispatch_sms),
    # Once a day: stale drafts and the personal details past the retention period.
    ("retention", anonymise.retention_job),
    # Last, so the figures' counts take in everything this run changed.
    ("figures", stored.refresh_job),
    # Exports a restart left unbuilt (a web process builds each at once, in a thread), and
    # removing old files: in a lane of its own, as a big one takes a while.
    ("exports", export_jobs.build_due),
]

# The scheduler's lanes (``hub.jobs.scheduler``): each runs its jobs in the order above, never
# overlapping itself, beside the others.
OWN_LANES = {"dispatch email": "email", "dispatch sms": "sms", "exports": "exports"}
LANES: dict[str, list[str]] = {
    "watch": [name for name, _ in JOBS if name not in OWN_LANES],
    **{lane: [name] for name, lane in OWN_LANES.items()},
}


def run_due(now: datetime) -> list[tuple[str, Summary]]:
    """Run every job once as of ``now``; each commits its own work."""
    return [(name, job(now)) for name, job in JOBS]


def run_lane(lane: str, now: datetime) -> list[tuple[str, Summary]]:
    """Run the jobs of one of ``LANES`` once as of ``now``, in order."""
    by_name = dict(JOBS)
    return [(name, by_name[name](now)) for name in LANES[lane]]


def describe(summary: Summary) -> str:
    """``{"sent": 3, "to retry": 0}`` as ``3 sent, 0 to retry``."""
    return ", ".join(f"{count} {what}" for what, count in summary.items())
