"""A referral's statuses and outcomes, and the groups of statuses the hub's rules speak of.

The values are what the database stores and the API shows, so they never change. Each group is
named once here; code asks ``referral.status in WITH_PARTNER`` rather than spelling the statuses
out again. Which status may follow which is ``hub.referrals.lifecycle``'s; how each is worded on a
page is ``hub.labels``'. This module imports nothing of the hub's, so any module may use it.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """Where a referral has got to (docs/design.md, "The referral lifecycle"), in lifecycle
    order."""

    RECEIVED = "received"
    FORWARDED = "forwarded"
    ACCEPTED = "accepted"
    CONTACTED = "contacted"
    CLOSED = "closed"
    DECLINED = "declined"
    CANCELLED = "cancelled"


STATUSES = tuple(Status)
# Not finished: the client may still be helped.
OPEN_STATUSES = (Status.RECEIVED, Status.FORWARDED, Status.ACCEPTED, Status.CONTACTED)
# With the partner, which owes the client a first contact (and may still decline).
WITH_PARTNER = (Status.FORWARDED, Status.ACCEPTED)
# With the partner and open: before or after the first contact.
OPEN_WITH_PARTNER = (*WITH_PARTNER, Status.CONTACTED)
# Finished: closed with an outcome, declined by the partner or cancelled by the hub.
FINISHED_STATUSES = (Status.CLOSED, Status.DECLINED, Status.CANCELLED)


class Outcome(StrEnum):
    """How a closed referral ended."""

    SERVICE_PROVIDED = "service_provided"
    CLIENT_DECLINED = "client_declined"
    UNABLE_TO_CONTACT = "unable_to_contact"
    NOT_ELIGIBLE = "not_eligible"
    REFERRED_ELSEWHERE = "referred_elsewhere"
    # Only the hub closes a declined referral for which no other partner suits.
    NO_SUITABLE_SERVICE = "no_suitable_service"


# The outcomes a partner closes a referral with.
PARTNER_OUTCOMES = (
    Outcome.SERVICE_PROVIDED,
    Outcome.CLIENT_DECLINED,
    Outcome.UNABLE_TO_CONTACT,
    Outcome.NOT_ELIGIBLE,
    Outcome.REFERRED_ELSEWHERE,
)
# Those a partner may record without having made contact with the client.
OUTCOMES_WITHOUT_CONTACT = (
    Outcome.UNABLE_TO_CONTACT,
    Outcome.NOT_ELIGIBLE,
    Outcome.REFERRED_ELSEWHERE,
)
