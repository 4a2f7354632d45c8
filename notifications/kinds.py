"""The registry of message kinds: every kind of message the hub sends, once, with who it is for,
what it is about, what hub staff's alert calls it if it fails, and the channels it goes by.

Everything that names a kind reads it from here: the admins' page of message texts and its
samples (``notifications.messages.previews``), the development mailbox and a referral's list of
messages (``hub.admin.message_words``), the failure digest and ``/hub/messages``. The outbox
writers refuse a kind or channel that is not registered
(``notifications.messages.rendering.queue_email``), so a new kind is one entry here, its
templates under ``templates/notifications/``, its builder and its sample.

Plain data, no Flask: view modules and the messages alike may import it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

EMAIL = "email"
SMS = "sms"

# A channel in a sentence ("the reminder text message (SMS) to ...") and as a short label
# ("Partner agency by SMS").
CHANNEL_WORDS = {EMAIL: "email", SMS: "text message (SMS)"}
CHANNEL_LABELS = {EMAIL: "email", SMS: "SMS"}

PARTNER = "Partner agency"
REFERRER = "Referrer"
CLIENT = "Client"
HUB_STAFF = "Hub staff"
ACCOUNT_HOLDER = "Account holder"
AUDIENCES = (PARTNER, REFERRER, CLIENT, HUB_STAFF, ACCOUNT_HOLDER)


@dataclass(frozen=True)
class Kind:
    """One kind of message, as ``OutboxMessage.kind`` stores it."""

    name: str  # e.g. "referral_forwarded"
    audience: str  # one of AUDIENCES
    about: str  # what it is about, as the admin pages and a referral's messages name it
    # What the "message failed" alert calls it, with ``{channel}`` (CHANNEL_WORDS) and, where
    # the alert knows the referral, ``{partner}`` and ``{referrer}``. Never the recipient: it
    # may be a client's phone or email. None for the alert itself, which raises no alert.
    failed: str | None
    # Each channel it goes by, in the order the admins' page shows them, and when it goes by
    # that channel, in plain words.
    channels: Mapping[str, str]


# In the order the admins' page shows them: a referral's life, then the SLA watch's messages.
KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "referral_forwarded",
            PARTNER,
            "New referral for the partner",
            "the new-referral {channel} to the partner agency {partner}",
            {
                EMAIL: "When the hub forwards a referral to the agency",
                SMS: "When the hub forwards a referral to an agency with a duty number for SMS",
            },
        ),
        Kind(
            "referral_cancelled",
            PARTNER,
            "Referral cancelled: stop work",
            "the cancellation {channel} to the partner agency {partner}",
            {
                EMAIL: "When a referral the agency had been sent is cancelled "
                "(the client withdrew consent)",
            },
        ),
        Kind(
            "hub_note",
            PARTNER,
            "A note from the hub about a referral",
            "the hub’s note {channel} to the partner agency {partner}",
            {
                EMAIL: "When hub staff add a note for the partner to a referral the agency has "
                "been sent",
            },
        ),
        Kind(
            "partner_link_code",
            PARTNER,
            "One-time code to open a signed link",
            "the one-time code {channel} to the partner agency {partner}",
            {
                EMAIL: "When someone at an agency without accounts asks for a code to open a "
                "signed link",
            },
        ),
        Kind(
            "referrer_forwarded",
            REFERRER,
            "Referrals forwarded to partners",
            "the “passed on” {channel} to the referrer {referrer}",
            {EMAIL: "When the hub has passed on every flag of their questionnaire"},
        ),
        Kind(
            "referrer_all_closed",
            REFERRER,
            "All referrals closed",
            "the “all finished” {channel} to the referrer {referrer}",
            {EMAIL: "When the last open referral of their questionnaire is closed or cancelled"},
        ),
        Kind(
            "client_forwarded",
            CLIENT,
            "Which agencies will contact the client, and by when",
            "the {channel} to the client saying which agencies will get in touch",
            {
                SMS: "When the hub has passed on every flag, if the client asked to hear by "
                "text message",
                EMAIL: "When the hub has passed on every flag, if the client asked to hear by "
                "email",
            },
        ),
        Kind(
            "failed_digest",
            HUB_STAFF,
            "Messages that could not be sent",
            None,
            {
                EMAIL: "At most once an hour, when messages have failed for good (refused, or "
                "still failing after a day of retries)",
                SMS: "Instead of the email, to the hub's duty mobile (HUB_ALERT_SMS), while "
                "email is not working",
            },
        ),
        Kind(
            "forward_warning",
            HUB_STAFF,
            "Referrals near their forwarding deadline",
            "the forwarding warning {channel} to hub staff",
            {
                EMAIL: "When a questionnaire's flags are still at the hub 20 hours after it "
                "was received",
            },
        ),
        Kind(
            "forward_overdue",
            HUB_STAFF,
            "Referrals past their forwarding deadline",
            "the forwarding breach {channel} to hub staff",
            {EMAIL: "When a questionnaire's flags are not forwarded within 24 hours"},
        ),
        Kind(
            "partner_chase",
            PARTNER,
            "Reminder to contact the client",
            "the reminder {channel} to the partner agency {partner}",
            {
                EMAIL: "At day 7 and day 12 after forwarding, while no contact with the client "
                "is recorded",
                SMS: "With each reminder, to an agency with a duty number for SMS",
            },
        ),
        Kind(
            "contact_overdue",
            HUB_STAFF,
            "Partner has not contacted the client in time",
            "the contact breach {channel} to hub staff",
            {EMAIL: "When the partner has not recorded contact by the contact deadline (day 14)"},
        ),
        Kind(
            "follow_ups_due",
            HUB_STAFF,
            "Follow-ups due",
            "the daily follow-ups {channel} to hub staff",
            {EMAIL: "Once a day from 08:00, when questionnaires are due a follow-up call"},
        ),
        Kind(
            "partner_digest",
            PARTNER,
            "Summary of the agency's open referrals",
            "the daily summary {channel} to a partner agency",
            {EMAIL: "Once a day from 08:00, to each agency with referrals waiting for contact"},
        ),
        Kind(
            "account_invite",
            ACCOUNT_HOLDER,
            "Invitation to set a password",
            "the invitation {channel} to a new user",
            {EMAIL: "When an administrator invites a user (flask --app hub users invite)"},
        ),
        Kind(
            "password_reset",
            ACCOUNT_HOLDER,
            "Link to set a new password",
            "the password reset {channel} to a user",
            {EMAIL: "When an administrator sends a reset (flask --app hub users reset-password)"},
        ),
    )
}


# Kinds the hub no longer sends, still named in words where their old rows are shown.
RETIRED = {"message_failed": "A message could not be sent (an alert before the failure digest)"}
RETIRED_AUDIENCES = {"message_failed": HUB_STAFF}


def about(kind: str) -> str:
    """What a message is about, or its kind as stored when it is not known (an old row)."""
    return KINDS[kind].about if kind in KINDS else RETIRED.get(kind, kind)


def failed_words(kind: str, channel: str, partner: str, referrer: str) -> str:
    """What a failed message was, for hub staff's alert: "the reminder text message (SMS) to the
    partner agency ...". A kind without words (an old row) is named by its code."""
    registered = KINDS.get(kind)
    words = registered.failed if registered and registered.failed else "the {channel} “{kind}”"
    return words.format(
        channel=CHANNEL_WORDS.get(channel, channel), partner=partner, referrer=referrer, kind=kind
    )
