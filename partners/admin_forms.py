"""The admins' form for a partner agency (``/admin/partners``). It only collects what was typed
and chosen: ``partners.agencies.check`` says what is wrong, by field, as for the admin API."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import RadioField, SelectMultipleField, StringField, TextAreaField

from hub.forms import HubForm
from hub.models import Organisation
from hub.referrals.client_details import display_phone

try:  # WTForms 3.3 declares options as SelectChoice and deprecates plain tuples
    from wtforms import SelectChoice
except ImportError:  # pragma: no cover - WTForms before 3.3

    def SelectChoice(value, label):  # noqa: N802
        return (value, label)


YES, NO = "yes", "no"


def _yes_no(label: str, yes: str, no: str, hint: str = "") -> RadioField:
    return RadioField(
        label,
        description=hint,
        choices=[SelectChoice(YES, yes), SelectChoice(NO, no)],
        default=YES,
        widget=GovRadioInput(),
        validate_choice=False,
    )


class PartnerAgencyForm(HubForm):
    name = StringField("Name", widget=GovTextInput())
    description = TextAreaField(
        "Description (optional)",
        description="What the agency does, in a sentence or two. Referrers and the public "
        "directory see it.",
        widget=GovTextArea(),
    )
    referral_email = StringField(
        "Referral email address",
        description="Where the hub sends this agency its referrals.",
        widget=GovTextInput(),
    )
    sms_number = StringField(
        "SMS duty number (optional)",
        description="A UK mobile, like 07911 123456, that is told of each new referral by text.",
        widget=GovTextInput(),
    )
    sms_private = RadioField(
        "Who may see the SMS duty number?",
        choices=[
            SelectChoice(YES, "Private: only the hub uses it"),
            SelectChoice(NO, "Published in the hub’s Open Referral UK directory"),
        ],
        default=YES,
        widget=GovRadioInput(),
        validate_choice=False,
    )
    url = StringField("Website (optional)", widget=GovTextInput())
    areas = SelectMultipleField(
        "Areas the agency covers",
        description="Select all that apply.",
        widget=GovCheckboxesInput(),
        validate_choice=False,
    )
    taking_referrals = _yes_no(
        "Is the agency taking referrals?",
        "Yes, taking referrals",
        "No, paused",
        "A paused agency’s new referrals wait at the hub to be re-routed.",
    )
    active = _yes_no("Is the agency active?", "Active", "Inactive: no longer a partner")

    def set_areas(self, areas) -> None:
        self.areas.choices = [SelectChoice(area.slug, area.name) for area in areas]

    def fill_from(self, partner: Organisation) -> None:
        """The agency's details as they are, for its edit page."""
        for field in ("name", "description", "referral_email", "url"):
            getattr(self, field).data = getattr(partner, field) or ""
        self.sms_number.data = _national(partner.sms_number)
        self.areas.data = [area.slug for area in partner.areas]
        for flag in ("sms_private", "taking_referrals", "active"):
            getattr(self, flag).data = YES if getattr(partner, flag) else NO

    def values(self) -> dict:
        """What was typed and chosen, for ``partners.agencies``."""
        return {
            "name": self.name.data or "",
            "description": self.description.data or "",
            "referral_email": self.referral_email.data or "",
            "sms_number": self.sms_number.data or "",
            "sms_private": self.sms_private.data != NO,
            "url": self.url.data or "",
            "areas": list(self.areas.data or []),
            "taking_referrals": self.taking_referrals.data != NO,
            "active": self.active.data != NO,
        }

    def show_errors(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            field = getattr(self, name, None)
            if field is not None:
                field.errors = [message]


def _national(number: str | None) -> str:
    return display_phone(number)
