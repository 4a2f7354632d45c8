"""``flask --app hub directory import FILE`` and ``directory export [FILE]``: the hub's partner
agencies in and out as Open Referral UK v3 JSON (``partners.oruk``)."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from hub.clock import utcnow
from hub.extensions import db
from partners import oruk

directory_cli = AppGroup("directory", help="Partner agencies as Open Referral UK (ORUK) v3 JSON.")


@directory_cli.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def directory_import(file):
    """Create or update a partner agency for each ORUK service in FILE (a list of services, or
    a page {"contents": [...]}), matched by the service's id. All or nothing: a file with any
    problem changes nothing, and each problem is listed."""
    try:
        data = json.load(file)
    except (ValueError, UnicodeDecodeError) as error:
        raise click.ClickException(f"{file.name} is not JSON: {error}") from None
    try:
        summary = oruk.import_services(data, None, utcnow())
    except oruk.ImportRefused as refused:
        db.session.rollback()
        lines = "\n".join(f"  {problem}" for problem in refused.problems)
        message = f"{file.name} was not imported; nothing changed:\n{lines}"
        raise click.ClickException(message) from None
    db.session.commit()
    click.echo(
        f"Imported {file.name}: {len(summary.created)} partner agencies added, "
        f"{len(summary.changed)} changed, {summary.unchanged} unchanged."
    )
    for slug in summary.created:
        click.echo(f"  added   {slug}")
    for slug in summary.changed:
        click.echo(f"  changed {slug}")


@directory_cli.command("export")
@click.argument("file", type=click.File("w", encoding="utf-8"), default="-")
def directory_export(file):
    """Write every partner agency as ORUK v3 JSON {"contents": [service, ...]} to FILE (or
    standard output). Private SMS duty numbers are in it, marked private: keep it safe."""
    json.dump(oruk.export(), file, indent=2, ensure_ascii=False)
    file.write("\n")
