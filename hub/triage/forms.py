"""Forms on the hub's triage pages: the queue's filters and the actions on a referral."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from hub.filters import london_date
from hub.forms import HubForm
from hub.labels import STATUS_TAGS
from hub.models import Organisation
from hub.referrals import search
from hub.referrals.consent import LookAlike
from hub.status import Status
from hub.triage.queries import ALL, DECLINED_WAITING, OPEN, PARTNER_PAUSED, QueueFilters

STATUS_CHOICES = [
    SelectChoice(Status.RECEIVED, "Waiting to be forwarded"),
    *[
        SelectChoice(status, label)
        for status, (label, _) in STATUS_TAGS.items()
        if status != Status.RECEIVED
    ],
    SelectChoice(DECLINED_WAITING, "Declined, waiting for the hub"),
    SelectChoice(PARTNER_PAUSED, "Waiting: partner paused, re-route it"),
    SelectChoice(OPEN, "Any open status"),
    SelectChoice(ALL, "Any status"),
]
ANY_PARTNER = SelectChoice("", "All partners")


class QueueFilterForm(HubForm):
    """The queue's filters: a GET form, so a filtered list can be bookmarked and shared."""

    class Meta:
        csrf = False

    q = StringField(
        "Search referrals",
        description="A reference, the client’s name, their date of birth (like 1941-05-17) or "
        "their postcode",
        widget=GovTextInput(),
        validators=[
            Length(
                max=search.MAX_LENGTH,
                message=f"Search for at most {search.MAX_LENGTH} characters",
            )
        ],
    )
    status = SelectField(
        "Status", choices=STATUS_CHOICES, default=Status.RECEIVED, widget=GovSelect()
    )
    partner = SelectField("Partner", choices=[ANY_PARTNER], default="", widget=GovSelect())
    overdue = BooleanField("Only show overdue referrals", widget=GovCheckboxInput())

    def __init__(self, formdata, partners: list[Organisation]):
        super().__init__(formdata=formdata)
        # A search from the search box alone looks through every status.
        self._status_chosen = formdata is not None and "status" in formdata
        self._partners = {partner.slug: partner for partner in partners}
        self.partner.choices = [ANY_PARTNER] + [SelectChoice(p.slug, p.name) for p in partners]

    def chosen(self) -> QueueFilters:
        """The filters asked for; a value that is not one of the choices counts as the default."""
        self.validate()
        for field, message in (
            (self.status, "Select a status from the list"),
            (self.partner, "Select a partner from the list"),
        ):
            if field.errors:
                field.errors = [message]
                field.data = field.default
        q = "" if self.q.errors else search.clean(self.q.data)  # shown again, but not searched
        if q and not self._status_chosen:
            self.status.data = ALL
        return QueueFilters(
            status=self.status.data,
            partner=self._partners.get(self.partner.data),
            overdue=bool(self.overdue.data),
            q=q,
        )

    def query_args(self) -> dict[str, str]:
        """The filters as query-string arguments, for pagination links."""
        args = {"status": self.status.data}
        if self.q.data and not self.q.errors:
            args["q"] = self.q.data
        if self.partner.data:
            args["partner"] = self.partner.data
        if self.overdue.data:
            args["overdue"] = "y"
        return args


class CancelForm(HubForm):
    reason = TextAreaField(
        "Why are you cancelling this referral?",
        description="For example, the client withdrew consent, or it duplicates another referral. "
        "The reason is kept in the referral’s history.",
        widget=GovTextArea(),
        validators=[
            DataRequired(message="Enter why you are cancelling this referral"),
        ],
    )


class NoteForm(HubForm):
    note = TextAreaField(
        "Add a note",
        description="For example, that you phoned the client to confirm. Notes are kept in the "
        "referral’s history and do not change its status.",
        widget=GovTextArea(),
        validators=[
            DataRequired(message="Enter a note"),
        ],
    )
    for_partner = BooleanField(
        "For the partner: show this note on their page for the referral",
        description="Other notes are seen by hub staff only. The partner is emailed that there "
        "is a note if it has been sent the referral.",
        widget=GovCheckboxInput(),
    )


