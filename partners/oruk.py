"""Open Referral UK (ORUK) v3 services <-> the hub's partner agencies (docs/design.md, "Open
Referral UK").

One ORUK ``service`` is one partner agency, matched by the service's ``id``
(``Organisation.oruk_id``). What each field becomes:

- ``name``, ``description``, ``url``: the same; ``email``: the referral email.
- ``status``: ``active`` is active and taking referrals; ``temporarily closed`` is active and
  paused (not taking referrals); ``inactive`` and ``defunct`` are inactive.
- ``phones``: the phone whose ``type`` is ``text`` (ORUK's type for SMS) is the SMS duty number,
  a UK mobile. It is private (never published) unless that phone says ``"private": false``.
  Other phones are not kept.
- ``service_areas``: each ``name`` is one of the hub's areas, by slug or name.
- ``sail_slug`` (the hub's own extension): the partner's slug, which questionnaires route to.
  ``directory export`` writes it, so a file moved to another hub keeps its slugs; a new service
  without it gets the slug of its name.

A field a service leaves out is left as it is (``phones`` and ``service_areas`` too); a field
given is set, even to nothing. An import is all or nothing: every problem is listed, naming the
service and the field, and nothing is changed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from hub.extensions import db
from hub.models import Organisation, User
from partners import agencies

# Ids the hub makes up for what it has no id of its own for (an organization, a phone, an area),
# the same every time, so that an export is the same twice.
NAMESPACE = uuid.UUID("6f3c1d2e-6a57-4f0e-9a43-2b3f0e0c5a11")
STATUSES = {
    "active": {"active": True, "taking_referrals": True},
    "temporarily closed": {"active": True, "taking_referrals": False},
    "inactive": {"active": False},
    "defunct": {"active": False},
}
# The ORUK field each of the agency's fields is read from, for naming it in a problem.
ORUK_FIELD = {
    "name": "name",
    "description": "description",
    "referral_email": "email",
    "url": "url",
    "sms_number": "phones",
    "sms_private": "phones",
    "areas": "service_areas",
    "oruk_id": "id",
}


class ImportRefused(ValueError):
    """The file is not imported; ``problems`` says why, one line each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class ImportSummary:
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0


def made_up_id(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(parts)))


def service_id(partner: Organisation) -> str:
    return partner.oruk_id or made_up_id("service", partner.slug)


def status_of(partner: Organisation) -> str:
    if not partner.active:
        return "inactive"
    return "active" if partner.taking_referrals else "temporarily closed"


def service(partner: Organisation, public: bool = True) -> dict:
    """The partner as an ORUK v3 service. ``public`` (the ORUK API) leaves out a private SMS
    duty number and the hub's own extension; the export (``public=False``) keeps both."""
    ident = service_id(partner)
    shown = {"id": ident, "name": partner.name}
    for key, value in (
        ("description", partner.description),
        ("url", partner.url),
        ("email", partner.referral_email),
    ):
        if value:
            shown[key] = value
    shown["status"] = status_of(partner)
    shown["organization"] = {
        "id": made_up_id("organization", ident),
        "name": partner.name,
        "description": partner.description or partner.name,
    }
    phones = []
    if partner.sms_number and not (public and partner.sms_private):
        phone = {
            "id": made_up_id("phone", ident),
            "number": partner.sms_number,
            "type": "text",
            "description": "SMS duty number",
        }
        if not public:
            phone["private"] = partner.sms_private
        phones.append(phone)
    shown["phones"] = phones
    contacts = []
    if partner.referral_email:
        contact_id = made_up_id("contact", ident)
        contacts.append({"id": contact_id, "name": "Referrals", "email": partner.referral_email})
    shown["contacts"] = contacts
    shown["service_areas"] = [
        {"id": made_up_id("area", area.slug), "name": area.name} for area in partner.areas
    ]
    if not public:
        shown["sail_slug"] = partner.slug
    return shown


def export() -> dict:
    """Every partner agency, as ``directory export`` writes it."""
    return {"contents": [service(partner, public=False) for partner in agencies.partners()]}


# --- Import -----------------------------------------------------------------------------------


def services_in(data) -> list:
    """The services of a file: a list of them, or an ORUK page ``{"contents": [...]}``."""
    if isinstance(data, dict) and isinstance(data.get("contents"), list):
        return data["contents"]
    if isinstance(data, list):
        return data
    raise ImportRefused(
        ['The file must hold a list of ORUK services, or a page {"contents": [services]}']
    )


@dataclass
class _Plan:
    service_id: str
    values: dict
    partner: Organisation | None = None  # None: a new partner
    slug: str | None = None  # a new partner's slug from ``sail_slug``


def _label(index: int, raw) -> str:
    if not isinstance(raw, dict):
        return f"Service {index}"
    ident, name = raw.get("id"), raw.get("name")
    shown = f"Service {ident!r}" if isinstance(ident, str) and ident else f"Service {index}"
    return f"{shown} ({name})" if isinstance(name, str) and name.strip() else shown


