"""``/api/v1/stats/turnaround``: the managers' headline figures for other systems.

``from`` and ``to`` (dates, inclusive, as YYYY-MM-DD) are required, as docs/design.md has them;
``partner`` narrows the figures to one agency. ``referrer``, ``borough`` and ``question`` narrow
them as on the dashboard. The answer is ``hub.figures.report.turnaround``; how misses are counted
is ``hub.figures.counts``'.
"""

from __future__ import annotations

from flask import jsonify, request

from hub.api import api
from hub.api.auth import api_roles
from hub.api.parsing import invalid
from hub.clock import in_london, utcnow
from hub.extensions import db
from hub.figures import report
from hub.figures.filters import FilterError, parse_filters


@api.get("/stats/turnaround")
@api_roles("manager", "hub")
def turnaround():
    now = utcnow()
    missing = {
        name: f"{name} is required: a date like 2026-01-31"
        for name in ("from", "to")
        if not (request.args.get(name) or "").strip()
    }
    try:
        filters = parse_filters(request.args, in_london(now).date(), db.session)
    except FilterError as error:
        raise invalid({**error.errors, **missing}) from None
    if missing:
        raise invalid(missing)
    return jsonify(report.turnaround(db.session, filters, now))
