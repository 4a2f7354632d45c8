"""The filters of the development mailbox (``/admin/mailbox``, in ``hub.admin.views``): what a
message is about, its channel, its status and part of its recipient."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextInput
from wtforms import SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import Length, Optional

from hub.admin.message_words import STATUS_TAGS, channel_words
from hub.admin.queries import MailboxFilters
from hub.forms import HubForm
from notifications import kinds

# The statuses as the page names them: "Waiting to send" is pending or sending.
STATUS_CHOICES = list(dict.fromkeys(label for label, _ in STATUS_TAGS.values()))
RECIPIENT_MAX = 254  # the longest email address


class MailboxFilterForm(HubForm):
    """A GET form, so a filtered mailbox can be bookmarked."""

    class Meta:
        csrf = False

    kind = SelectField(
        "About",
        choices=[
            SelectChoice("", "Any message"),
            *sorted(
                (SelectChoice(kind, kinds.about(kind)) for kind in kinds.KINDS),
                key=lambda choice: choice.label.casefold(),
            ),
        ],
        default="",
        widget=GovSelect(),
    )
    channel = SelectField(
        "Channel",
        choices=[
            SelectChoice("", "Email and SMS"),
            SelectChoice(kinds.EMAIL, "Email"),
            SelectChoice(kinds.SMS, channel_words(kinds.SMS)),
        ],
        default="",
        widget=GovSelect(),
    )
    status = SelectField(
        "Status",
        choices=[SelectChoice("", "Any status"), *(SelectChoice(s, s) for s in STATUS_CHOICES)],
        default="",
        widget=GovSelect(),
    )
    recipient = StringField(
        "Recipient",
        widget=GovTextInput(),
        description="Part of an email address or phone number",
        validators=[Optional(), Length(max=RECIPIENT_MAX)],
    )
    submit = SubmitField("Apply filters", widget=GovSubmitInput())

    def chosen(self) -> MailboxFilters:
        """The filters asked for; a field in error is left out (and shown in error)."""
        self.validate()
        for field, message in (
            (self.kind, "Select what the message is about from the list"),
            (self.channel, "Select email or SMS"),
            (self.status, "Select a status from the list"),
        ):
            if field.errors:
                field.errors = [message]
        if self.recipient.errors:
            self.recipient.errors = [f"Recipient must be {RECIPIENT_MAX} characters or fewer"]

        def text(field) -> str:
            return (field.data or "").strip() if not field.errors else ""

        statuses = tuple(
            code for code, (label, _) in STATUS_TAGS.items() if label == text(self.status)
        )
        return MailboxFilters(
            kind=text(self.kind),
            channel=text(self.channel),
            statuses=statuses,
            recipient=text(self.recipient),
        )

    def as_args(self) -> dict[str, str]:
        """The filters in force, for the page links."""
        return {
            name: (getattr(self, name).data or "").strip()
            for name in ("kind", "channel", "status", "recipient")
            if (getattr(self, name).data or "").strip() and not getattr(self, name).errors
        }