def _values(raw: dict, problems: list[str]) -> dict:
    """The agency's values a service gives (before ``agencies.check``)."""
    values = {"oruk_id": raw.get("id"), "name": raw.get("name")}
    for key, name in (("description", "description"), ("url", "url"), ("email", "referral_email")):
        if key in raw:
            values[name] = raw[key]
    status = raw.get("status")
    if status not in STATUSES:
        problems.append("status: must be one of " + ", ".join(f'"{s}"' for s in STATUSES))
    else:
        values.update(STATUSES[status])
    if "phones" in raw:
        _phones(raw["phones"], values, problems)
    if "service_areas" in raw:
        areas = raw["service_areas"]
        if not isinstance(areas, list) or not all(
            isinstance(area, dict) and isinstance(area.get("name"), str) for area in areas
        ):
            problems.append("service_areas: each must have the name of one of the hub's areas")
        else:
            values["areas"] = [area["name"] for area in areas]
    return values


def _phones(phones, values: dict, problems: list[str]) -> None:
    if not isinstance(phones, list) or not all(isinstance(phone, dict) for phone in phones):
        problems.append("phones: must be a list of phones")
        return
    texts = [phone for phone in phones if str(phone.get("type", "")).lower() == "text"]
    if len(texts) > 1:
        problems.append('phones: only one phone may have the type "text" (the SMS duty number)')
        return
    if not texts:
        values["sms_number"] = None
        return
    number, private = texts[0].get("number"), texts[0].get("private", True)
    if not isinstance(number, str):
        problems.append("phones: the SMS duty number must be text, like 07911 123456")
        return
    if not isinstance(private, bool):
        problems.append('phones: "private" must be true or false')
        return
    values["sms_number"] = number
    values["sms_private"] = private


def _plan(index: int, raw, seen: dict[str, str], problems: list[str]) -> _Plan | None:
    label = _label(index, raw)
    own: list[str] = []
    if not isinstance(raw, dict):
        problems.append(f"{label}: must be an ORUK service (a JSON object)")
        return None
    ident = raw.get("id")
    if not isinstance(ident, str) or not ident.strip():
        own.append("id: every service needs an id")
    elif ident in seen:
        own.append(f"id: the same id as {seen[ident]}")
    else:
        seen[ident] = label
    values = _values(raw, own)
    try:
        agencies.check(values, creating=True)
    except agencies.AgencyError as error:
        own.extend(f"{ORUK_FIELD.get(key, key)}: {text}" for key, text in error.errors.items())
    plan = None if own else _match(ident, raw.get("sail_slug"), values, own)
    problems.extend(f"{label}: {text}" for text in own)
    return plan


def _match(ident: str, slug, values: dict, own: list[str]) -> _Plan | None:
    partner = db.session.scalar(select(Organisation).where(Organisation.oruk_id == ident))
    if slug is not None and not (isinstance(slug, str) and slug == agencies.slugify(slug)):
        own.append("sail_slug: must be lower case letters and digits joined by hyphens")
        return None
    if partner is None and slug:
        taken = db.session.scalar(select(Organisation).where(Organisation.slug == slug))
        if taken is not None and (taken.kind != "partner" or taken.oruk_id is not None):
            own.append(f"sail_slug: {slug!r} is already another organisation's slug")
            return None
        partner = taken  # set up before the directory was imported: it takes this id now
    if partner is not None and partner.kind != "partner":
        own.append(f"id: {ident!r} is not a partner agency's id")
        return None
    if partner is not None and slug and slug != partner.slug:
        own.append(f"sail_slug: the partner's slug is {partner.slug!r}, and never changes")
        return None
    return _Plan(ident, values, partner, None if partner else slug)


def plan_import(data) -> list[_Plan]:
    """Check every service of the file; ImportRefused with every problem found."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    plans = [_plan(index, raw, seen, problems) for index, raw in enumerate(services_in(data), 1)]
    slugs = [plan.slug for plan in plans if plan is not None and plan.slug]
    for slug in sorted({slug for slug in slugs if slugs.count(slug) > 1}):
        problems.append(f"sail_slug: {slug!r} is given to more than one new service")
    if problems:
        raise ImportRefused(problems)
    return plans


def import_services(
    data, actor: User | None, now: datetime, *, audit_trail: bool = True
) -> ImportSummary:
    """Create or update one partner agency per service, all or nothing; each created or changed
    partner is recorded in the audit trail (``audit_trail=False`` for the demo hub only)."""
    plans = plan_import(data)
    summary = ImportSummary()
    # New partners with a slug of their own first, so a slug made from a name never takes it.
    for plan in sorted(plans, key=lambda plan: (plan.partner is not None, plan.slug is None)):
        if plan.partner is None:
            made = agencies.create(plan.values, actor, now, slug=plan.slug, audit_trail=audit_trail)
            summary.created.append(made.slug)
        elif agencies.update(plan.partner, plan.values, actor, now, audit_trail=audit_trail):
            summary.changed.append(plan.partner.slug)
        else:
            summary.unchanged += 1
    return summary
