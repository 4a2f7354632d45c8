"""What every GOV.UK form in the hub shares: an error summary whose links land on the field."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput
from wtforms import Field


def first_input_id(field: Field) -> str:
    """The id of a field's first input: a GOV.UK date input's is its day box."""
    return f"{field.id}-day" if isinstance(field.widget, GovDateInput) else field.id


class HubForm(FlaskForm):
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
