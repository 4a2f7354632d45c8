"""Forms on the hub's follow-up pages: recording the call, and referring the client again."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovRadioInput, GovTextArea
from wtforms import RadioField, SelectChoice, SelectMultipleField, TextAreaField

from hub.frontline.forms import NO, YES, HubForm, WellbeingForm
from hub.labels import NEEDS_MET_LABELS
from hub.models import WELLBEING_QUESTIONS, Organisation
from hub.referrals.follow_ups import ReferAgainOption

FIELD_ORDER = ("needs_met", "helped", "notes", "wellbeing_agreed", *WELLBEING_QUESTIONS)


class FollowUpForm(WellbeingForm):
    # Asked at the follow-up itself: the hint says what the answers are compared with, not
    # (as on the questionnaire) that a follow-up will come.
    wellbeing_agreed = RadioField(
        WellbeingForm.wellbeing_agreed.args[0],
        choices=[SelectChoice(YES, "Yes"), SelectChoice(NO, "No")],
        description="The same four questions the client was asked with the questionnaire, "
        "to see what has changed since.",
        validate_choice=False,
        widget=GovRadioInput(),
    )
    needs_met = RadioField(
        "Were the client’s needs met?",
        choices=[SelectChoice(value, label) for value, label in NEEDS_MET_LABELS.items()],
        validate_choice=False,  # hub.referrals.follow_ups says what is wrong, as for the API
        widget=GovRadioInput(),
    )
    helped = SelectMultipleField(
        "Which agencies helped?",
        description="Select all that apply.",
        choices=[],
        validate_choice=False,
        widget=GovCheckboxesInput(),
    )
    notes = TextAreaField(
        "Notes (optional)",
        description="For example, what the client said about each agency.",
        widget=GovTextArea(),
    )

    def set_partners(self, partners: list[Organisation]) -> None:
        self.helped.choices = [SelectChoice(p.slug, p.name) for p in partners]

    def clean(self) -> tuple[bool, dict[str, int] | None]:
        """Whether the client agreed to the wellbeing questions, and their scores; problems
        with the wellbeing answers go on their fields (the rest are for
        hub.referrals.follow_ups)."""
        self.validate()
        return self.clean_wellbeing()

    def add_errors(self, errors: dict[str, str]) -> None:
        """hub.referrals.follow_ups' problems (``needs_met``, ``wellbeing.happy``...) on their
        fields."""
        for name, message in errors.items():
            field = self[name.removeprefix("wellbeing.")] if name != "wellbeing" else None
            field = field or self.wellbeing_agreed
            if not field.errors:
                field.errors = [message]

    def error_summary(self) -> dict:
        """In the order the page asks the questions."""
        return {
            "titleText": "There is a problem",
            "errorList": [
                {"text": self[name].errors[0], "href": f"#{self[name].id}"}
                for name in FIELD_ORDER
                if self[name].errors
            ],
        }


class ReferAgainForm(HubForm):
    questions = SelectMultipleField(
        "Which needs should the hub refer the client for?",
        description="Each goes to the agency shown, as a new referral for the hub to forward "
        "within 24 hours.",
        choices=[],
        validate_choice=False,
        widget=GovCheckboxesInput(),
    )

    def set_options(self, options: list[ReferAgainOption]) -> None:
        self.questions.choices = [
            SelectChoice(option.key, option.text)
            for option in options
            if option.open_referral is None
        ]


__all__ = ["FollowUpForm", "ReferAgainForm"]
