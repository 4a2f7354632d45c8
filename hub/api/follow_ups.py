"""``/api/v1/follow-ups`` and a questionnaire's follow-up: the hub's call to the client."""

from __future__ import annotations
