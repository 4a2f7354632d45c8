"""hub.areas: postcode prefixes, a postcode's area (most specific wins), and changing areas
with checks and an audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub import areas
from hub.areas import AreaInvalid, area_for_postcode, normalise_prefix, parse_prefixes
from hub.audit import AuditEvent
from hub.models import Area, AreaPostcode
from hub.referrals.client_details import DetailError
from tests.factories import user

pytestmark = pytest.mark.both_databases


@pytest.mark.parametrize(
    "typed, prefix",
    [("se1", "SE1"), (" SE1  7 ", "SE1 7"), ("sw1a", "SW1A"), ("SE17", "SE17"), ("w1 0", "W1 0")],
)
def test_a_prefix_is_a_district_or_a_sector_in_one_spelling(typed, prefix):
    assert normalise_prefix(typed) == prefix


@pytest.mark.parametrize("typed", ["", "SE1 7PB", "SE", "1SE", "SE1 A", "QE1", "SE1 7 2"])
def test_anything_else_is_not_a_prefix(typed):
    with pytest.raises(DetailError, match="district or sector"):
        normalise_prefix(typed)


def test_prefixes_come_one_a_line_or_comma_separated_each_once():
    assert parse_prefixes("se1, SE1 7\nsw9;;\n se1 ") == (["SE1", "SE1 7", "SW9"], [])
    found, problems = parse_prefixes("SE1, nonsense")
    assert found == ["SE1"] and problems == ["“nonsense” " + areas.PREFIX_PROBLEM]


@pytest.mark.parametrize(
    "postcode, slug",
    [
        ("SW9 8AA", "lambeth"),
        ("se178aa", "southwark"),
        ("SE1 7PB", "lambeth"),  # the sector SE1 7 beats its district SE1
        ("SE1 9GF", "southwark"),
        ("SW8 1UQ", "lambeth"),
        ("SW8 4AA", None),  # the rest of SW8 is not the demo hub's
        ("N1 9GU", None),
        ("not a postcode", None),
        (None, None),
    ],
)
def test_a_postcode_is_in_its_sectors_area_else_its_districts(demo_hub, postcode, slug):
    area = area_for_postcode(postcode)
    assert (area.slug if area else None) == slug


def test_the_demo_areas_are_loaded_once(db, demo_hub, now):
    areas.ensure_demo_areas(now)
    assert [area.slug for area in areas.all_areas()] == ["lambeth", "southwark"]
    assert db.session.scalar(select(AreaPostcode.prefix).where(AreaPostcode.prefix == "SW9"))


def test_an_area_is_created_and_changed_with_its_history(db, demo_hub, now):
    admin = user("admin")
    area = areas.create_area("croydon", "Croydon", "cr0, CR2\nse25", admin, now)
    assert areas.describe(area) == {
        "slug": "croydon",
        "name": "Croydon",
        "postcodes": ["CR0", "CR2", "SE25"],
    }
    assert area_for_postcode("CR0 1AA").slug == "croydon"
    assert areas.update_area(area, admin, now, name="London Borough of Croydon", postcodes="CR0")
    assert not areas.update_area(area, admin, now, name="London Borough of Croydon")
    db.session.commit()
    assert area_for_postcode("CR2 6AA") is None
    changed, created = areas.history(area)
    assert (created.action, created.actor) == ("area_created", admin.email)
    assert created.details["before"] is None
    assert created.details["after"]["postcodes"] == ["CR0", "CR2", "SE25"]
    assert changed.action == "area_changed"
    assert changed.details["before"]["postcodes"] == ["CR0", "CR2", "SE25"]
    assert changed.details["after"] == {
        "slug": "croydon",
        "name": "London Borough of Croydon",
        "postcodes": ["CR0"],
    }


def test_a_bad_area_is_refused_naming_every_field_and_nothing_changes(db, demo_hub, now):
    before = db.session.scalar(select(db.func.count(AuditEvent.id)))
    with pytest.raises(AreaInvalid) as refused:
        areas.create_area("Lambeth!", "", "SW9, SE1 7, XX", user("admin"), now)
    assert set(refused.value.errors) == {"slug", "name", "postcodes"}
    with pytest.raises(AreaInvalid) as refused:
        areas.create_area("lambeth", "Lambeth again", "CR0", user("admin"), now)
    assert refused.value.errors == {"slug": "There is already an area with the short name lambeth"}
    southwark = areas.find_area("southwark")
    with pytest.raises(AreaInvalid) as refused:
        areas.update_area(southwark, user("admin"), now, postcodes="SE1, SW9, SE1 7")
    assert refused.value.errors == {
        "postcodes": "SE1 7 is already in Lambeth; SW9 is already in Lambeth"
    }
    db.session.rollback()
    assert db.session.scalar(select(db.func.count(Area.id))) == 2
    assert db.session.scalar(select(db.func.count(AuditEvent.id))) == before


def test_a_prefix_taken_at_the_same_moment_is_refused_not_an_error(db, demo_hub, now, monkeypatch):
    """Another admin's change committed between the check and the write: the unique prefix
    refuses this one, in words."""
    monkeypatch.setattr(
        areas, "_clean_prefixes", lambda value, area, errors: parse_prefixes(value)[0]
    )
    with pytest.raises(AreaInvalid, match="at the same moment"):
        areas.update_area(areas.find_area("southwark"), user("admin"), now, postcodes="SE1, SW9")
    db.session.rollback()
    assert area_for_postcode("SW9 8AA").slug == "lambeth"
