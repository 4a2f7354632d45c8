"""Forms for the partner portal's actions on a referral.

A moment is a day, chosen as "Today", "Yesterday" or another date typed as a GOV.UK date (day,
month, year), and a time, in UK time; the form opens on today at the time it was shown, so what
just happened needs no typing. ``moment()`` gives it as naive UTC, as the hub stores times.
Whether it is in the past and after the referral was forwarded is for
``hub.referrals.lifecycle`` to say.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from govuk_frontend_wtf.wtforms_widgets import (
    GovDateInput,
    GovRadioInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import Field, RadioField, StringField, TextAreaField
from wtforms.validators import (
    InputRequired,
    Optional,
    StopValidation,
    ValidationError,
)

from hub.clock import LONDON, in_london, to_utc_naive
from hub.forms import HubForm
from hub.labels import CONTACT_METHOD_LABELS, OUTCOME_LABELS
from hub.models import CONTACT_METHODS
from hub.referrals.decline_reasons import DECLINE_REASONS, OTHER
from hub.status import PARTNER_OUTCOMES

try:  # WTForms 3.3 declares options as SelectChoice and deprecates plain tuples
    from wtforms import SelectChoice
except ImportError:  # pragma: no cover - WTForms before 3.3

    def SelectChoice(value, label):  # noqa: N802
        return (value, label)


YES, NO = "yes", "no"
TODAY, YESTERDAY, ANOTHER_DAY = "today", "yesterday", "another"
TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*([ap])?\.?m?\.?$")


PartnerForm = HubForm  # the partner portal's forms share the hub's error summary


class DayMonthYearField(Field):
    """Day, month and year boxes; what was typed comes back, even when it is wrong."""

    widget = GovDateInput()

    def __init__(self, label, what: str, **kwargs):
        super().__init__(label, **kwargs)
        self.what = what  # "the attempt", for messages

    def _value(self) -> str:
        return ""  # the widget reads raw_data itself

    def process_formdata(self, valuelist):
        parts = [(part or "").strip() for part in (list(valuelist) + ["", "", ""])[:3]]
        self.raw_data = parts
        self.data = None
        if not any(parts):
            raise ValueError(f"Enter the date of {self.what}")
        day, month, year = parts
        missing = [
            name for name, part in zip(("day", "month", "year"), parts, strict=True) if not part
        ]
        if missing:
            raise ValueError(f"The date of {self.what} must include a {missing[0]}")
        if not (day.isdigit() and month.isdigit() and year.isdigit() and len(year) == 4):
            raise ValueError(f"The date of {self.what} must be a real date")
        try:
            self.data = date(int(year), int(month), int(day))
        except ValueError:
            raise ValueError(f"The date of {self.what} must be a real date") from None

    def pre_validate(self, form):
        if self.raw_data is None:  # not sent at all
            self.raw_data = ["", "", ""]
            raise StopValidation(f"Enter the date of {self.what}")


def parse_time(text: str) -> time | None:
    """ "14:30", "9.05", "2pm", "2:30pm", "midday"; None if it is not a time of day."""
    text = text.strip().lower().replace(" ", "")
    if text in ("midday", "noon", "12noon"):
        return time(12, 0)
    if text == "midnight":
        return time(0, 0)
    match = TIME.match(text)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    half = match.group(3)
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "p" else 0)
    elif match.group(2) is None:
        return None  # "14" alone is too easily a mistake
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


class MomentForm(PartnerForm):
    """A form that asks when something happened: a day and a time, in UK time. Call
    ``as_of(now)`` before validating: it says what today is and, on a form not yet sent, fills
    in today and the time now."""

    WHAT = "it"
    _today: date | None = None

    def as_of(self, now: datetime) -> MomentForm:
        local = in_london(now)
        self._today = local.date()
        if not self.is_submitted():
            self.day.data = TODAY
            self.when.data = self._today
            self.time.data = local.strftime("%H:%M")
        return self

    def chosen_day(self) -> str:
        """Today, yesterday or another day; a form sent without the choice (by a page or a
        script from before it) typed the date."""
        return self.day.data or ANOTHER_DAY

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.chosen_day() != ANOTHER_DAY and self.when.errors:
            self.when.errors = []  # the date boxes were not used
            self._errors = None
            valid = not any(field.errors for field in self)
        return valid

    def validate_day(self, field):
        if field.data not in (None, TODAY, YESTERDAY, ANOTHER_DAY):
            raise ValidationError(f"Select the day of {self.WHAT}")

    def moment(self) -> datetime:
        """The day and time given, as naive UTC (call after validating)."""
        day = {TODAY: self._today, YESTERDAY: self._today - timedelta(days=1)}.get(
            self.chosen_day(), self.when.data
        )
        local = datetime.combine(day, parse_time(self.time.data), tzinfo=LONDON)
        return to_utc_naive(local)

    def validate_time(self, field):
        if not (field.data or "").strip():
            raise ValidationError(f"Enter the time of {self.WHAT}, for example 14:30")
        if parse_time(field.data) is None:
            raise ValidationError(f"Enter the time of {self.WHAT} as a time of day, like 14:30")


def _day(what: str) -> RadioField:
    return RadioField(
        f"Day of {what}",
        choices=[
            SelectChoice(TODAY, "Today"),
            SelectChoice(YESTERDAY, "Yesterday"),
            SelectChoice(ANOTHER_DAY, "Another day"),
        ],
        widget=GovRadioInput(),
        validate_choice=False,  # ``validate_day``: a form sent without it typed the date
    )


def _when(what: str) -> DayMonthYearField:
    return DayMonthYearField(f"Date of {what}", what=what, description="For example, 27 3 2026")


def _time(what: str) -> StringField:
    return StringField(
        "Time",
        description="UK time, using the 24-hour clock, for example 14:30",
        widget=GovTextInput(),
    )


def _notes(label: str, hint: str) -> TextAreaField:
    return TextAreaField(
        label,
        description=hint,
        widget=GovTextArea(),
        validators=[
            Optional(),
        ],
    )


class AttemptForm(MomentForm):
    WHAT = "the attempt"

    day = _day(WHAT)
    when = _when(WHAT)
    time = _time(WHAT)
    method = RadioField(
        "How did you try to contact them?",
        choices=[SelectChoice(method, CONTACT_METHOD_LABELS[method]) for method in CONTACT_METHODS],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select how you tried to contact the client")],
        invalid_choice_message="Select how you tried to contact the client",
    )
    reached = RadioField(
        "Did it reach the client?",
        description="Yes if you spoke with them or they replied. "
        "That records contact with the client.",
        choices=[SelectChoice(YES, "Yes"), SelectChoice(NO, "No")],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select yes if the attempt reached the client")],
        invalid_choice_message="Select yes if the attempt reached the client",
    )
    notes = _notes(
        "Notes (optional)", "For example, left a voicemail, or the number was not in use"
    )

    def reached_client(self) -> bool:
        return self.reached.data == YES


class ContactForm(MomentForm):
    WHAT = "the contact"

    day = _day(WHAT)
    when = _when(WHAT)
    time = _time(WHAT)
    notes = _notes("Notes (optional)", "For example, what you agreed with the client")


class CloseForm(PartnerForm):
    outcome = RadioField(
        "What was the outcome?",
        # Every outcome is accepted here; the lifecycle refuses one the referral's stage does
        # not allow, and the page offers only those it does.
        choices=[SelectChoice(outcome, OUTCOME_LABELS[outcome]) for outcome in PARTNER_OUTCOMES],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select the outcome of the referral")],
        invalid_choice_message="Select the outcome of the referral",
    )
    notes = _notes(
        "Notes (optional)",
        "For example, what service you provided. The person who referred the client sees the "
        "outcome but not your notes.",
    )

    def offer(self, outcomes: tuple[str, ...], hints: dict[str, str]) -> None:
        """Show only these outcomes, each with its hint (see ``outcome_items``)."""
        self.outcome.choices = [SelectChoice(o, OUTCOME_LABELS[o]) for o in outcomes]
        self._offered = outcomes
        self._hints = hints

    def outcome_items(self) -> list[dict]:
        """Per offered outcome, what the radios add to it: its hint, if it has one."""
        return [
            {"hint": {"text": self._hints[o]}} if o in self._hints else {} for o in self._offered
        ]


class DeclineForm(PartnerForm):
    reason_code = RadioField(
        "Why are you declining this referral?",
        description="The hub reads this when it looks for another service for the client.",
        choices=[SelectChoice(code, label) for code, label in DECLINE_REASONS.items()],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select why you are declining this referral")],
        invalid_choice_message="Select why you are declining this referral",
    )
    reason = TextAreaField(
        "Give the reason, if other",
        description="For example, the client needs a service we do not offer.",
        widget=GovTextArea(),
    )

    def validate_reason(self, field):
        if self.reason_code.data == OTHER and not (field.data or "").strip():
            raise ValidationError("Enter why you are declining this referral")
