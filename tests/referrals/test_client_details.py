"""Client details: the rules the frontline pages and the API share."""

from datetime import date

import pytest

from hub.referrals.client_details import clean_client_details, uk_phone, uk_postcode
from tests.factories import client_details

TODAY = date(2026, 3, 2)
BOROUGHS = ("lambeth", "southwark")


def clean(**overrides):
    return clean_client_details(client_details(**overrides), TODAY, BOROUGHS)


def test_valid_details_are_normalised():
    details, errors = clean(postcode="sw25sg", phone="07911 123456", borough="Lambeth")
    assert errors == {}
    assert details.postcode == "SW2 5SG"
    assert details.phone == "+447911123456"
    assert details.borough == "lambeth"
    assert details.date_of_birth == date(1941, 5, 17)


@pytest.mark.parametrize("number", ["020 7946 0000", "+44 20 7946 0000", "(0161) 496 0000"])
def test_uk_numbers_are_accepted(number):
    assert uk_phone(number).startswith("+44")


@pytest.mark.parametrize("number", ["12345", "0800 00", "+1 202 555 0143", "phone me"])
def test_other_numbers_are_refused_in_plain_english(number):
    _, errors = clean(phone=number)
    assert errors["phone"].startswith("Enter a UK phone number")


@pytest.mark.parametrize("postcode", ["SE1 7PB", "se17pb", "EC1A 1BB", "W1A 0AX", "M1 1AE"])
def test_real_postcode_shapes(postcode):
    assert uk_postcode(postcode)


@pytest.mark.parametrize("postcode", ["", "12345", "SE1", "QQ1 1QQ"])
def test_bad_postcodes(postcode):
    _, errors = clean(postcode=postcode)
    assert "postcode" in errors


def test_every_problem_is_reported_at_once():
    _, errors = clean(
        given_name="", family_name=" ", address="", date_of_birth="1950-02-31", postcode="x"
    )
    assert set(errors) == {"given_name", "family_name", "address", "date_of_birth", "postcode"}
    assert errors["date_of_birth"] == "Date of birth must be a real date, like 1942-03-27"


def test_a_future_birthday_is_refused():
    _, errors = clean(date_of_birth="2030-01-01")
    assert errors["date_of_birth"] == "Date of birth must be in the past"


def test_some_way_to_reach_the_client_is_needed():
    _, errors = clean(phone="", email=None, preferred_contact="letter")
    assert "phone" in errors


def test_text_messages_need_a_mobile_number():
    _, errors = clean(phone="020 7946 0000", preferred_contact="sms")
    assert errors["phone"] == "Enter a mobile number, as the client prefers text messages"
    _, errors = clean(phone="07911 123456", preferred_contact="sms")
    assert errors == {}


def test_email_preference_needs_an_email_address():
    _, errors = clean(preferred_contact="email", email=None)
    assert "email" in errors
    _, errors = clean(preferred_contact="email", email="not-an-address")
    assert "correct format" in errors["email"]


def test_unknown_borough_and_preference():
    _, errors = clean(borough="croydon", preferred_contact="pigeon")
    assert set(errors) == {"borough", "preferred_contact"}


def test_other_borough_means_no_borough():
    details, errors = clean(borough="other")
    assert errors == {} and details.borough is None
