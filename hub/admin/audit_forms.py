"""The filters of the admins' audit trail page (``/admin/audit``, in ``hub.admin.views``)."""

from __future__ import annotations

from datetime import date

from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextInput
from wtforms import SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import Optional, ValidationError

from hub import audit
from hub.forms import HubForm

ANY_ACTION = SelectChoice("", "Any action")


def _iso_date(form, field) -> None:
    if field.data:
        try:
            date.fromisoformat(field.data.strip())
        except ValueError:
            raise ValidationError(
                f"{field.label.text} must be a date like 2026-03-02 (year, month, day)"
            ) from None


class AuditFilterForm(HubForm):
    """A GET form, so a filtered list can be bookmarked."""

    class Meta:
        csrf = False

    who = StringField(
        "Who",
        widget=GovTextInput(),
        description="Part of their email address, or “command line”",
        validators=[Optional()],
    )
    action = SelectField(
        "Action",
        choices=[ANY_ACTION, *(SelectChoice(a, words) for a, words in audit.ACTIONS.items())],
        default="",
        widget=GovSelect(),
    )
    person = StringField(
        "Person",
        widget=GovTextInput(),
        description="A referral or questionnaire reference, or the person’s client number",
        validators=[Optional()],
    )
    start = StringField(
        "From", widget=GovTextInput(), description="For example, 2026-03-02",
        validators=[Optional(), _iso_date],
    )  # fmt: skip
    end = StringField(
        "To", widget=GovTextInput(), description="For example, 2026-03-31",
        validators=[Optional(), _iso_date],
    )  # fmt: skip
    submit = SubmitField("Apply filters", widget=GovSubmitInput())

    def chosen(self) -> audit.AuditFilters:
        """The filters asked for; a field in error is left out (and shown in error)."""
        self.validate()

        def text(field) -> str:
            return (field.data or "").strip() if not field.errors else ""

        def day(field) -> date | None:
            value = text(field)
            return date.fromisoformat(value) if value else None

        if self.action.errors:
            self.action.errors = ["Select an action from the list"]
        return audit.AuditFilters(
            who=text(self.who),
            action=text(self.action),
            person=text(self.person),
            start=day(self.start),
            end=day(self.end),
        )
