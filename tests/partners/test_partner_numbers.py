"""A partner's SMS duty number: set with ``flask --app hub partners sms``, checked where it is
entered (a UK mobile, stored in E.164), never an invalid one from the demo."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.auth import accounts
from hub.demo.load import load_demo
from hub.models import Organisation
from partners.directory import SmsNumberError, sms_duty_number

FALLS = "nhs-falls-prevention"


def sms_command(runner, *args: str):
    return runner.invoke(args=["partners", "sms", *args])


def duty_number(db, slug: str = FALLS) -> str | None:
    db.session.expire_all()
    return accounts.find_organisation(slug).sms_number


def test_a_mobile_is_stored_in_e164_and_shown(runner, db, demo_hub):
    result = sms_command(runner, FALLS, "07911 123456")
    assert result.exit_code == 0, result.output
    assert duty_number(db) == "+447911123456"
    assert "+447911123456" in result.output and "NHS Falls Prevention Service" in result.output


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("020 7946 0000", "cannot receive text messages"),  # a London landline
        ("+33 6 12 34 56 78", "not a UK phone number"),  # a French mobile
        ("not a number", "not a UK phone number"),
        ("07700 900123", "not a UK phone number"),  # Ofcom's drama range: not a real number
    ],
)
def test_a_number_that_cannot_take_a_text_is_refused_and_changes_nothing(
    runner, db, demo_hub, typed, why
):
    assert sms_command(runner, FALLS, "07911 123456").exit_code == 0
    result = sms_command(runner, FALLS, typed)
    assert result.exit_code != 0
    assert why in result.output
    assert "Enter a UK mobile number, like 07911 123456" in result.output
    assert duty_number(db) == "+447911123456"


def test_clear_removes_the_number(runner, db, demo_hub):
    assert sms_command(runner, FALLS, "+44 7911 123456").exit_code == 0
    result = sms_command(runner, FALLS, "--clear")
    assert result.exit_code == 0, result.output
    assert "no SMS duty number" in result.output
    assert duty_number(db) is None


def test_an_unknown_partner_or_one_that_is_not_a_partner_is_refused(runner, db, demo_hub):
    unknown = sms_command(runner, "no-such-agency", "07911 123456")
    assert unknown.exit_code != 0 and "No partner agency called 'no-such-agency'" in unknown.output
    hub = sms_command(runner, "age-uk-lambeth-southwark", "07911 123456")
    assert hub.exit_code != 0 and "No partner agency" in hub.output
    assert duty_number(db, "age-uk-lambeth-southwark") is None


def test_a_number_or_clear_but_not_both_nor_neither(runner, db, demo_hub):
    assert sms_command(runner, FALLS).exit_code != 0
    assert sms_command(runner, FALLS, "07911 123456", "--clear").exit_code != 0
    assert duty_number(db) is None


def test_the_demo_stores_no_number_no_text_can_reach(db, now):
    load_demo(now)
    db.session.commit()
    partners = db.session.scalars(select(Organisation).filter_by(kind="partner")).all()
    assert partners and all(partner.sms_number is None for partner in partners)


def test_loading_the_demo_again_keeps_a_number_set_and_forgets_an_old_drama_number(
    runner, db, demo_hub, now
):
    assert sms_command(runner, FALLS, "07911 123456").exit_code == 0
    accounts.find_organisation("lfb-home-fire-safety").sms_number = "+447700900101"  # older demo
    db.session.commit()
    load_demo(now)
    db.session.commit()
    assert duty_number(db) == "+447911123456"
    assert duty_number(db, "lfb-home-fire-safety") is None


def test_the_demo_load_command_says_how_to_set_a_number(runner, db):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "flask --app hub partners sms" in result.output


def test_sms_duty_number_reuses_the_hubs_phone_rules():
    assert sms_duty_number("07911123456") == "+447911123456"
    assert sms_duty_number("0044 7911 123456") == "+447911123456"
    with pytest.raises(SmsNumberError, match="cannot receive text messages"):
        sms_duty_number("0161 496 0000")


def test_setting_a_number_is_recorded_in_the_audit_trail(runner, db, demo_hub):
    from hub.audit import AuditEvent

    assert sms_command(runner, FALLS, "07911 123456").exit_code == 0
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.subject == FALLS)).one()
    assert (event.action, event.actor) == ("partner_changed", "command line")
    assert event.details == {
        "before": {"sms_number": None},
        "after": {"sms_number": "+447911123456"},
    }
