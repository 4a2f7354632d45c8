"""``flask --app hub questionnaires publish FILE`` and ``questionnaires export SLUG [--version N]
[FILE]``: question banks in the format of ``questionnaires/banks/sail.toml``, in and out.

Publishing goes through ``questionnaire_versions.publish`` (it refuses a bank naming partner
agencies the hub does not have, and a changed bank under a version already published); a
changed bank must also have a version higher than the latest published.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from hub.clock import utcnow
from hub.extensions import db
from hub.models import QuestionnaireVersion
from hub.referrals import questionnaire_versions
from questionnaires import DefinitionError, Questionnaire
from questionnaires.bank_toml import to_toml

questionnaires_cli = AppGroup("questionnaires", help="Publish and export question banks.")


def _refuse(message: str):
    db.session.rollback()
    raise click.ClickException(message)


@questionnaires_cli.command("publish")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def questionnaires_publish(file):
    """Publish the question bank in FILE (TOML, as questionnaires/banks/sail.toml). The same
    bank again changes nothing; a changed bank needs a higher version."""
    try:
        questionnaire = Questionnaire.from_toml(file.read())
    except (DefinitionError, UnicodeDecodeError) as error:
        _refuse(f"{file.name} is not a question bank: {error}")
    latest = questionnaire_versions.latest(questionnaire.slug)
    same = db.session.scalar(
        select(QuestionnaireVersion).filter_by(
            slug=questionnaire.slug, version=questionnaire.version
        )
    )
    if same is None and latest is not None and questionnaire.version < latest.version:
        _refuse(
            f"{questionnaire.slug} version {latest.version} is already published: publish this "
            f"bank as version {latest.version + 1} or higher"
        )
    try:
        row = questionnaire_versions.publish(questionnaire, utcnow())
    except questionnaire_versions.UnknownPartners as error:
        _refuse(str(error))
    except questionnaire_versions.VersionConflict as error:
        following = (latest.version if latest else questionnaire.version) + 1
        _refuse(f"{error} (version {following})")
    if same is not None:
        click.echo(f"{row.slug} version {row.version} is already published: nothing changed.")
        return
    db.session.commit()
    click.echo(f"Published {row.title} ({row.slug}) version {row.version}.")


@questionnaires_cli.command("export")
@click.argument("slug")
@click.argument("file", type=click.File("w", encoding="utf-8"), default="-")
@click.option("--version", "number", type=click.IntRange(min=1, max=2**31 - 1))
def questionnaires_export(slug, file, number):
    """Write a published questionnaire (the latest version, or --version N) to FILE (or
    standard output) as a question bank that publish reads."""
    if number is None:
        row = questionnaire_versions.latest(slug)
    else:
        row = db.session.scalar(select(QuestionnaireVersion).filter_by(slug=slug, version=number))
    if row is None:
        which = f" version {number}" if number is not None else ""
        raise click.ClickException(f"No published questionnaire {slug!r}{which}")
    file.write(to_toml(questionnaire_versions.definition_of(row)))
