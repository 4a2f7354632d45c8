"""The hub's areas: each borough with the postcode districts (``SE1``) and sectors (``SE1 7``) in
it, and which borough a postcode is in (docs/design.md, "Areas").

A postcode's area is its sector's if the table has the sector, else its district's: the most
specific wins. Areas change only here, each change checked (``AreaInvalid`` names every field
that is wrong, so a page and the API show the same messages) and recorded in the audit trail
with what it was before and after. ``now`` comes from the caller; callers commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from hub import audit, limits
from hub.extensions import db
from hub.models import Area, AreaPostcode, User, partner_area
from hub.referrals.client_details import DetailError, uk_postcode

# A postcode's outward code (its district), as ``client_details.POSTCODE`` reads it.
DISTRICT = re.compile(r"^(GIR|[A-PR-UWYZ][A-HK-Y]?[0-9][0-9A-HJKMNPR-Y]?)$")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SLUG_LENGTH = limits.BOROUGH  # the client's borough column holds an area's slug
NAME_LENGTH = 100
# "new" is the admin page for adding an area; "other" is the frontline's "another borough".
RESERVED_SLUGS = ("new", "other")
PREFIX_PROBLEM = "is not a postcode district or sector, like SE1 or SE1 7"

# The demo hub's areas (``ensure_demo_areas``): their usual postcode districts, with the sectors
# of a district shared between them given to the borough they are in. ``SE1 7`` (Waterloo,
# Lambeth North) is Lambeth, though the rest of ``SE1`` is Southwark.
DEMO_AREAS = (
    (
        "lambeth",
        "Lambeth",
        ("SE1 7", "SE11", "SE27", "SW2", "SW4", "SW8 1", "SW8 2", "SW9", "SW16"),
    ),
    ("southwark", "Southwark", ("SE1", "SE5", "SE15", "SE16", "SE17", "SE21", "SE22")),
)


class AreaInvalid(ValueError):
    """An area's details are not acceptable: ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))


# -- postcodes -----------------------------------------------------------------------------------


def normalise_prefix(text: str) -> str:
    """A district (``SE1``) or sector (``SE1 7``) upper case with one space, or DetailError.
    Without a space, the text is a district: ``SE17`` is the district SE17, never ``SE1 7``."""
    words = (text or "").upper().split()
    if len(words) == 1 and DISTRICT.match(words[0]):
        return words[0]
    if len(words) == 2 and DISTRICT.match(words[0]) and re.fullmatch(r"[0-9]", words[1]):
        return f"{words[0]} {words[1]}"
    raise DetailError(f"“{(text or '').strip()[:20]}” {PREFIX_PROBLEM}")


def parse_prefixes(text: str) -> tuple[list[str], list[str]]:
    """The prefixes typed one a line or separated by commas, each once in the order given, and
    a message for each that is not a district or sector."""
    found, problems = [], []
    for part in re.split(r"[,\n;]+", text or ""):
        if not part.strip():
            continue
        try:
            prefix = normalise_prefix(part)
        except DetailError as error:
            problems.append(str(error))
            continue
        if prefix not in found:
            found.append(prefix)
    return found, problems


def prefixes_of(postcode: str) -> tuple[str, str]:
    """The sector and the district of a full postcode ("SE1 7PB" → "SE1 7", "SE1")."""
    outward, inward = uk_postcode(postcode).split(" ")
    return f"{outward} {inward[0]}", outward


def area_for_postcode(postcode: str | None) -> Area | None:
    """The area a full postcode is in, its sector's before its district's; None if the table
    covers neither, or the postcode is not one."""
    try:
        sector, district = prefixes_of(postcode or "")
    except DetailError:
        return None
    rows = db.session.execute(
        select(AreaPostcode.prefix, Area)
        .join(Area, AreaPostcode.area_id == Area.id)
        .where(AreaPostcode.prefix.in_((sector, district)))
    ).all()
    by_prefix = {prefix: area for prefix, area in rows}
    return by_prefix.get(sector) or by_prefix.get(district)


@dataclass(frozen=True)
class FoundBorough:
    """A client's borough: chosen by the worker, found from the postcode, or neither."""

    slug: str | None
    name: str | None
    source: str  # CHOSEN, POSTCODE or NOT_FOUND


CHOSEN, POSTCODE, NOT_FOUND = "chosen", "postcode", "not_found"


def borough_for(chosen: str | None, postcode: str) -> FoundBorough:
    """The borough a client is in: the one chosen (``"other"`` for none of ours) wins; without
    one, the borough of the postcode, if the table covers it."""
    if chosen:
        slug = None if chosen == "other" else chosen
        return FoundBorough(slug, None, CHOSEN)
    area = area_for_postcode(postcode)
    if area is None:
        return FoundBorough(None, None, NOT_FOUND)
    return FoundBorough(area.slug, area.name, POSTCODE)


# -- reading and changing areas ------------------------------------------------------------------


def all_areas() -> list[Area]:
    return list(db.session.scalars(select(Area).order_by(Area.name)))


def find_area(slug: str) -> Area | None:
    return db.session.scalar(select(Area).where(Area.slug == slug))


def describe(area: Area) -> dict:
    """An area as its history and the API show it."""
    return {
        "slug": area.slug,
        "name": area.name,
        "postcodes": sorted(row.prefix for row in area.postcodes),
    }


