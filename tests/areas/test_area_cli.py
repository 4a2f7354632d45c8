"""``flask --app hub areas set`` and ``areas list``: a hub's areas set up without a browser, each
change through ``hub.areas`` and in the audit trail as the command line's."""

from __future__ import annotations

from sqlalchemy import select

from hub import areas
from hub.audit import CLI, AuditEvent
from hub.extensions import db as _db


def test_set_adds_an_area_then_changes_it_and_list_shows_it(runner, db):
    added = runner.invoke(args=["areas", "set", "croydon", "--name", "Croydon",
                                "--postcodes", "CR0, cr2 6"])  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "Added croydon (Croydon): CR0, CR2 6" in added.output
    assert areas.area_for_postcode("CR2 6AB").slug == "croydon"

    changed = runner.invoke(args=["areas", "set", "croydon", "--postcodes", "CR0"])
    assert changed.exit_code == 0, changed.output
    assert areas.area_for_postcode("CR2 6AB") is None
    assert "Croydon\tCR0" in runner.invoke(args=["areas", "list"]).output

    actions = _db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject == "croydon", AuditEvent.actor == CLI)
    ).all()
    assert sorted(actions) == ["area_changed", "area_created"]


def test_set_refuses_a_bad_postcode_or_one_taken_and_saves_nothing(runner, db, demo_hub):
    bad = runner.invoke(args=["areas", "set", "croydon", "--name", "Croydon",
                              "--postcodes", "CR0, banana"])  # fmt: skip
    assert bad.exit_code != 0
    assert "not saved" in bad.output and "banana" in bad.output
    taken = runner.invoke(args=["areas", "set", "croydon", "--name", "Croydon",
                                "--postcodes", "SE17"])  # fmt: skip
    assert taken.exit_code != 0 and "Southwark" in taken.output
    assert areas.find_area("croydon") is None
