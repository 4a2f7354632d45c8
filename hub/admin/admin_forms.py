"""The forms of the admins' pages for user accounts and the organisations that refer
(``hub.admin.user_views``, ``hub.admin.organisation_views``).

The forms check only what a form can (CSRF, text the hub never stores, lengths): the rules of an
invitation or a change are ``hub.admin.users``' and ``hub.admin.organisations``', for the pages
and the API alike, and ``refused`` puts their words on the fields.
"""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSelect, GovTextInput
from wtforms import RadioField, SelectChoice, SelectField, StringField

from hub.admin.users import ROLE_WORDS
from hub.forms import HubForm
from hub.models import ROLES, Organisation

KIND_WORDS = {"hub": "the hub", "referrer": "refers", "partner": "partner agency"}
ROLE_HINTS = {
    "frontline": "Completes questionnaires with clients; belongs to an organisation that refers",
    "hub": "Forwards and follows up referrals; belongs to the hub",
    "partner": "Works a partner agency’s referrals; belongs to that agency",
    "manager": "Sees the figures and exports; belongs to the hub",
    "admin": "Runs the hub: users, organisations, partners, areas; belongs to the hub",
}


def _role_field() -> RadioField:
    return RadioField(
        "Role",
        choices=[SelectChoice(role, ROLE_WORDS[role]) for role in ROLES],
        widget=GovRadioInput(),
        validate_choice=False,  # the rule's own words (``hub.admin.users``) say what is wrong
    )


def _organisation_field() -> SelectField:
    return SelectField(
        "Organisation",
        description="Hub officers, managers and admins belong to the hub; partner agency "
        "workers to their agency; frontline workers to an organisation that refers",
        choices=[],
        widget=GovSelect(),
        validate_choice=False,
    )


def organisation_choices(organisations: list[Organisation]) -> list[SelectChoice]:
    return [SelectChoice("", "Choose an organisation")] + [
        SelectChoice(o.slug, f"{o.name} ({KIND_WORDS.get(o.kind, o.kind)})") for o in organisations
    ]


class RefusableForm(HubForm):
    def refused(self, fields: dict[str, str]) -> None:
        """Put a rule's refusal on the fields it names (``active`` and the like on the first)."""
        first = next(iter(self))
        for name, message in fields.items():
            field = self._fields.get(name, first)
            field.errors = [*(field.errors or []), message]


class InviteForm(RefusableForm):
    email = StringField(
        "Email address",
        description="The invitation, with a link to set a password, goes to this address",
        widget=GovTextInput(),
    )
    name = StringField("Full name", widget=GovTextInput())
    role = _role_field()
    organisation = _organisation_field()

    def __init__(self, organisations: list[Organisation], **kwargs):
        super().__init__(**kwargs)
        self.organisation.choices = organisation_choices(organisations)


class ChangeRoleForm(RefusableForm):
    role = _role_field()
    organisation = _organisation_field()

    def __init__(self, organisations: list[Organisation], **kwargs):
        super().__init__(**kwargs)
        self.organisation.choices = organisation_choices(organisations)


class ConfirmForm(HubForm):
    """A button that does one thing, after the page has said what: CSRF is all it carries."""


class OrganisationNameForm(RefusableForm):
    name = StringField("Name", widget=GovTextInput())
