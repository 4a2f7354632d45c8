"""The hub's commands: ``flask --app hub demo load``, ``demo generate``, ``users create``,
``users token``, ``users invite``, ``users reset-password``, ``users deactivate``, ``users
activate``, ``users revoke-tokens``, ``users reset-2fa``, ``partners sms``, ``jobs run-due``,
``figures refresh`` and ``scheduler``; ``areas`` (``hub.area_cli``), ``directory``
(``partners.cli``), ``questionnaires`` (``hub.referrals.questionnaire_cli``) and ``people``
(``hub.people.cli``) have modules of their own.

``db upgrade`` comes from Flask-Migrate.
"""

from __future__ import annotations

import logging
import sys
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.exc import OperationalError

from hub import audit
from hub.area_cli import areas_cli
from hub.auth import account_life, accounts, two_factor
from hub.clock import parse_iso, utcnow
from hub.demo import history, load
from hub.extensions import JOB_WAIT_MS, db
from hub.figures import stored
from hub.jobs import schedule
from hub.people.cli import people_cli
from hub.referrals.questionnaire_cli import questionnaires_cli
from partners import agencies
from partners.cli import directory_cli

demo_cli = AppGroup("demo", help="Demo data for development.")
users_cli = AppGroup("users", help="Users and API tokens.")
jobs_cli = AppGroup("jobs", help="The scheduler's jobs, run once by hand.")
partners_cli = AppGroup("partners", help="Partner agencies' contact details.")
figures_cli = AppGroup("figures", help="The managers' figures.")


@demo_cli.command("load")
def demo_load():
    """Partners, organisations, users and the SAIL questionnaire for a demo hub."""
    if current_app.config["HUB_ENV"] == "production":
        raise click.ClickException("demo load is for development only (HUB_ENV=production)")
    users = load.load_demo(utcnow())
    db.session.commit()
    click.echo("Demo hub loaded: the SAIL questionnaire, partners, referrers and these users.")
    click.echo("These passwords are for development only.")
    for user in users:
        click.echo(f"  {user.role:<10} {user.email:<32} {user.password}  ({user.organisation})")
    click.echo("Demo partners have no SMS duty number; to try SMS, give one your own mobile:")
    click.echo('  flask --app hub partners sms lfb-home-fire-safety "07911 123456"')


