"""Reading API requests: the JSON body, text fields and query parameters, and refusing bad ones.

A view raises ``ApiError``; the blueprint turns it into the error shape of docs/design.md. Every
refusal happens before anything is written, so a refused request changes nothing.
"""

from __future__ import annotations

import json

from flask import Blueprint, request

from hub.errors import api_error


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
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise malformed("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise malformed("The request body must be a JSON object.")
    return body


def optional_text(body: dict, field: str) -> str | None:
    value = body.get(field)
    if value is not None and not isinstance(value, str):
        raise invalid({field: f"{field.capitalize()} must be text"})
    return value


def query_int(name: str, default: int | None, low: int, high: int | None = None) -> int | None:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < low or (high is not None and value > high):
        if high is None:
            raise invalid({name: f"{name} must be a whole number, {low} or more"})
        raise invalid({name: f"{name} must be a whole number from {low} to {high}"})
    return value
