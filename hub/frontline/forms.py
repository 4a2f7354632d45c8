"""Forms for the frontline pages. A section's form is built from the questionnaire definition."""

from __future__ import annotations

from datetime import date

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovDateInput,
    GovRadioInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    Field,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, ValidationError

from hub.areas import CHOSEN
from hub.forms import HubForm
from hub.labels import CONTACT_PREFERENCE_LABELS
from hub.models import WELLBEING_QUESTIONS
from hub.referrals.client_details import ClientDetails, clean_client_details, display_phone
from hub.referrals.wellbeing import (
    HIGHEST_SCORE,
    LOWEST_SCORE,
    WELLBEING_SCALE,
    WELLBEING_TEXT,
    clean_wellbeing,
)
from questionnaires import Questionnaire, Section

try:  # WTForms 3.3 declares options as SelectChoice and deprecates plain tuples
    from wtforms import SelectChoice
except ImportError:  # pragma: no cover - WTForms before 3.3

    def SelectChoice(value, label):  # noqa: N802
        return (value, label)


YES, NO = "yes", "no"
OTHER_BOROUGH = "other"  # clean_client_details records it as "no borough of ours"
REAL_DATE = "Date of birth must be a real date"


class DateOfBirthField(Field):
    """Day, month and year boxes. A date that cannot exist is an error here, not a guess."""

    widget = GovDateInput()

    def process_data(self, value):
        self.data = value
        if isinstance(value, date):
            self.raw_data = [str(value.day), str(value.month), str(value.year)]

    def _value(self) -> str:
        return ""  # the widget reads raw_data (or data) itself

    def process_formdata(self, valuelist):
        parts = [(part or "").strip() for part in (list(valuelist) + ["", "", ""])[:3]]
        self.raw_data = parts  # what was typed comes back, even when it is wrong
        self.data = None
        if not any(parts):
            return
        day, month, year = parts
        if not (day.isdigit() and month.isdigit() and year.isdigit() and len(year) == 4):
            raise ValueError(REAL_DATE)
        try:
            self.data = date(int(year), int(month), int(day))
        except ValueError:
            raise ValueError(REAL_DATE) from None


def _text(label: str, hint: str | None = None) -> StringField:
    return StringField(label, description=hint or "", widget=GovTextInput())


class StartForm(HubForm):
    questionnaire = RadioField(
        "Which questionnaire are you completing?",
        coerce=int,
        widget=GovRadioInput(),
        invalid_value_message="Select the questionnaire you are completing",
        invalid_choice_message="Select the questionnaire you are completing",
    )

    def set_choices(self, versions) -> None:
        self.questionnaire.choices = [SelectChoice(v.id, v.title) for v in versions]


class ClientDetailsForm(HubForm):
    given_name = _text("First name")
    family_name = _text("Last name")
    date_of_birth = DateOfBirthField("Date of birth", description="For example, 27 3 1942")
    address = TextAreaField(
        "Address", description="Do not include the postcode", widget=GovTextArea()
    )
    postcode = _text("Postcode")
    borough = RadioField(
        "Which borough do they live in? (optional)",
        description="Some answers go to a service in the client’s own borough. Leave this "
        "blank and the hub finds the borough from the postcode.",
        validate_choice=False,  # clean_client_details says what is wrong, as for the API
        widget=GovRadioInput(),
    )
    phone = _text(
        "Phone number",
        "A UK landline or mobile. Give a phone number, an email address or both.",
    )
    email = _text("Email address (optional if you give a phone number)")
    preferred_contact = RadioField(
        "How do they prefer to be contacted?",
        choices=[SelectChoice(value, label) for value, label in CONTACT_PREFERENCE_LABELS.items()],
        validate_choice=False,  # clean_client_details says what is wrong, as for the API
        widget=GovRadioInput(),
    )
    contact_times = _text(
        "Best times to contact them (optional)", "For example, weekday mornings, not Fridays"
    )

    def set_boroughs(self, definition: Questionnaire) -> None:
        self.borough.choices = [
            *(SelectChoice(slug, definition.borough_name(slug)) for slug in definition.boroughs),
            SelectChoice(OTHER_BOROUGH, "Another borough"),
        ]

    def clean(self, today: date, boroughs: tuple[str, ...]) -> ClientDetails | None:
        """Details by the API's own rules, or None with every problem on its field."""
        self.validate()
        details, problems = clean_client_details(self._typed(), today, boroughs)
        for name, message in problems.items():
            field = self[name]
            if not field.errors:
                field.errors = [message]
        return None if self.errors else details

    def _typed(self) -> dict:
        return {
            "given_name": self.given_name.data,
            "family_name": self.family_name.data,
            "date_of_birth": self.date_of_birth.data,
            "address": self.address.data,
            "postcode": self.postcode.data,
            "borough": self.borough.data,
            "phone": self.phone.data,
            "email": self.email.data,
            "preferred_contact": self.preferred_contact.data,
            "contact_times": self.contact_times.data,
        }

    def chosen(self) -> str | None:
        """The borough the worker chose ("other" for none of ours), or None to find it from
        the postcode."""
        return (self.borough.data or "").strip().lower() or None

    @staticmethod
    def saved_as_data(saved: dict | None) -> dict:
        """Saved details (see drafts.saved_client) as the form shows them."""
        if not saved:
            return {}
        return {
            **saved,
            "borough": chosen_borough(saved),
            "phone": display_phone(saved.get("phone")),
            "email": saved.get("email") or "",
            "contact_times": saved.get("contact_times") or "",
        }


