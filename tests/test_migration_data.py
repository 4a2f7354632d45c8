"""Upgrading a database that already holds questionnaires: from the first schema (0001) to the
newest, on SQLite and on PostgreSQL, keeping every row and filling the new required columns;
and back down again."""

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from hub import create_app
from hub.extensions import db as _db
from hub.models import Organisation, Submission
from tests.conftest import TEST_CONFIG, _create_postgres_database, missing

RECEIVED = (datetime(2026, 3, 2, 9, 0), datetime(2026, 6, 15, 23, 30))

# The tables as migration 0001 made them: only the columns that existed then.
organisation = sa.table(
    "organisation",
    sa.column("id", sa.Integer),
    sa.column("slug", sa.String),
    sa.column("name", sa.String),
    sa.column("kind", sa.String),
    sa.column("active", sa.Boolean),
    sa.column("created_at", sa.DateTime),
    sa.column("allow_email_code", sa.Boolean),  # added by 0002: read only after upgrading
)
user = sa.table(
    "user",
    sa.column("id", sa.Integer),
    sa.column("email", sa.String),
    sa.column("name", sa.String),
    sa.column("password_hash", sa.String),
    sa.column("role", sa.String),
    sa.column("organisation_id", sa.Integer),
    sa.column("active", sa.Boolean),
    sa.column("created_at", sa.DateTime),
)
questionnaire_version = sa.table(
    "questionnaire_version",
    sa.column("id", sa.Integer),
    sa.column("slug", sa.String),
    sa.column("version", sa.Integer),
    sa.column("title", sa.String),
    sa.column("definition", sa.JSON),
    sa.column("published_at", sa.DateTime),
)
client = sa.table(
    "client",
    sa.column("id", sa.Integer),
    sa.column("match_key", sa.String),
    sa.column("given_name", sa.String),
    sa.column("family_name", sa.String),
    sa.column("date_of_birth", sa.Date),
    sa.column("address", sa.Text),
    sa.column("postcode", sa.String),
    sa.column("phone", sa.String),
    sa.column("preferred_contact", sa.String),
    sa.column("created_at", sa.DateTime),
)
submission = sa.table(
    "submission",
    sa.column("id", sa.Integer),
    sa.column("reference", sa.String),
    sa.column("questionnaire_version_id", sa.Integer),
    sa.column("client_id", sa.Integer),
    sa.column("submitted_by_id", sa.Integer),
    sa.column("referrer_organisation_id", sa.Integer),
    sa.column("received_at", sa.DateTime),
    sa.column("answers", sa.JSON),
    sa.column("consent_given", sa.Boolean),
    sa.column("consent_recorded_by_id", sa.Integer),
    sa.column("consent_recorded_at", sa.DateTime),
    sa.column("follow_up_due_at", sa.DateTime),  # added by 0002: read only after upgrading
)
referral = sa.table(
    "referral",
    sa.column("id", sa.Integer),
    sa.column("reference", sa.String),
    sa.column("submission_id", sa.Integer),
    sa.column("partner_id", sa.Integer),
    sa.column("question_key", sa.String),
    sa.column("status", sa.String),
    sa.column("received_at", sa.DateTime),
    sa.column("forward_due_at", sa.DateTime),
    sa.column("forwarded_at", sa.DateTime),
    sa.column("contact_due_at", sa.DateTime),
)


def _insert_first_schema_data(connection) -> None:
    created = datetime(2026, 3, 1, 12, 0)
    for row in (
        {"id": 1, "slug": "lambeth-asc", "name": "Lambeth ASC", "kind": "referrer"},
        {"id": 2, "slug": "lfb", "name": "London Fire Brigade", "kind": "partner"},
    ):
        connection.execute(sa.insert(organisation).values(active=True, created_at=created, **row))
    connection.execute(
        sa.insert(user).values(
            id=1,
            email="worker@lambeth.example",
            name="A Worker",
            password_hash="not-a-real-hash",
            role="frontline",
            organisation_id=1,
            active=True,
            created_at=created,
        )
    )
    connection.execute(
        sa.insert(questionnaire_version).values(
            id=1,
            slug="sail",
            version=1,
            title="Safe and Independent Living",
            definition={"slug": "sail", "sections": []},
            published_at=created,
        )
    )
    connection.execute(
        sa.insert(client).values(
            id=1,
            match_key="edna|clarke|1941-05-17",
            given_name="Edna",
            family_name="Clarke",
            date_of_birth=date(1941, 5, 17),
            address="12 Acre Lane, London",
            postcode="SW2 5SG",
            phone="020 7946 0123",
            preferred_contact="phone",
            created_at=created,
        )
    )
    for number, received_at in enumerate(RECEIVED, 1):
        connection.execute(
            sa.insert(submission).values(
                id=number,
                reference=f"SAIL-0000{number}",
                questionnaire_version_id=1,
                client_id=1,
                submitted_by_id=1,
                referrer_organisation_id=1,
                received_at=received_at,
                answers={"smoke_alarms": True},
                consent_given=True,
                consent_recorded_by_id=1,
                consent_recorded_at=received_at,
            )
        )
        connection.execute(
            sa.insert(referral).values(
                id=number,
                reference=f"SAIL-0000{number}-01",
                submission_id=number,
                partner_id=2,
                question_key="smoke_alarms",
                status="forwarded",
                received_at=received_at,
                forward_due_at=received_at + timedelta(hours=24),
                forwarded_at=received_at + timedelta(hours=1),
                contact_due_at=received_at + timedelta(hours=1, days=14),
            )
        )


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    """A database of this test's own, with no tables yet."""
    if request.param == "sqlite":
        yield "sqlite:///" + str(tmp_path / "old-hub.db")
        return
    try:
        url, admin, name = _create_postgres_database()
    except Exception as error:  # no server, no psycopg, refused
        missing(f"PostgreSQL is not reachable: {error}")
    yield url
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _version(connection) -> str:
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()


