"""``flask --app hub areas set SLUG --name NAME --postcodes "SE1, SE5"`` and ``areas list``: the
hub's areas from the command line, so a hub is set up without a browser (README, "Running a
real hub"). Changes go through ``hub.areas`` and are recorded as the command line's."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from hub import areas
from hub.clock import utcnow
from hub.extensions import db

areas_cli = AppGroup("areas", help="The hub's areas (boroughs) and their postcodes.")


@areas_cli.command("set")
@click.argument("slug")
@click.option("--name", help="The area's name, e.g. Southwark (needed for a new area).")
@click.option(
    "--postcodes",
    help='Its postcode districts and sectors, e.g. "SE1, SE5, SE1 7" (replaces the old list).',
)
def areas_set(slug, name, postcodes):
    """Add the area SLUG, or change its name or postcodes."""
    now = utcnow()
    area = areas.find_area(slug)
    try:
        if area is None:
            area = areas.create_area(slug, name or "", postcodes or "", None, now)
            verb = "Added"
        else:
            changed = areas.update_area(area, None, now, name=name, postcodes=postcodes)
            verb = "Changed" if changed else "Unchanged:"
    except areas.AreaInvalid as invalid:
        db.session.rollback()
        lines = "\n".join(f"  {field}: {message}" for field, message in invalid.errors.items())
        raise click.ClickException(f"Area {slug!r} was not saved:\n{lines}") from None
    db.session.commit()
    click.echo(f"{verb} {area.slug} ({area.name}): {', '.join(areas.describe(area)['postcodes'])}")


@areas_cli.command("list")
def areas_list():
    """Every area with its postcodes."""
    for area in areas.all_areas():
        click.echo(f"{area.slug}\t{area.name}\t{', '.join(areas.describe(area)['postcodes'])}")