def chosen_borough(saved: dict) -> str | None:
    """The radio to show ticked for saved details: the borough the worker chose, none when it
    was found from the postcode (so a new postcode finds it again)."""
    if saved.get("borough_source", CHOSEN) != CHOSEN:
        return None
    return saved.get("borough") or OTHER_BOROUGH


NONE_OF_THESE = "none"
SECTION_ERROR = "Select which of these apply, or None of these"
BOTH_ERROR = "Select which of these apply, or None of these, not both"


class SectionForm(HubForm):
    """One section as a single "Which of these apply?" question: a checkbox per question and an
    exclusive "None of these". ``answers()`` gives yes/no per question, as the engine takes them
    (unticked is no)."""

    section: Section
    applies = SelectMultipleField(
        "Which of these apply?",
        validate_choice=False,  # a key not in the section is simply not a yes
    )

    def validate_applies(self, field) -> None:
        ticked = set(field.data or ())
        if not ticked:
            raise ValidationError(SECTION_ERROR)
        # Without JavaScript "None of these" does not untick the others.
        if NONE_OF_THESE in ticked and ticked & {q.key for q in self.section.questions}:
            raise ValidationError(BOTH_ERROR)

    def answers(self) -> dict[str, bool]:
        ticked = set(self.applies.data or ())
        return {q.key: q.key in ticked for q in self.section.questions}

    def error_summary(self) -> dict:
        """The one error, linking to the first checkbox (its id is the first question's key)."""
        return {
            "titleText": "There is a problem",
            "errorList": [
                {"text": self.applies.errors[0], "href": f"#{self.section.questions[0].key}"}
            ]
            if self.applies.errors
            else [],
        }


def section_form(section: Section, answers: dict[str, bool] | None = None) -> SectionForm:
    """A form for one section; ``answers`` (saved yes/no per question) fills it in: the "yes"
    questions ticked, or "None of these" when the whole section was answered no."""
    form_class = type(f"{section.key.title().replace('_', '')}Form", (SectionForm,), {})
    form_class.section = section
    answers = answers or {}
    keys = [q.key for q in section.questions]
    if not all(key in answers for key in keys):
        return form_class()
    ticked = [key for key in keys if answers[key]] or [NONE_OF_THESE]
    return form_class(data={"applies": ticked})


class ConsentForm(HubForm):
    consent = BooleanField(
        "The client agrees to share their details with these agencies",
        widget=GovCheckboxInput(),
        validators=[
            InputRequired(
                message="Confirm that the client agrees to share their details with these agencies"
            )
        ],
    )


# --- The ONS wellbeing questions (also asked at the hub's follow-up) ---------------------------

SCORE_CHOICES = [SelectChoice(str(n), str(n)) for n in range(LOWEST_SCORE, HIGHEST_SCORE + 1)]
AGREED_MESSAGE = "Select yes if the client agreed to answer the wellbeing questions, or no"


def _score_field(key: str) -> RadioField:
    return RadioField(
        WELLBEING_TEXT[key],
        choices=SCORE_CHOICES,
        description=f"Where {WELLBEING_SCALE}.",
        validate_choice=False,  # clean_wellbeing judges, as for the API
        widget=GovRadioInput(),
    )


class WellbeingForm(HubForm):
    """Whether the client agreed to the four ONS wellbeing questions, and their answers. The
    questions are always shown (a conditional reveal fails axe: see docs/decisions.md); the
    answers count only when the client agreed."""

    wellbeing_agreed = RadioField(
        "Does the client agree to answer four questions about their wellbeing?",
        choices=[SelectChoice(YES, "Yes"), SelectChoice(NO, "No")],
        description="The same four questions are asked again at the hub’s follow-up, about "
        "four weeks on, to see what has changed.",
        validate_choice=False,
        widget=GovRadioInput(),
    )
    life_satisfaction = _score_field("life_satisfaction")
    worthwhile = _score_field("worthwhile")
    happy = _score_field("happy")
    anxious = _score_field("anxious")

    def clean_wellbeing(self) -> tuple[bool, dict[str, int] | None]:
        """(agreed, scores); every problem goes on its field. Scores given when the client did
        not agree are left out: a radio once chosen cannot be cleared."""
        agreed = self.wellbeing_agreed.data
        if agreed not in (YES, NO):
            self.wellbeing_agreed.errors = [AGREED_MESSAGE]
            return False, None
        if agreed == NO:
            return False, None
        scores, problems = clean_wellbeing({key: self[key].data for key in WELLBEING_QUESTIONS})
        if scores is None and not problems:
            problems = dict.fromkeys(WELLBEING_QUESTIONS, "")
        for key in problems:
            self[key].errors = [f"Select a score from 0 to 10 for “{WELLBEING_TEXT[key]}”"]
        return True, scores

    @staticmethod
    def saved_as_data(saved: dict | None) -> dict:
        """Saved answers (``{"agreed", "scores"}``) as the form shows them."""
        if not saved:
            return {}
        scores = saved.get("scores") or {}
        return {
            "wellbeing_agreed": YES if saved.get("agreed") else NO,
            **{key: str(value) for key, value in scores.items()},
        }

    def passed_by(self) -> bool:
        """Nothing chosen at all: the page is optional, so this is the worker moving on without
        asking (check your answers says "Not asked" and offers the page again)."""
        return not self.wellbeing_agreed.data and not any(
            self[key].data for key in WELLBEING_QUESTIONS
        )

    def clean(self) -> tuple[bool, dict[str, int] | None] | None:
        """(agreed, scores), or None with every problem on its field."""
        self.validate()
        agreed, scores = self.clean_wellbeing()
        return None if self.errors else (agreed, scores)