def _clean_name(name, errors: dict[str, str]) -> str:
    if name is not None and not isinstance(name, str):
        errors["name"] = "Name must be text"
        return ""
    name = limits.clean(name or "")
    if not name:
        errors["name"] = "Enter the area’s name"
    elif len(name) > NAME_LENGTH or limits.unstorable(name):
        errors["name"] = (
            f"Name must be {NAME_LENGTH} characters or fewer, without control characters"
        )
    return name


def _clean_slug(slug, errors: dict[str, str]) -> str:
    if slug is not None and not isinstance(slug, str):
        errors["slug"] = "Short name must be text"
        return ""
    slug = (slug or "").strip()
    if not slug:
        errors["slug"] = "Enter a short name for the area, like lambeth"
    elif len(slug) > SLUG_LENGTH or not SLUG.match(slug):
        errors["slug"] = (
            f"Short name must be {SLUG_LENGTH} characters or fewer: lower case letters, digits "
            "and hyphens, like lambeth or north-southwark"
        )
    elif slug in RESERVED_SLUGS:
        errors["slug"] = f"Short name cannot be {slug}: choose another"
    elif find_area(slug) is not None:
        errors["slug"] = f"There is already an area with the short name {slug}"
    return slug


def _clean_prefixes(value, area: Area | None, errors: dict[str, str]) -> list[str]:
    """Prefixes from text (a page's textarea) or a list (the API); one held by another area is
    refused naming that area."""
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        value = "\n".join(value)
    if not isinstance(value, str):
        errors["postcodes"] = "Send the postcodes as a list of districts or sectors"
        return []
    prefixes, problems = parse_prefixes(value)
    if prefixes:
        taken = db.session.execute(
            select(AreaPostcode.prefix, Area.name)
            .join(Area, AreaPostcode.area_id == Area.id)
            .where(AreaPostcode.prefix.in_(prefixes), Area.id != (area.id if area else -1))
            .order_by(AreaPostcode.prefix)
        ).all()
        problems += [f"{prefix} is already in {name}" for prefix, name in taken]
    if problems:
        errors["postcodes"] = "; ".join(problems)
    return prefixes


def _flush() -> None:
    """Write the change; another made at the same moment that took a slug or prefix wins, and
    this one is refused (the caller rolls back, as for any AreaInvalid)."""
    try:
        db.session.flush()
    except IntegrityError:
        raise AreaInvalid(
            {"postcodes": "Someone changed the areas at the same moment: look again and retry"}
        ) from None


def create_area(slug, name, postcodes, actor: User | None, now: datetime) -> Area:
    """A new area with its postcodes, or AreaInvalid naming every field that is wrong."""
    area = _add_area(slug, name, postcodes, now)
    audit.record(
        actor,
        "area_created",
        now,
        subject=area.slug,
        details={"before": None, "after": describe(area)},
    )
    return area


def _add_area(slug, name, postcodes, now: datetime) -> Area:
    errors: dict[str, str] = {}
    slug = _clean_slug(slug, errors)
    name = _clean_name(name, errors)
    prefixes = _clean_prefixes(postcodes if postcodes is not None else "", None, errors)
    if errors:
        raise AreaInvalid(errors)
    area = Area(slug=slug, name=name, created_at=now)
    area.postcodes = [AreaPostcode(prefix=prefix) for prefix in prefixes]
    db.session.add(area)
    _flush()
    return area


def update_area(area: Area, actor: User | None, now: datetime, name=None, postcodes=None) -> bool:
    """Change an area's name and/or its postcodes (``None`` leaves one as it is); True if
    anything changed. AreaInvalid naming every field that is wrong changes nothing."""
    errors: dict[str, str] = {}
    new_name = _clean_name(name, errors) if name is not None else area.name
    prefixes = _clean_prefixes(postcodes, area, errors) if postcodes is not None else None
    if errors:
        raise AreaInvalid(errors)
    before = describe(area)
    area.name = new_name
    if prefixes is not None and sorted(prefixes) != before["postcodes"]:
        kept = {row.prefix: row for row in area.postcodes if row.prefix in prefixes}
        area.postcodes = [kept.get(prefix) or AreaPostcode(prefix=prefix) for prefix in prefixes]
        _flush()
    after = describe(area)
    if after == before:
        return False
    audit.record(
        actor, "area_changed", now, subject=area.slug, details={"before": before, "after": after}
    )
    return True


def delete_area(area: Area, actor: User | None, now: datetime) -> None:
    """Remove an area and its postcodes (partners no longer cover it); its postcodes then find
    no borough. Clients keep the borough they were given."""
    before = describe(area)
    db.session.execute(delete(partner_area).where(partner_area.c.area_id == area.id))
    db.session.delete(area)
    db.session.flush()
    details = {"before": before, "after": None}
    audit.record(actor, "area_deleted", now, subject=before["slug"], details=details)


def history(area: Area) -> list[audit.AuditEvent]:
    """Every recorded change to the area, newest first."""
    return audit.about(area.slug, ("area_created", "area_changed"))


def ensure_demo_areas(now: datetime) -> None:
    """The demo hub's areas, Lambeth and Southwark; safe to run again (an area already there
    keeps what an admin made of it). Set-up, like the demo's users: not in the audit trail."""
    for slug, name, postcodes in DEMO_AREAS:
        if find_area(slug) is None:
            _add_area(slug, name, "\n".join(postcodes), now)
