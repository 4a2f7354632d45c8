"""The hub's own addresses as it hands them out: an API answer's ``Location``, its paging links,
and the links in messages.

Each is ``HUB_BASE_URL`` (docs/design.md, "Configuration") and the route's path, never the
address the request came in on: the ``Host`` header is whatever the caller sent, so building
from it (``url_for(..., _external=True)``, ``request.host_url``) would let a forged one make the
hub give out links to another site. Pages keep relative links and redirects, which need neither.
"""

from __future__ import annotations

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    """``HUB_BASE_URL`` and the path of ``endpoint`` (a full name, like ``api.show_referral``);
    values the route does not take become the query string. Works inside a request and outside
    one, as messages are built by jobs."""
    path = current_app.url_map.bind("hub.invalid").build(endpoint, values)
    return current_app.config["HUB_BASE_URL"].rstrip("/") + path
