"""Partner agencies as data: the one place a partner agency is created or changed, from the admin
pages, the admin API, ``directory import`` or the demo hub (docs/design.md, "Partner agencies").

``check`` turns typed or imported values into what is stored, with a message by field for each
problem; ``create`` and ``update`` apply them and record each change in the audit trail
(``hub.audit``: ``partner_created``, ``partner_changed``) with the fields before and after. A
partner's slug is made once, from its name, and never changes: questionnaires route to it.
"""

from __future__ import annotations

import unicodedata
import uuid
from datetime import datetime

from sqlalchemy import func, or_, select

from hub import audit, limits
from hub.audit import AuditEvent
from hub.auth import accounts
from hub.extensions import db
from hub.models import Area, Organisation, User
from hub.referrals.client_details import EMAIL
from partners.directory import SmsNumberError, sms_duty_number

# Every field a partner agency has here, in the order pages and the history show them.
FIELDS = (
    "name",
    "description",
    "referral_email",
    "sms_number",
    "sms_private",
    "url",
    "areas",
    "taking_referrals",
    "active",
    "allow_email_code",
)
TEXT_LIMITS = {"name": 200, "description": limits.NOTE, "referral_email": limits.EMAIL, "url": 300}
FLAGS = ("sms_private", "taking_referrals", "active", "allow_email_code")
LABELS = {
    "name": "Name",
    "description": "Description",
    "referral_email": "Referral email",
    "sms_number": "SMS duty number",
    "sms_private": "SMS duty number private",
    "url": "Website",
    "areas": "Areas covered",
    "taking_referrals": "Taking referrals",
    "active": "Active",
    "allow_email_code": "May open referrals with an emailed code",
    "oruk_id": "Open Referral UK id",
}
HISTORY_ACTIONS = ("partner_created", "partner_changed")


class AgencyError(ValueError):
    """Values a partner agency cannot take; ``errors`` holds a message for each field."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {text}" for field, text in self.errors.items()))


def area_for(text: str) -> Area | None:
    """The hub's area with that slug or name (any case)."""
    wanted = (text or "").strip().lower()
    return db.session.scalar(
        select(Area).where(or_(Area.slug == wanted, func.lower(Area.name) == wanted))
    )


def all_areas() -> list[Area]:
    return list(db.session.scalars(select(Area).order_by(Area.name)))


def check(values: dict, creating: bool = False) -> dict:
    """The values as stored, for the fields given (all of ``FIELDS`` may be left out, but a new
    agency needs a name), or AgencyError naming each field that is wrong. ``areas`` is a list
    of area slugs or names; text is stripped, and empty text is no value."""
    cleaned: dict = {}
    errors: dict[str, str] = {}
    unknown = sorted(set(values) - set(FIELDS) - {"oruk_id"})
    for field in unknown:
        errors[field] = f"{field} is not a field of a partner agency"
    for field, limit in (*TEXT_LIMITS.items(), ("oruk_id", 100)):
        if field in values:
            _text(field, values[field], limit, cleaned, errors)
    _check_texts(cleaned, errors, creating)
    if "sms_number" in values:
        _sms(values["sms_number"], cleaned, errors)
    for flag in FLAGS:
        if flag in values:
            if isinstance(values[flag], bool):
                cleaned[flag] = values[flag]
            else:
                errors[flag] = f"{LABELS[flag]} must be true or false"
    if "areas" in values:
        _areas(values["areas"], cleaned, errors)
    if errors:
        raise AgencyError(errors)
    return cleaned


def _check_texts(cleaned: dict, errors: dict, creating: bool) -> None:
    """A name (for a new agency, or if given), an email address and a web address."""
    named = "name" in cleaned or "name" in errors
    if ("name" in cleaned and not cleaned["name"]) or (creating and not named):
        errors["name"] = "Enter the partner agency’s name"
    elif cleaned.get("name") and not slugify(cleaned["name"]):
        errors["name"] = "Name must have letters or numbers in it"
    email = cleaned.get("referral_email")
    if email:
        cleaned["referral_email"] = email.lower()
        if not EMAIL.match(email):
            errors["referral_email"] = (
                "Enter a referral email address in the correct format, like name@example.com"
            )
    url = cleaned.get("url")
    if url and not url.lower().startswith(("https://", "http://")):
        errors["url"] = "Enter a website address starting with https://, like https://example.org"


def _text(field: str, value, limit: int, cleaned: dict, errors: dict) -> None:
    if value is None:
        cleaned[field] = None
        return
    if not isinstance(value, str):
        errors[field] = f"{LABELS[field]} must be text"
        return
    problem = limits.text_problem(value, LABELS[field], limit)
    if problem:
        errors[field] = problem
        return
    cleaned[field] = limits.clean(value) or None