def _as_date(value) -> date:
    """A DATE as SQLite (text) or PostgreSQL (a date) gives it back without a model."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def _columns(connection, table: str) -> set[str]:
    return {column["name"] for column in sa.inspect(connection).get_columns(table)}


def test_upgrading_a_database_with_questionnaires_keeps_them_and_fills_the_new_columns(
    empty_database, tmp_path
):
    app = create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database},
        instance_path=str(tmp_path / "instance"),
    )
    with app.app_context():
        try:
            upgrade(revision="0001")
            with _db.engine.begin() as connection:
                assert _version(connection) == "0001"
                assert "follow_up_due_at" not in _columns(connection, "submission")
                _insert_first_schema_data(connection)

            upgrade()

            with _db.engine.connect() as connection:
                assert _version(connection) != "0001"
                due = dict(
                    connection.execute(
                        sa.select(submission.c.id, submission.c.follow_up_due_at).order_by(
                            submission.c.id
                        )
                    ).all()
                )
                assert due == {
                    number: received_at + timedelta(days=28)
                    for number, received_at in enumerate(RECEIVED, 1)
                }
                allow = connection.execute(
                    sa.select(organisation.c.slug, organisation.c.allow_email_code)
                ).all()
                assert sorted(allow) == [("lambeth-asc", False), ("lfb", False)]
                assert (
                    connection.execute(
                        sa.select(sa.func.count()).select_from(referral)
                    ).scalar_one()
                    == 2
                )

                # The figures count every day that already has history afresh until
                # ``hub.figures.stored.refresh`` has stored its counts (migration 0005).
                noted = connection.execute(sa.text("SELECT DISTINCT day FROM figures_stale"))
                assert sorted(_as_date(day) for (day,) in noted) == [
                    received_at.date() for received_at in RECEIVED
                ]

            # The application reads the upgraded rows as it reads its own.
            first = _db.session.get(Submission, 1)
            assert first.follow_up_due_at == datetime(2026, 3, 30, 9, 0)
            assert first.client.consent_withdrawn_at is None
            assert [r.reference for r in first.referrals] == ["SAIL-00001-01"]
            assert first.referrals[0].attempts == []
            assert first.follow_up is None and first.wellbeing == []
            assert _db.session.get(Organisation, 2).allow_email_code is False
            _db.session.remove()  # release the tables before altering them again

            downgrade(revision="0001")

            with _db.engine.connect() as connection:
                assert _version(connection) == "0001"
                assert "follow_up_due_at" not in _columns(connection, "submission")
                assert "allow_email_code" not in _columns(connection, "organisation")
                assert "contact_attempt" not in sa.inspect(connection).get_table_names()
                assert "figures_stale" not in sa.inspect(connection).get_table_names()
                received = connection.execute(
                    sa.select(submission.c.received_at).order_by(submission.c.id)
                ).scalars()
                assert list(received) == list(RECEIVED)

            upgrade()  # and up again, over the same rows
            with _db.engine.connect() as connection:
                assert connection.execute(
                    sa.select(submission.c.follow_up_due_at).where(submission.c.id == 2)
                ).scalar_one() == datetime(2026, 7, 13, 23, 30)
        finally:
            _db.session.remove()
            _db.engine.dispose()


def test_upgrading_keeps_one_re_route_link_per_declined_referral(empty_database, tmp_path):
    """Two re-routes of one referral made at once before migration 0007: the earliest keeps its
    link, the later loses it, and the unique index holds from then on."""
    app = create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database},
        instance_path=str(tmp_path / "instance"),
    )
    rerouted_from = sa.column("rerouted_from_id", sa.Integer)
    with app.app_context():
        try:
            upgrade(revision="0001")
            with _db.engine.begin() as connection:
                _insert_first_schema_data(connection)
            upgrade(revision="0006")
            with _db.engine.begin() as connection:
                received_at = RECEIVED[0]
                for number in (3, 4):  # both re-routes of referral 1, on its questionnaire
                    connection.execute(
                        sa.insert(referral).values(
                            id=number,
                            reference=f"SAIL-00001-0{number - 1}",
                            submission_id=1,
                            partner_id=2,
                            question_key="smoke_alarms",
                            status="received",
                            received_at=received_at,
                            forward_due_at=received_at + timedelta(hours=24),
                        )
                    )
                connection.execute(
                    sa.text("UPDATE referral SET rerouted_from_id = 1 WHERE id IN (3, 4)")
                )

            upgrade(revision="0007")

            linked = sa.table("referral", sa.column("id", sa.Integer), rerouted_from)
            with _db.engine.connect() as connection:
                rows = connection.execute(
                    sa.select(linked.c.id, linked.c.rerouted_from_id).order_by(linked.c.id)
                ).all()
                assert rows == [(1, None), (2, None), (3, 1), (4, None)]
            with pytest.raises(sa.exc.IntegrityError), _db.engine.begin() as connection:
                connection.execute(sa.text("UPDATE referral SET rerouted_from_id = 1 WHERE id = 4"))
        finally:
            _db.session.remove()
            _db.engine.dispose()