class ChangePartnerForm(HubForm):
    """Send a referral still at the hub to another partner before forwarding it. ``seen`` is
    the partner the page showed, so a change made meanwhile in another tab is refused."""

    partner = RadioField(
        "Which partner should this referral go to?",
        description="The partners that take this need for the client’s borough, or that "
        "cover it, and are taking referrals.",
        choices=[],
        validate_choice=False,  # validate_partner says what is wrong in words
        widget=GovRadioInput(),
        validators=[DataRequired(message="Select the partner to send this referral to")],
    )
    note = TextAreaField(
        "Note (optional)",
        description="For example, why this partner suits the client better. The note is kept "
        "in the referral’s history, for hub staff.",
        widget=GovTextArea(),
        validators=[Optional()],
    )
    seen = HiddenField()

    def __init__(self, partners: list[Organisation], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.partner.choices = [SelectChoice(partner.slug, partner.name) for partner in partners]
        self._slugs = {partner.slug for partner in partners}

    def validate_partner(self, field):
        if field.data and field.data not in self._slugs:
            raise ValidationError("Select a partner from the list")


class RerouteForm(HubForm):
    """Send a declined referral to another partner agency."""

    partner = SelectField(
        "Which partner should this referral go to instead?",
        choices=[],
        widget=GovSelect(),
        validate_choice=False,  # validate_partner says what is wrong in words
        validators=[DataRequired(message="Select the partner to re-route this referral to")],
    )
    note = TextAreaField(
        "Note (optional)",
        description="For example, why this partner suits better. The note is kept in the "
        "referral’s history.",
        widget=GovTextArea(),
        validators=[
            Optional(),
        ],
    )

    def __init__(self, partners: list[Organisation], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.partner.choices = [SelectChoice("", "Select a partner")] + [
            SelectChoice(partner.slug, partner.name) for partner in partners
        ]
        self._slugs = {partner.slug for partner in partners}

    def validate_partner(self, field):
        if field.data and field.data not in self._slugs:
            raise ValidationError("Select a partner from the list")


class CloseDeclinedForm(HubForm):
    notes = TextAreaField(
        "Notes (optional)",
        description="For example, which services you considered. The notes are kept in the "
        "referral’s history.",
        widget=GovTextArea(),
        validators=[
            Optional(),
        ],
    )


class ReopenForm(HubForm):
    note = TextAreaField(
        "Why are you reopening this referral?",
        description="For example, the client phoned to say the visit never happened. The note "
        "and the outcome it had are kept in the referral’s history.",
        widget=GovTextArea(),
        validators=[
            DataRequired(message="Enter why you are reopening this referral"),
        ],
    )


class WithdrawConsentForm(HubForm):
    """The reason, and which other questionnaires for the same name and date of birth hub staff
    confirm are the same person (``offer`` sets them; none is ticked to begin with)."""

    same_person = SelectMultipleField(
        "Which of these are about the same person?",
        description="Tick only those you have confirmed are this client, for example by their "
        "address or by asking the referrer (those confirmed on the person’s record are ticked "
        "already). Their open referrals will be cancelled too.",
        choices=[],
        coerce=int,
        validate_choice=False,  # checked below, in words
        widget=GovCheckboxesInput(),
    )
    reason = TextAreaField(
        "How did the client withdraw consent?",
        description="For example, who they told and when. The reason is kept in the history of "
        "each referral cancelled, where the partners concerned can see it.",
        widget=GovTextArea(),
        validators=[
            DataRequired(message="Enter how the client withdrew consent"),
        ],
    )

    def offer(self, look_alikes: list[LookAlike]) -> None:
        self.same_person.choices = [
            SelectChoice(
                each.submission.id,
                f"{each.submission.reference}, received {london_date(each.submission.received_at)}"
                f" from {each.submission.referrer_organisation.name}",
            )
            for each in look_alikes
        ]

    def validate_same_person(self, field) -> None:
        offered = {choice.value for choice in field.choices}
        if any(value not in offered for value in field.data or ()):
            raise ValidationError("Choose only from the questionnaires listed")
