"""Client details as the hub accepts them, from the frontline pages and the API alike.

``clean_client_details`` returns cleaned values and a dict of plain-English errors by field, so a
page can show every problem at once and the API can name the fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import phonenumbers
from phonenumbers import PhoneNumberType

from hub import limits
from hub.models import CONTACT_PREFERENCES

POSTCODE = re.compile(
    r"^(GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?[0-9][0-9A-HJKMNPR-Y]? ?[0-9][ABD-HJLNP-UW-Z]{2})$"
)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MOBILE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


class DetailError(ValueError):
    """One field's value is not acceptable; the message is for the person who typed it."""


def uk_phone(text: str) -> str:
    """A UK phone number in E.164, or DetailError."""
    text = (text or "").strip()
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        raise DetailError("Enter a UK phone number, like 020 7946 0000 or 07911 123456") from None
    if not phonenumbers.is_valid_number(number) or number.country_code != 44:
        raise DetailError("Enter a UK phone number, like 020 7946 0000 or 07911 123456")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def can_receive_sms(e164: str) -> bool:
    return phonenumbers.number_type(phonenumbers.parse(e164)) in MOBILE_TYPES


def display_phone(e164: str | None) -> str:
    if not e164:
        return ""
    return phonenumbers.format_number(
        phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL
    )


def uk_postcode(text: str) -> str:
    """A UK postcode in its usual form ("SE1 7PB"), or DetailError."""
    compact = re.sub(r"\s+", "", (text or "").upper())
    if not POSTCODE.match(compact) or len(compact) < 5:
        raise DetailError("Enter a real postcode, like SE1 7PB")
    return f"{compact[:-3]} {compact[-3:]}"


def date_of_birth(value: date | str | None, today: date) -> date:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise DetailError("Date of birth must be a real date, like 1942-03-27") from None
    if value is None:
        raise DetailError("Enter the date of birth")
    if value >= today:
        raise DetailError("Date of birth must be in the past")
    if value.year < 1900:
        raise DetailError("Date of birth must be after 1900")
    return value


@dataclass(frozen=True)
class ClientDetails:
    given_name: str
    family_name: str
    date_of_birth: date
    address: str
    postcode: str
    borough: str | None
    phone: str | None
    email: str | None
    preferred_contact: str
    contact_times: str | None

    def as_dict(self) -> dict:
        return {
            "given_name": self.given_name,
            "family_name": self.family_name,
            "date_of_birth": self.date_of_birth.isoformat(),
            "address": self.address,
            "postcode": self.postcode,
            "borough": self.borough,
            "phone": self.phone,
            "email": self.email,
            "preferred_contact": self.preferred_contact,
            "contact_times": self.contact_times,
        }


def _text(data: dict, field: str, limit: int) -> str:
    value = data.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DetailError("must be text")
    value = limits.clean(value)  # only invisible characters is blank
    if limits.unstorable(value):
        raise DetailError(limits.UNSTORABLE)
    if len(value) > limit:
        raise DetailError(f"must be {limit:,} characters or fewer")
    return value


def clean_client_details(
    data: dict, today: date, boroughs: tuple[str, ...] = ()
) -> tuple[ClientDetails | None, dict[str, str]]:
    """Check every field and return (details, {}) or (None, {field: message, ...})."""
    errors: dict[str, str] = {}
    cleaned: dict = {}
    _clean_texts(data, cleaned, errors)
    try:
        cleaned["date_of_birth"] = date_of_birth(data.get("date_of_birth"), today)
    except DetailError as error:
        errors["date_of_birth"] = str(error)
    _clean_postcode(data, cleaned, errors)
    phone_text = _clean_phone(data, cleaned, errors)
    _check_reachable(cleaned, errors, phone_text)
    _clean_borough(cleaned, errors, boroughs)
    _clean_preferred_contact(data, cleaned, errors, phone_text)
    if errors:
        return None, errors
    return ClientDetails(**cleaned), {}


