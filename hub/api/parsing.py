"""Reading API requests: the JSON body, text fields and query parameters, and refusing bad ones.

A view raises ``ApiError``; the blueprint turns it into the error shape of docs/design.md. Every
refusal happens before anything is written, so a refused request changes nothing.
"""

from __future__ import annotations

import json

from flask import Blueprint, request

from hub.errors import api_error
from hub.limits import LARGEST_ID, UNSTORABLE, limit_of, text_problem, unstorable

# JSON nested deeper than this is refused: no body the API reads goes beyond three levels.
MAX_DEPTH = 32


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields


def malformed(message: str) -> ApiError:
    return ApiError(400, "malformed", message)


def invalid(fields: dict[str, str]) -> ApiError:
    return ApiError(422, "invalid", "Some details are missing or wrong: see fields.", fields)


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found", message)


def register_error_handlers(blueprint: Blueprint) -> None:
    @blueprint.errorhandler(ApiError)
    def refuse(error: ApiError):
        return api_error(error.status, error.code, error.message, error.fields)


def json_object(required: bool = True) -> dict:
    """The request body as a JSON object; an empty body is ``{}`` where nothing is required."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise malformed("Send a JSON object in the request body.")
        return {}
    try:
        body = json.loads(raw, parse_constant=_no_constants)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise malformed("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise malformed("The request body must be a JSON object.")
    _check_strings(body)
    return body


def _no_constants(name: str):
    raise ValueError(f"{name} is not JSON")


def _check_strings(body: dict) -> None:
    """Refuse a body nested too deep, or with text the hub never stores (NUL, controls, lone
    surrogates) anywhere in it, in a key or a value: 422 naming where, like ``client.address``."""
    waiting: list[tuple[str, object, int]] = [("", body, 0)]
    while waiting:
        path, value, depth = waiting.pop()
        if depth > MAX_DEPTH:
            raise malformed(f"The request body is nested more than {MAX_DEPTH} levels deep.")
        if isinstance(value, str):
            if unstorable(value):
                raise invalid({path or "body": f"{path or 'Text'} {UNSTORABLE}"})
        elif isinstance(value, dict):
            for key, item in value.items():
                if unstorable(key):
                    raise invalid({path or "body": f"A field name {UNSTORABLE}"})
                waiting.append((f"{path}.{key}" if path else key, item, depth + 1))
        elif isinstance(value, list):
            waiting.extend((f"{path}.{index}", item, depth + 1) for index, item in enumerate(value))


def optional_text(body: dict, field: str) -> str | None:
    """A text field of the body, or ``None``; anything but text, or text over the field's limit
    (``hub.limits.limit_of``), is refused naming the field."""
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid({field: f"{field.capitalize()} must be text"})
    problem = text_problem(value, field.capitalize(), limit_of(field))
    if problem:
        raise invalid({field: problem})
    return value


def body_id(value) -> bool:
    """Whether ``value`` from a body can be an id: a whole number from 1 to ``LARGEST_ID``."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= LARGEST_ID


def query_int(name: str, default: int | None, low: int, high: int = LARGEST_ID) -> int | None:
    """A whole-number query parameter from ``low`` to ``high`` (by default the largest id the
    database holds, so a cursor never overflows its column)."""
    text = request.args.get(name)
    if text is None or text == "":
        return default
    value = int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else None
    if value is None or value < low or value > high:
        raise invalid({name: f"{name} must be a whole number from {low} to {high:,}"})
    return value
