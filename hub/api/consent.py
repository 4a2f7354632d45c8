"""``/api/v1/submissions/{id}/withdraw-consent``: the client withdrew consent."""

from __future__ import annotations