@demo_cli.command("generate")
@click.option("--referrals", type=click.IntRange(min=1), required=True, help="How many to make.")
@click.option(
    "--months",
    type=click.IntRange(min=1),
    default=12,
    show_default=True,
    help="Spread over this many months before now.",
)
@click.option(
    "--seed",
    type=int,
    default=1,
    show_default=True,
    help="The same seed, the same history (on the same database).",
)
@click.option("--now", "as_of", help="End the history at this moment (ISO 8601); default now.")
@click.option(
    "--events/--no-events",
    default=True,
    show_default=True,
    help="Write each referral's history events too.",
)
def demo_generate(referrals, months, seed, as_of, events):
    """Synthetic history for the demo hub: questionnaires over the last MONTHS months and what
    became of each referral, follow-ups and wellbeing scores. Loads the demo hub first if it is
    missing. For development only."""
    if current_app.config["HUB_ENV"] == "production":
        raise click.ClickException("demo generate is for development only (HUB_ENV=production)")
    try:
        now = parse_iso(as_of) if as_of else utcnow()
    except ValueError:
        raise click.BadParameter(f"{as_of!r} is not an ISO 8601 time", param_hint="--now") from None
    try:
        # A hub loaded now is set up as of before its history begins.
        if history.ensure_demo_hub(now - timedelta(days=31 * months + 1)):
            click.echo("Loaded the demo hub first (flask --app hub demo load).")
        click.echo(
            "Writing the history in one transaction: if it stops, nothing of it is kept. "
            "Meanwhile a running hub (make run) waits to save changes; for a big history, "
            "stop it first."
        )
        with click.progressbar(
            length=referrals, label="Generating referrals", show_pos=True, show_eta=True
        ) as bar:
            made = history.generate_history(
                referrals, now, months=months, seed=seed, progress=bar.update, events=events
            )
    except OperationalError as error:
        db.session.rollback()
        if "locked" not in str(error).lower():
            raise
        waited = JOB_WAIT_MS // 60_000
        raise click.ClickException(
            f"The database stayed locked for {waited} minutes: something else (the hub's "
            "server or scheduler, from make run) kept writing. Nothing was generated. Stop "
            "the server and run this again."
        ) from None
    click.echo("Counting the figures for each day…")
    stored.refresh(db.session)
    db.session.execute(db.text("ANALYZE"))  # fresh planner statistics for the figures
    db.session.commit()
    click.echo(
        f"Made {made.questionnaires:,} questionnaires ({made.clients_seen_before:,} about someone "
        f"seen before), {made.referrals:,} referrals, {made.follow_ups:,} follow-ups, "
        f"{made.wellbeing:,} wellbeing scores and {made.events:,} history events, "
        f"over the {months} months to {now:%Y-%m-%d %H:%M} UTC."
    )


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(accounts.ROLES))
@click.option("--org", "org", required=True, help="Organisation slug or name (created if new).")
@click.option("--name", default="", help="The person's name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(email, role, org, name, password_stdin):
    """Create a user. A partner user must name an existing partner agency."""
    now = utcnow()
    organisation = _organisation_for(role, org, now)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(email, role, organisation, password, now, name=name)
    except accounts.AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    audit.record(None, "user_created", now, subject=user.email, details={"role": role})
    db.session.commit()
    click.echo(
        f"Created {user.role} user {user.email} in {organisation.name} ({organisation.slug})"
    )


def _organisation_for(role: str, org: str, now):
    """The organisation a new user of ``role`` joins: a partner user's must exist."""
    organisation = accounts.find_organisation(org)
    if organisation is None:
        if role == "partner":
            raise click.ClickException(
                f"No partner agency called {org!r}: a partner user must name an existing partner"
            )
        kind = "hub" if role in ("hub", "manager", "admin") else "referrer"
        organisation = accounts.ensure_organisation(org, kind, now)
    return organisation


def _account_change(change, *args):
    """Run one of ``account_life``'s changes as the command line, and commit; a clear error
    (and nothing changed) for an unknown email or a change refused."""
    try:
        result = change(*args, None, utcnow())
    except accounts.AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    return result


@users_cli.command("token")
@click.argument("email")
def users_token(email):
    """Print a new API token for that user. It is shown once and stored hashed; it lasts
    HUB_TOKEN_DAYS."""
    click.echo(_account_change(account_life.issue_token, email))


@users_cli.command("invite")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(accounts.ROLES))
@click.option("--org", "org", required=True, help="Organisation slug or name (created if new).")
@click.option("--name", default="", help="The person's name.")
def users_invite(email, role, org, name):
    """Create a user without a password and email them a link to set one (it works once and
    lasts HUB_INVITE_LINK_HOURS)."""
    now = utcnow()
    organisation = _organisation_for(role, org, now)
    user = _account_change(
        lambda actor, when: account_life.invite(email, role, organisation, actor, when, name)
    )
    click.echo(f"Invited {user.role} user {user.email}: the link to set a password is emailed")


@users_cli.command("reset-password")
@click.argument("email")
def users_reset_password(email):
    """Email the user a link to set a new password (it works once and lasts
    HUB_RESET_LINK_HOURS). Their password works until they set a new one."""
    user = _account_change(account_life.send_reset, email)
    click.echo(f"Emailed {user.email} a link to set a new password")


@users_cli.command("deactivate")
@click.argument("email")
def users_deactivate(email):
    """The user can no longer sign in or use the API; signed out everywhere."""
    user = _account_change(account_life.deactivate, email)
    click.echo(f"Deactivated {user.email}: signed out, and their API tokens answer 401")


