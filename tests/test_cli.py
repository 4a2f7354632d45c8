"""The commands docs/design.md promises: demo load, users create, users token, db upgrade."""

import pytest
from sqlalchemy import func, select

from hub.auth import accounts
from hub.models import ApiToken, Organisation, QuestionnaireVersion, User
from tests.conftest import NOW


def create_user(runner, args: list[str], password_line: str):
    return runner.invoke(args=["users", "create", *args, "--password-stdin"], input=password_line)


def test_demo_load_creates_the_hub_and_can_run_again(runner, db):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "demo-frontline-password" in first.output
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0, second.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 5
    assert db.session.scalar(select(func.count()).select_from(QuestionnaireVersion)) == 1
    partners = db.session.scalars(select(Organisation).filter_by(kind="partner")).all()
    assert len(partners) >= 16
    assert all(p.referral_email for p in partners)
    assert not any(p.sms_number for p in partners)  # set one with `partners sms`


def test_demo_load_is_refused_in_production(app, runner):
    app.config["HUB_ENV"] = "production"
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code != 0
    assert "development only" in result.output


def test_users_create_with_password_from_stdin_creates_the_organisation(runner, db):
    result = create_user(
        runner,
        ["Nurse@Example.org", "--role", "frontline", "--org", "Camberwell Nurses"],
        "a-long-enough-password\n",
    )
    assert result.exit_code == 0, result.output
    user = accounts.find_user("nurse@example.org")
    assert user.role == "frontline"
    assert (user.organisation.slug, user.organisation.kind) == ("camberwell-nurses", "referrer")
    assert user.password_hash != "a-long-enough-password"
    assert accounts.authenticate("nurse@example.org", "a-long-enough-password") == user


def test_a_partner_user_must_name_an_existing_partner(runner, db, demo_hub):
    missing = create_user(
        runner,
        ["p@example.org", "--role", "partner", "--org", "Nowhere Agency"],
        "a-long-enough-password\n",
    )
    assert missing.exit_code != 0
    assert "existing partner" in missing.output
    assert accounts.find_organisation("Nowhere Agency") is None
    found = create_user(
        runner,
        ["p@example.org", "--role", "partner", "--org", "NHS Falls Prevention Service"],
        "a-long-enough-password\n",
    )
    assert found.exit_code == 0, found.output
    assert accounts.find_user("p@example.org").organisation.slug == "nhs-falls-prevention"


def test_users_create_refuses_a_short_password_and_a_duplicate(runner, db, demo_hub):
    short = create_user(
        runner, ["x@example.org", "--role", "hub", "--org", "age-uk-lambeth-southwark"], "short\n"
    )
    assert short.exit_code != 0 and "at least 12" in short.output
    duplicate = create_user(
        runner,
        ["hub@demo.sail.example", "--role", "hub", "--org", "age-uk-lambeth-southwark"],
        "a-long-enough-password\n",
    )
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output


def test_users_token_prints_a_token_that_is_stored_hashed(runner, db, demo_hub):
    result = runner.invoke(args=["users", "token", "hub@demo.sail.example"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.startswith("sail_") and len(token) > 40
    stored = db.session.scalar(select(ApiToken))
    assert token not in (stored.token_hash, stored.prefix)
    assert accounts.user_for_token(token, NOW).email == "hub@demo.sail.example"
    with pytest.raises(accounts.TokenRefused):
        accounts.user_for_token(token + "x", NOW)


def test_users_token_for_an_unknown_user(runner, db):
    result = runner.invoke(args=["users", "token", "nobody@example.org"])
    assert result.exit_code != 0 and "No user" in result.output


def test_db_upgrade_on_a_fresh_database(tmp_path):
    from hub import create_app
    from tests.conftest import TEST_CONFIG

    url = "sqlite:///" + str(tmp_path / "fresh.db")
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url}, str(tmp_path / "instance"))
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        from hub.extensions import db

        assert db.session.execute(select(func.count()).select_from(User)).scalar() == 0
        mode = db.session.execute(__import__("sqlalchemy").text("PRAGMA journal_mode")).scalar()
        assert mode == "wal"
        db.engine.dispose()
