"""The samples on the admins' page of message texts (``/admin/messages``): one of every kind
of message on every channel it goes by (``notifications.kinds``), with made-up values, built by
the same ``*_email``/``*_sms`` functions and templates as the real messages.

Who gets each and when come from the registry; this module owns only the made-up values and
the call that renders each sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from notifications.kinds import EMAIL, KINDS, SMS
from notifications.messages.rendering import Rendered, uk_day
from notifications.messages.to_account_holders import account_link_email, set_password_url
from notifications.messages.to_hub_staff import (
    DueFollowUp,
    FailedLine,
    Flag,
    contact_overdue_email,
    failed_digest_email,
    failed_digest_sms,
    failed_messages_url,
    follow_ups_due_email,
    follow_ups_url,
    forward_overdue_email,
    forward_warning_email,
    hub_queue_url,
    hub_referral_url,
)
from notifications.messages.to_partners import (
    hub_note_email,
    partner_chase_email,
    partner_chase_sms,
    partner_digest_email,
    partner_inbox_url,
    partner_link_code_email,
    referral_cancelled_email,
    referral_forwarded_email,
    referral_forwarded_sms,
)
from notifications.messages.to_referrers_and_clients import (
    Agency,
    client_forwarded_email,
    client_forwarded_sms,
    referrer_all_closed_email,
    referrer_forwarded_email,
    submitted_questionnaire_url,
)


@dataclass(frozen=True)
class Preview:
    """A sample of one kind of message on one channel, for the admins' page of message texts:
    rendered from the same templates and the same text-building functions as the real ones."""

    kind: str  # e.g. "referral_forwarded"
    channel: str  # "email" or "sms"
    audience: str  # "Partner agency", "Referrer", "Client", "Hub staff"
    when: str  # in plain words
    subject: str | None  # emails only
    body: str  # the SMS, or the email's text part
    html: str | None  # the email's HTML part


SAMPLE_NOW = datetime(2026, 3, 2, 10, 15)  # naive UTC, as stored
SAMPLE_SUBMISSION = "SAIL-7K3Q-PX"
SAMPLE_REFERENCE = f"{SAMPLE_SUBMISSION}-01"
SAMPLE_PARTNER = "London Fire Brigade – Home Fire Safety Visits"
SAMPLE_QUESTION = (
    "Would you like a free home fire safety visit from the fire brigade, including checking "
    "your smoke alarms?"
)
SAMPLE_CONTACT_DUE = datetime(2026, 3, 16, 10, 15)
SAMPLE_SERVICE = "A free home visit to check smoke alarms and talk through fire risks."
SAMPLE_AGENCIES = [
    Agency(SAMPLE_PARTNER, SAMPLE_REFERENCE, uk_day(SAMPLE_CONTACT_DUE)),
    Agency("NHS Falls Prevention Service", f"{SAMPLE_SUBMISSION}-02", uk_day(SAMPLE_CONTACT_DUE)),
    Agency("Silver Line Befriending", f"{SAMPLE_SUBMISSION}-03", uk_day(SAMPLE_CONTACT_DUE)),
]
SAMPLE_HUB = "Age UK Lambeth and Southwark (SAIL hub)"
SAMPLE_REFERRER = "Sam Okafor"


def _sample_link() -> str:
    return current_app.config["HUB_BASE_URL"] + "/partner/links/sample-signed-link"


def _sample_flags() -> list[Flag]:
    return [Flag(agency.reference, agency.name) for agency in SAMPLE_AGENCIES]


def samples() -> dict[tuple[str, str], Rendered]:
    """Each registered kind and channel, rendered with made-up values. Needs only an
    application context."""
    link = _sample_link()
    questionnaire = submitted_questionnaire_url(1234)
    referral_page = hub_referral_url(5678)
    return {
        ("referral_forwarded", EMAIL): referral_forwarded_email(
            SAMPLE_REFERENCE, SAMPLE_PARTNER, SAMPLE_QUESTION, SAMPLE_CONTACT_DUE, link, True
        ),
        ("referral_forwarded", SMS): referral_forwarded_sms(
            SAMPLE_REFERENCE, SAMPLE_SERVICE, SAMPLE_CONTACT_DUE, link
        ),
        ("referral_cancelled", EMAIL): referral_cancelled_email(SAMPLE_REFERENCE, SAMPLE_PARTNER),
        ("hub_note", EMAIL): hub_note_email(SAMPLE_REFERENCE, SAMPLE_PARTNER, link),
        ("partner_link_code", EMAIL): partner_link_code_email(
            SAMPLE_REFERENCE, SAMPLE_PARTNER, "482913", SAMPLE_NOW + timedelta(minutes=15)
        ),
        ("referrer_forwarded", EMAIL): referrer_forwarded_email(
            SAMPLE_SUBMISSION, SAMPLE_AGENCIES, questionnaire
        ),
        ("referrer_all_closed", EMAIL): referrer_all_closed_email(SAMPLE_SUBMISSION, questionnaire),
        ("client_forwarded", SMS): client_forwarded_sms(
            SAMPLE_SUBMISSION, SAMPLE_AGENCIES, SAMPLE_HUB
        ),
        ("client_forwarded", EMAIL): client_forwarded_email(
            SAMPLE_SUBMISSION, SAMPLE_AGENCIES, SAMPLE_HUB
        ),
        ("failed_digest", EMAIL): failed_digest_email(
            3,
            SAMPLE_NOW - timedelta(hours=1),
            [
                FailedLine(2, KINDS["referral_forwarded"].about, "SMS"),
                FailedLine(1, KINDS["partner_chase"].about, "email"),
            ],
            [SAMPLE_REFERENCE, "SAIL-7K3Q-PX-2"],
            0,
            failed_messages_url(),
        ),
        ("failed_digest", SMS): failed_digest_sms(
            3, SAMPLE_NOW - timedelta(hours=1), True, failed_messages_url()
        ),
        ("forward_warning", EMAIL): forward_warning_email(
            SAMPLE_SUBMISSION, _sample_flags(), SAMPLE_NOW + timedelta(hours=4), hub_queue_url()
        ),
        ("forward_overdue", EMAIL): forward_overdue_email(
            SAMPLE_SUBMISSION, _sample_flags(), SAMPLE_NOW, hub_queue_url()
        ),
        ("partner_chase", EMAIL): partner_chase_email(
            SAMPLE_REFERENCE, SAMPLE_PARTNER, SAMPLE_CONTACT_DUE, 7, link
        ),
        ("partner_chase", SMS): partner_chase_sms(SAMPLE_REFERENCE, SAMPLE_CONTACT_DUE, link),
        ("contact_overdue", EMAIL): contact_overdue_email(
            SAMPLE_REFERENCE,
            SAMPLE_PARTNER,
            SAMPLE_CONTACT_DUE,
            SAMPLE_CONTACT_DUE - timedelta(days=14),
            2,
            referral_page,
        ),
        ("follow_ups_due", EMAIL): follow_ups_due_email(
            4,
            [
                DueFollowUp(f"SAIL-{code}", uk_day(SAMPLE_NOW - timedelta(days=days)))
                for code, days in (("2D8M-QT", 2), ("7K3Q-PX", 0), ("9H4R-WB", 0))
            ],
            follow_ups_url(),
        ),
        ("partner_digest", EMAIL): partner_digest_email(
            SAMPLE_PARTNER, uk_day(SAMPLE_NOW), 2, 3, 1, partner_inbox_url()
        ),
        ("account_invite", EMAIL): account_link_email(
            "account_invite",
            set_password_url("sample-link"),
            72,
            SAMPLE_NOW + timedelta(hours=72),
        ),
        ("password_reset", EMAIL): account_link_email(
            "password_reset", set_password_url("sample-link"), 2, SAMPLE_NOW + timedelta(hours=2)
        ),
    }


def previews() -> list[Preview]:
    """One sample of every registered kind on every channel it goes by, in the registry's
    order, with who gets it and when from the registry. Needs only an application context."""
    rendered = samples()
    return [
        Preview(
            kind.name,
            channel,
            kind.audience,
            when,
            rendered[kind.name, channel].subject,
            rendered[kind.name, channel].body,
            rendered[kind.name, channel].html,
        )
        for kind in KINDS.values()
        for channel, when in kind.channels.items()
    ]