@users_cli.command("activate")
@click.argument("email")
def users_activate(email):
    """Let a deactivated user sign in again (tokens revoked before stay revoked)."""
    user = _account_change(account_life.activate, email)
    click.echo(f"Activated {user.email}: they can sign in again")


@users_cli.command("revoke-tokens")
@click.argument("email")
def users_revoke_tokens(email):
    """Every API token of the user answers 401 from now on."""
    revoked = _account_change(account_life.revoke_tokens, email)
    click.echo(f"Revoked {revoked} API {'token' if revoked == 1 else 'tokens'} of {email.strip()}")


@users_cli.command("reset-2fa")
@click.argument("email")
def users_reset_2fa(email):
    """For a lost phone: remove the user's second factor and recovery codes, and sign them out
    everywhere. A hub, manager or admin user sets it up again at their next sign-in."""
    user = _account_change(two_factor.reset_for, email)
    click.echo(f"Reset the second factor of {user.email}: signed out; they set it up again")


@jobs_cli.command("run-due")
@click.option("--now", "as_of", help="Run as of this moment (ISO 8601, e.g. 2026-03-02T09:00:00Z).")
def jobs_run_due(as_of):
    """Run every scheduler job once and print what each did."""
    try:
        now = parse_iso(as_of) if as_of else utcnow()
    except ValueError:
        raise click.BadParameter(f"{as_of!r} is not an ISO 8601 time", param_hint="--now") from None
    for name, summary in schedule.run_due(now):
        click.echo(f"{name}: {schedule.describe(summary)}")


@figures_cli.command("refresh")
@click.option(
    "--all",
    "every_day",
    is_flag=True,
    help="Count the whole history again, not only the days that changed.",
)
def figures_refresh(every_day):
    """Count again every day whose referrals or questionnaires changed since the figures' counts
    were last worked out (the scheduler does this every run; after a migration or a bulk load,
    this does it at once)."""
    if every_day:
        stored.note_every_day(db.session)
    days = stored.refresh(db.session)
    click.echo(f"Counted {days:,} days again.")


@partners_cli.command("sms")
@click.argument("partner")
@click.argument("number", required=False)
@click.option("--clear", is_flag=True, help="Remove the partner's SMS duty number.")
def partners_sms(partner, number, clear):
    """Set a partner agency's SMS duty number (a UK mobile, stored in E.164), or --clear it.
    PARTNER is the agency's slug or name."""
    if clear == bool(number):
        raise click.UsageError("Give either a NUMBER or --clear")
    organisation = accounts.find_organisation(partner)
    if organisation is None or organisation.kind != "partner":
        raise click.ClickException(f"No partner agency called {partner!r}")
    try:  # partners.agencies checks the number and records the change in the audit trail
        agencies.update(organisation, {"sms_number": None if clear else number}, None, utcnow())
    except agencies.AgencyError as error:
        db.session.rollback()
        raise click.ClickException(error.errors["sms_number"]) from None
    db.session.commit()
    if clear:
        click.echo(f"{organisation.name} ({organisation.slug}) has no SMS duty number now")
        return
    click.echo(
        f"{organisation.name} ({organisation.slug}): SMS duty number {organisation.sms_number}"
    )


@click.command("scheduler")
@with_appcontext
def scheduler_command():
    """Run the scheduler loop: every job, every HUB_SCHEDULER_SECONDS, until stopped."""
    from hub.jobs.scheduler import build_scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = current_app._get_current_object()
    click.echo(f"Running the hub's jobs every {app.config['HUB_SCHEDULER_SECONDS']} seconds.")
    try:
        build_scheduler(app).start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("Scheduler stopped.")


def init_app(app):
    app.cli.add_command(scheduler_command)
    app.cli.add_command(demo_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(partners_cli)
    app.cli.add_command(figures_cli)
    app.cli.add_command(people_cli)
    app.cli.add_command(directory_cli)
    app.cli.add_command(questionnaires_cli)
    app.cli.add_command(areas_cli)
