"""What every GOV.UK form in the hub shares: an error summary whose links land on the field, and
the limits on typed text (``hub.limits``) on every text box."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput
from wtforms import Field, StringField, TextAreaField
from wtforms.meta import DefaultMeta
from wtforms.validators import StopValidation

from hub import limits


def first_input_id(field: Field) -> str:
    """The id of a field's first input: a GOV.UK date input's is its day box."""
    return f"{field.id}-day" if isinstance(field.widget, GovDateInput) else field.id


class StorableText:
    """Every text box's own check: no character the hub never stores, and no more than
    ``limit`` characters. Stops the field's other checks: the one message is the one that
    matters."""

    def __init__(self, limit: int):
        self.limit = limit

    def __call__(self, form, field) -> None:
        text = field.data if isinstance(field.data, str) else ""
        what = field.short_name.replace("_", " ").capitalize()  # "Reason", "Notes", "Email"
        if limits.unstorable(text):
            raise StopValidation(f"{what} {limits.UNSTORABLE}")
        if len(text) > self.limit:
            raise StopValidation(limits.too_long(what, self.limit))


class HubMeta(DefaultMeta):
    """Binds ``StorableText`` first on every text box (text inputs, text areas, email and
    password boxes): a text area holds a note (``hub.limits.NOTE``) unless its name says
    otherwise (an address), any other box the limit its name gives."""

    def bind_field(self, form, unbound_field, options):
        field = super().bind_field(form, unbound_field, options)
        if isinstance(field, StringField):
            name = field.short_name
            wide = isinstance(field, TextAreaField) and name not in limits.FIELDS
            limit = limits.NOTE if wide else limits.limit_of(name)
            field.validators = [StorableText(limit), *field.validators]
        return field


class HubForm(FlaskForm):
    Meta = HubMeta  # combined with FlaskForm's own Meta (and a form's) by WTForms

    def error_summary(self) -> dict:
        """The GOV.UK error summary, each error linking to the first input of its field."""
        return {
            "titleText": "There is a problem",
            "errorList": [
                {"text": field.errors[0], "href": f"#{first_input_id(field)}"}
                for field in self
                if field.errors
            ],
        }
