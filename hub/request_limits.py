"""Bounds every request is held to before a view runs (docs/design.md, "Limits on input").

- Ids in addresses: the URL map's ``int`` converter is replaced app-wide by one that matches only
  1 to ``LARGEST_ID`` (PostgreSQL's ``integer``), so a larger id is a plain 404 on every page and
  route, never a database error.
- The request's size: ``HUB_MAX_REQUEST_BYTES`` is Flask's ``MAX_CONTENT_LENGTH`` (413).
- Query parameters with a character the hub never stores (NUL, controls) are refused before any
  view compares them with stored values: 422 naming the parameter on the API, 400 on a page.
"""

from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

from hub.errors import api_error, wants_json
from hub.limits import LARGEST_ID, UNSTORABLE, unstorable


class IdConverter(IntegerConverter):
    """``<int:...>`` with the database's range: 1 to 2,147,483,647, and no more digits than that
    (so the URL map never even builds a huge number)."""

    regex = r"[1-9]\d{0,9}"

    def __init__(self, map, fixed_digits=0, min=1, max=LARGEST_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def install_id_converter(app: Flask) -> None:
    """Before any route is added: rules take their converter when they are bound to the map."""
    app.url_map.converters["int"] = IdConverter


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_unstorable_query_parameters():
        bad = sorted(
            {name for name, value in request.args.items(multi=True) if unstorable(name + value)}
        )
        if not bad:
            return None
        if wants_json():
            fields = {
                ("query" if unstorable(name) else name): f"The {name!r} parameter {UNSTORABLE}"
                for name in bad
            }
            return api_error(
                422, "invalid", "Some details are missing or wrong: see fields.", fields
            )
        abort(400)
