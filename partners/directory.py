"""The local "asset map": the partner agencies a questionnaire's flags go to, finding them by
slug, and their SMS duty numbers.

``partner_by_slug``, ``partners_by_slug`` and ``partner_names`` are the one way the hub finds a
partner agency from its slug (a questionnaire's flag, a form's choice, the API's ``partner``).

Partner agencies are data (``partners.agencies`` creates and changes them; ``partners.oruk``
reads and writes them as Open Referral UK); the demo hub's are in ``partners/demo_directory.json``.

``sms_duty_number`` is how any number becomes a partner's duty number: a UK mobile, stored in
E.164, so a number that cannot take a text is refused when it is entered, not when a message
is sent.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from hub.extensions import db
from hub.models import Organisation
from hub.referrals.client_details import DetailError, can_receive_sms, uk_phone

SMS_NUMBER_HINT = "Enter a UK mobile number, like 07911 123456"


def partner_by_slug(slug: str) -> Organisation | None:
    """The partner agency with that slug (active or not), or None."""
    return partners_by_slug({slug}).get(slug)


def partners_by_slug(slugs: Iterable[str]) -> dict[str, Organisation]:
    """The partner agencies with these slugs (active or not), by slug, in one query; a slug
    that names no partner agency is simply missing from the answer."""
    wanted = set(slugs)
    if not wanted:
        return {}
    return {
        partner.slug: partner
        for partner in db.session.scalars(
            select(Organisation).where(
                Organisation.slug.in_(wanted), Organisation.kind == "partner"
            )
        )
    }


def partner_names(slugs: Iterable[str]) -> dict[str, str]:
    """The names of the organisations with these slugs, by slug, in one query."""
    wanted = set(slugs)
    if not wanted:
        return {}
    rows = db.session.execute(
        select(Organisation.slug, Organisation.name).where(Organisation.slug.in_(wanted))
    )
    return dict(rows.all())


class SmsNumberError(ValueError):
    """Not a number a partner's duty SMS can go to; the message says why, for who typed it."""


def sms_duty_number(text: str) -> str:
    """A partner's SMS duty number as typed, in E.164 (``+447911123456``), or SmsNumberError."""
    try:
        number = uk_phone(text)
    except DetailError:
        raise SmsNumberError(f"{text!r} is not a UK phone number. {SMS_NUMBER_HINT}") from None
    if not can_receive_sms(number):
        raise SmsNumberError(f"{text!r} cannot receive text messages. {SMS_NUMBER_HINT}")
    return number