def _sms(value, cleaned: dict, errors: dict) -> None:
    if value is None or (isinstance(value, str) and not value.strip()):
        cleaned["sms_number"] = None
    elif not isinstance(value, str) or len(value) > limits.PHONE:
        errors["sms_number"] = "Enter a UK mobile number, like 07911 123456"
    else:
        try:
            cleaned["sms_number"] = sms_duty_number(value)
        except SmsNumberError as error:
            errors["sms_number"] = str(error)


def _areas(value, cleaned: dict, errors: dict) -> None:
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        errors["areas"] = "Areas must be a list of the hub’s area slugs"
        return
    found, unknown = [], []
    for text in value:
        area = area_for(text)
        if area is None:
            unknown.append(text)
        elif area not in found:
            found.append(area)
    if unknown:
        errors["areas"] = "The hub has no area called " + ", ".join(repr(t) for t in unknown)
    cleaned["areas"] = sorted(found, key=lambda area: area.name)


def snapshot(partner: Organisation) -> dict:
    """The agency's fields as the history shows them (areas by slug)."""
    shown = {field: getattr(partner, field) for field in FIELDS if field != "areas"}
    shown["areas"] = [area.slug for area in partner.areas]
    return shown


def slugify(text: str) -> str:
    """Lower-case ASCII letters and digits joined by ``-``, accents dropped: "Café Lunch Club"
    is ``cafe-lunch-club``."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return accounts.slugify(plain)


def unique_slug(name: str) -> str:
    """The slug of ``name``, with ``-2``, ``-3``... added if an organisation already has it."""
    base = slugify(name)[:70].strip("-")
    taken = set(
        db.session.scalars(
            select(Organisation.slug).where(
                or_(Organisation.slug == base, Organisation.slug.like(f"{base}-%"))
            )
        )
    )
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


def create(
    values: dict,
    actor: User | None,
    now: datetime,
    *,
    slug: str | None = None,
    audit_trail: bool = True,
) -> Organisation:
    """A new partner agency from ``values`` (checked here), with the slug given or made from its
    name, and an Open Referral UK id of its own unless one is given; recorded as created."""
    cleaned = check(values, creating=True)
    _id_free(cleaned.get("oruk_id"), None)
    partner = Organisation(
        slug=slug or unique_slug(cleaned["name"]),
        kind="partner",
        created_at=now,
        oruk_id=cleaned.pop("oruk_id", None) or str(uuid.uuid4()),
        name=cleaned.pop("name"),
        areas=cleaned.pop("areas", []),
    )
    for field, value in cleaned.items():
        setattr(partner, field, value)
    db.session.add(partner)
    db.session.flush()
    if audit_trail:
        after = {key: value for key, value in snapshot(partner).items() if value not in (None, [])}
        details = {"before": {}, "after": after}
        audit.record(actor, "partner_created", now, subject=partner.slug, details=details)
    return partner


def update(
    partner: Organisation,
    values: dict,
    actor: User | None,
    now: datetime,
    *,
    audit_trail: bool = True,
) -> dict:
    """Change the fields given (checked here); recorded with the fields that changed, before and
    after. Returns ``{"before": ..., "after": ...}``, empty when nothing changed."""
    cleaned = check(values)
    _id_free(cleaned.get("oruk_id"), partner)
    before = snapshot(partner)
    if "oruk_id" in cleaned and cleaned["oruk_id"] != partner.oruk_id:
        before["oruk_id"] = partner.oruk_id
    for field, value in cleaned.items():
        setattr(partner, field, value)
    after = snapshot(partner)
    after["oruk_id"] = partner.oruk_id
    changed = [field for field in after if field in before and before[field] != after[field]]
    if not changed:
        return {}
    details = {
        "before": {field: before[field] for field in changed},
        "after": {field: after[field] for field in changed},
    }
    db.session.flush()
    if audit_trail:
        audit.record(actor, "partner_changed", now, subject=partner.slug, details=details)
    return details


def _id_free(oruk_id: str | None, partner: Organisation | None) -> None:
    """An Open Referral UK id belongs to one partner agency."""
    if not oruk_id:
        return
    holder = db.session.scalar(select(Organisation).where(Organisation.oruk_id == oruk_id))
    if holder is not None and holder is not partner:
        raise AgencyError({"oruk_id": f"{holder.name} already has the Open Referral UK id"})


def history(partner: Organisation) -> list[AuditEvent]:
    """The agency's recorded changes, newest first."""
    return audit.about(partner.slug, HISTORY_ACTIONS)


def partners(active_only: bool = False) -> list[Organisation]:
    """Every partner agency (or the active ones), by name."""
    query = select(Organisation).where(Organisation.kind == "partner")
    if active_only:
        query = query.where(Organisation.active.is_(True))
    return list(db.session.scalars(query.order_by(Organisation.name, Organisation.id)))
