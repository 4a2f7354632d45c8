"""The words a person reads for each code the hub stores: statuses, outcomes, needs met, contact
methods and preferences, and the events and details of a referral's history.

Pages, forms, templates (through ``hub.filters``) and flash messages take their words from here,
so a status or an outcome reads the same wherever it is shown. Where two readers are given
different words for the same code, both are here under their own names, with the reason.
"""

from __future__ import annotations

from hub.status import Outcome, Status

# Each status as a GOV.UK tag: its words and its colour.
STATUS_TAGS = {
    Status.RECEIVED: ("Received", "govuk-tag--blue"),
    Status.FORWARDED: ("Forwarded", "govuk-tag--light-blue"),
    Status.ACCEPTED: ("Accepted", "govuk-tag--turquoise"),
    Status.CONTACTED: ("Contacted", "govuk-tag--green"),
    Status.CLOSED: ("Closed", "govuk-tag--grey"),
    Status.DECLINED: ("Declined", "govuk-tag--orange"),
    Status.CANCELLED: ("Cancelled", "govuk-tag--grey"),
}


def status_label(status: str) -> str:
    """A status in words: "Forwarded"."""
    return STATUS_TAGS[status][0]


OUTCOME_LABELS = {
    Outcome.SERVICE_PROVIDED: "Service provided",
    Outcome.CLIENT_DECLINED: "Client declined",
    Outcome.UNABLE_TO_CONTACT: "Unable to contact",
    Outcome.NOT_ELIGIBLE: "Not eligible",
    Outcome.REFERRED_ELSEWHERE: "Referred elsewhere",
    Outcome.NO_SUITABLE_SERVICE: "No suitable service",
}
# A referrer's pages word the hub's own outcome as what they can tell the client: the hub looked
# and found no service. Hub staff and partners read the shorter words above.
REFERRER_OUTCOME_LABELS = {
    **OUTCOME_LABELS,
    Outcome.NO_SUITABLE_SERVICE: "No suitable service found",
}


def outcome_label(outcome: str | None, labels: dict[str, str] = OUTCOME_LABELS) -> str:
    """An outcome in words ("" for none); a code without words is shown as words made from it."""
    if not outcome:
        return ""
    return labels.get(outcome) or outcome.replace("_", " ").capitalize()


# Whether the client's needs were met, as the hub's follow-up asks it (a referrer reads the same
# words in lower case, within a sentence).
NEEDS_MET_LABELS = {"yes": "Yes", "partly": "Partly", "no": "No"}

# How a partner tried to contact the client, as its forms and pages say it.
CONTACT_METHOD_LABELS = {
    "phone": "Phone call",
    "sms": "Text message",
    "email": "Email",
    "letter": "Letter",
    "visit": "Visit",
}
# How the client prefers to be contacted: the same words as the methods (all but a visit).
CONTACT_PREFERENCE_LABELS = {
    method: label for method, label in CONTACT_METHOD_LABELS.items() if method != "visit"
}
# A contact attempt's method as the hub's history of a referral shows it. The hub's pages have
# their own words for it, the partner's the ones above; both are kept so that no page changes.
HUB_HISTORY_METHOD_LABELS = {
    "phone": "Phone",
    "sms": "Text message (SMS)",
    "email": "Email",
    "letter": "Letter",
    "visit": "Visit",
}

# --- A referral's history ---------------------------------------------------------------------

# What each event is, as hub staff read the history.
EVENT_LABELS = {
    "received": "Received from the referrer",
    "forwarded": "Forwarded to the partner",
    "accepted": "Accepted by the partner",
    "attempt": "Contact attempt",
    "contacted": "Partner contacted the client",
    "closed": "Closed",
    "declined": "Declined by the partner",
    "cancelled": "Cancelled",
    "rerouted": "Re-routed to another partner",
    "held": "Held at the hub: the partner is not taking referrals",
    "reopened": "Reopened",
    "note": "Note added",
    "partner_note": "Note for the partner",
    "partner_changed": "Partner changed before forwarding",
    # Recorded by the scheduler's SLA watch (hub/jobs/watch.py).
    "forward_warning": "Hub staff warned: not yet forwarded",
    "forward_breach": "Not forwarded within the forwarding deadline",
    "chase": "Partner reminded to contact the client",
    "contact_breach": "Client not contacted by the deadline: escalated to hub staff",
}
# As the partner reads them: addressed to the partner, and a re-route says only that the hub
# passed the referral on (where it went is another agency's business).
PARTNER_EVENT_LABELS = {
    **EVENT_LABELS,
    "attempt": "Attempt to contact the client",
    "rerouted": "Passed by the hub to another service",
    "reopened": "Reopened by the hub",
    "chase": "Reminder from the hub to contact the client",
    "partner_note": "Note from the hub",
}
# Each detail of an event, as hub staff read it.
DETAIL_LABELS = {
    "reason": "Reason",
    "note": "Note",
    "notes": "Notes",
    "outcome": "Outcome",
    "previous_outcome": "Previous outcome",
    "partner": "Partner",
    "previous_partner": "Previous partner",
    "possible_duplicate_of": "Possible duplicate of",
    "method": "How",
    "reached": "Reached the client",
    "attempted_at": "When",
    "number": "Reminder",
    "contacted_at": "Contacted",
    "to": "New referral",
    "rerouted_from": "Re-routed from",
    "source": "Added from",
}
# As the partner reads them: the moment of contact it recorded itself.
PARTNER_DETAIL_LABELS = {**DETAIL_LABELS, "contacted_at": "Contact made"}
# Where a referral added to a questionnaire already received came from.
SOURCE_LABELS = {"follow_up": "The hub’s follow-up with the client"}


def event_label(kind: str, labels: dict[str, str] = EVENT_LABELS) -> str:
    """An event's kind in words; a kind without words is shown as words made from it."""
    return labels.get(kind, kind.replace("_", " ").capitalize())


def detail_label(key: str, labels: dict[str, str] = DETAIL_LABELS) -> str:
    """A detail's key in words; a key without words is shown as words made from it."""
    return labels.get(key, key.replace("_", " ").capitalize())
