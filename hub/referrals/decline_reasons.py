"""Why a partner declines a referral: a reason from a short list, so the figures can group them.

The code is what the hub counts (it is kept in the ``declined`` event's details as
``reason_code``); the referral's ``status_reason`` keeps the words people read: the reason's
label, with the partner's details after a colon if they gave any, or for "other" the partner's
own words alone. A decline without a code (the API before codes, an SMS ``DECLINE``, the
declines recorded before the list) is "other": its reason is free text.
"""

from __future__ import annotations

OTHER = "other"

# Code -> label, in the order the partner's page offers them.
DECLINE_REASONS = {
    "no_capacity": "No capacity",
    "not_eligible": "Not eligible",
    "already_supported": "Already supported",
    "outside_area": "Outside our area",
    "client_unreachable": "Client unreachable",
    OTHER: "Other",
}
DECLINE_REASON_CODES = tuple(DECLINE_REASONS)


def reason_label(code: str | None) -> str:
    """The words for a reason's code; an unknown or missing code is "Other"."""
    return DECLINE_REASONS.get(code or OTHER, DECLINE_REASONS[OTHER])


def stored_reason(code: str, details: str | None) -> str:
    """What ``status_reason`` holds for a decline: "Label", "Label: details", or for "other"
    the details alone (the caller has made sure "other" has them)."""
    if code == OTHER:
        return details or reason_label(OTHER)
    return f"{reason_label(code)}: {details}" if details else reason_label(code)
