"""``flask --app hub people export CLIENT_ID [FILE]`` and ``people erase CLIENT_ID --reason``:
subject access and erasure on request, for an operator (the admin pages do the same)."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from hub.clock import utcnow
from hub.extensions import db
from hub.models import Client
from hub.people import anonymise, subject_access

people_cli = AppGroup("people", help="Subject access and erasure of one person's details.")


def _client(client_id: int) -> Client:
    client = db.session.get(Client, client_id)
    if client is None:
        raise click.ClickException(f"No client with id {client_id}")
    return client


@people_cli.command("export")
@click.argument("client_id", type=click.IntRange(min=1, max=2**31 - 1))
@click.argument("file", type=click.File("w", encoding="utf-8"), default="-")
def people_export(client_id, file):
    """Write everything held about one client as JSON to FILE (or standard output)."""
    client = _client(client_id)
    record = subject_access.record(client)
    subject_access.note_export(client, None, utcnow())
    db.session.commit()
    json.dump(record, file, indent=2, ensure_ascii=False)
    file.write("\n")


@people_cli.command("erase")
@click.argument("client_id", type=click.IntRange(min=1, max=2**31 - 1))
@click.option("--reason", required=True, help="Why (e.g. the person asked, and when).")
def people_erase(client_id, reason):
    """Cancel the client's open referrals and remove their personal details, keeping the
    anonymous figures."""
    client = _client(client_id)
    try:
        cancelled = anonymise.erase(client, None, utcnow(), reason)
    except anonymise.ErasureRefused as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Erased client {client_id}; cancelled {len(cancelled)} open referral(s).")
