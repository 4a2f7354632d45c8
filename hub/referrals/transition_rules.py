"""The rules every change of a referral is held to, shared by ``hub.referrals.lifecycle`` (which
callers use: it imports and re-exports these) and the changes it keeps in sibling modules: which
statuses each action may start from, the refusals (``TransitionNotAllowed``: 409 on the API;
``InvalidTransitionInput``: 422, naming the field), and the limits on a note or reason.
"""

from __future__ import annotations

from hub import limits
from hub.models import Referral
from hub.referrals.intake import held_message, is_held
from hub.status import OPEN_STATUSES, OPEN_WITH_PARTNER, WITH_PARTNER, Status


class TransitionNotAllowed(Exception):
    """The referral is not in a state that allows this change. Nothing was changed."""

    def __init__(self, referral: Referral, action: str, message: str | None = None):
        self.referral = referral
        self.action = action
        super().__init__(
            message
            or f"Referral {referral.reference} is {referral.status}: it cannot be {action} now."
        )


class InvalidTransitionInput(ValueError):
    """The change was asked for with missing or bad details (a reason, an outcome)."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


# The statuses each action may start from.
ALLOWED_FROM = {
    "forward": (Status.RECEIVED,),
    "accept": (Status.FORWARDED,),
    "attempt": OPEN_WITH_PARTNER,
    "contact": WITH_PARTNER,
    "close": OPEN_WITH_PARTNER,
    "decline": WITH_PARTNER,
    "cancel": OPEN_STATUSES,
    "reroute": (Status.DECLINED, Status.RECEIVED),  # received: only if held (``is_held``)
    "close_declined": (Status.DECLINED,),
    "reopen": (Status.CLOSED,),
    "change_partner": (Status.RECEIVED,),  # before forwarding, held or not
}
PAST_TENSE = {
    "forward": "forwarded",
    "accept": "accepted",
    "attempt": "given a contact attempt",
    "contact": "marked as contacted",
    "close": "closed",
    "decline": "declined",
    "cancel": "cancelled",
    "reroute": "re-routed",
    "close_declined": "closed as no suitable service",
    "reopen": "reopened",
    "change_partner": "given another partner",
}


def held_refusal(referral: Referral) -> TransitionNotAllowed:
    return TransitionNotAllowed(referral, "forwarded", held_message(referral))


def refusal(referral: Referral, action: str) -> str | None:
    """Why the referral's status does not allow ``action`` now, in the words a refused change
    gives, or ``None`` if it does: a page reached from a stale tab says so at once."""
    try:
        check(referral, action)
    except TransitionNotAllowed as refused:
        return str(refused)
    return None


def check(referral: Referral, action: str) -> None:
    if referral.status not in ALLOWED_FROM[action]:
        raise TransitionNotAllowed(referral, PAST_TENSE[action])
    if action == "forward" and is_held(referral):
        raise held_refusal(referral)
    if action == "reroute" and referral.status == Status.RECEIVED and not is_held(referral):
        raise TransitionNotAllowed(
            referral,
            "re-routed",
            f"Referral {referral.reference} is waiting to be forwarded: only a declined "
            "referral, or one held because its partner is not taking referrals, is re-routed.",
        )


def required_text(value: str | None, field: str, message: str) -> str:
    """A note or reason that must be given: blank (even if made of invisible characters) is
    ``message``; over ``hub.limits.NOTE`` characters, or with characters never stored, is
    refused too, so every caller (pages, API, CLI, SMS) is held to the same limits."""
    text = optional_text(value, field, message.split(" ")[0])
    if text is None:
        raise InvalidTransitionInput(field, message)
    return text


def optional_text(value: str | None, field: str, what: str = "Notes") -> str | None:
    """A note or reason that may be left out: ``None`` if blank, else checked as above."""
    text = limits.clean(value)
    problem = limits.text_problem(text, what, limits.NOTE)
    if problem:
        raise InvalidTransitionInput(field, problem)
    return text or None