# Each cleaner below puts what it accepts in ``cleaned`` and its complaints in ``errors``. They
# run in this order, which is the order the problems are listed in.

REQUIRED_TEXTS = {
    "given_name": ("Enter the client’s first name", limits.NAME),
    "family_name": ("Enter the client’s last name", limits.NAME),
    "address": ("Enter the client’s address", limits.ADDRESS),
}
OPTIONAL_TEXTS = {
    "email": limits.EMAIL,
    "contact_times": limits.CONTACT_TIMES,
    "borough": limits.BOROUGH,
}


def _clean_texts(data: dict, cleaned: dict, errors: dict[str, str]) -> None:
    for field, (missing, limit) in REQUIRED_TEXTS.items():
        try:
            cleaned[field] = _text(data, field, limit)
            if not cleaned[field]:
                errors[field] = missing
        except DetailError as error:
            errors[field] = f"{missing.replace('Enter the', 'The')} {error}"
    for field, limit in OPTIONAL_TEXTS.items():
        try:
            cleaned[field] = _text(data, field, limit) or None
        except DetailError as error:
            errors[field] = f"{field.replace('_', ' ').capitalize()} {error}"


def _clean_postcode(data: dict, cleaned: dict, errors: dict[str, str]) -> None:
    typed = data.get("postcode") or ""
    if limits.blank(typed):
        errors["postcode"] = "Enter the client’s postcode"
        return
    if len(typed) > limits.POSTCODE:
        errors["postcode"] = limits.too_long("Postcode", limits.POSTCODE)
        return
    try:
        cleaned["postcode"] = uk_postcode(typed)
    except DetailError as error:
        errors["postcode"] = str(error)


def _clean_phone(data: dict, cleaned: dict, errors: dict[str, str]) -> str:
    """The phone number as typed (stripped), checked and kept in E.164."""
    typed = data.get("phone")
    phone_text = limits.clean(typed) if isinstance(typed, str) else ""
    cleaned["phone"] = None
    if len(phone_text) > limits.PHONE:
        errors["phone"] = limits.too_long("Phone number", limits.PHONE)
    elif phone_text:
        try:
            cleaned["phone"] = uk_phone(phone_text)
        except DetailError as error:
            errors["phone"] = str(error)
    return phone_text


def _check_reachable(cleaned: dict, errors: dict[str, str], phone_text: str) -> None:
    """A well-formed email address, and a phone number or an email address to reach them by."""
    email = cleaned.get("email")
    if email and not EMAIL.match(email):
        errors["email"] = "Enter an email address in the correct format, like name@example.com"
    if not phone_text and not email and "phone" not in errors and "email" not in errors:
        errors["phone"] = "Enter a phone number or an email address so the agencies can reach them"


def _clean_borough(cleaned: dict, errors: dict[str, str], boroughs: tuple[str, ...]) -> None:
    """One of the questionnaire's boroughs, or "other" (kept as no borough of ours)."""
    borough = cleaned.get("borough")
    if not borough:
        return
    borough = borough.lower()
    if boroughs and borough not in boroughs and borough != "other":
        errors["borough"] = "Select the client’s borough"
    cleaned["borough"] = None if borough == "other" else borough


def _clean_preferred_contact(
    data: dict, cleaned: dict, errors: dict[str, str], phone_text: str
) -> None:
    """A known preference, with the details it needs: a number, a mobile, an email address."""
    preference = data.get("preferred_contact")
    cleaned["preferred_contact"] = preference
    if preference not in CONTACT_PREFERENCES:
        errors["preferred_contact"] = "Select how the client prefers to be contacted"
    elif preference in ("phone", "sms") and not phone_text and "phone" not in errors:
        errors["phone"] = "Enter a phone number, as the client prefers to be contacted by phone"
    elif preference == "sms" and cleaned.get("phone") and not can_receive_sms(cleaned["phone"]):
        errors["phone"] = "Enter a mobile number, as the client prefers text messages"
    elif preference == "email" and not cleaned.get("email") and "email" not in errors:
        errors["email"] = "Enter an email address, as the client prefers email"
