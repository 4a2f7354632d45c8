"""Extension singletons, created unbound and bound to an app in ``create_app``."""

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

# Named constraints, so migrations can alter them on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Objects stay loaded after a commit: a view commits once, then renders what it just saved
# without reloading every row.
db = SQLAlchemy(
    metadata=MetaData(naming_convention=NAMING), session_options={"expire_on_commit": False}
)
# Indexes on expressions, which migration 0005 writes differently for SQLite and PostgreSQL and
# the models cannot describe: autogenerate leaves them alone rather than offering to drop them.
EXPRESSION_INDEXES = frozenset(
    f"ix_referral_{whose}{measure}_duration"
    for whose in ("", "partner_")
    for measure in ("forward", "contact")
)


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's filter for autogenerate: everything but ``EXPRESSION_INDEXES``."""
    return not (type_ == "index" and name in EXPRESSION_INDEXES)


migrate = Migrate(include_object=include_object)

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_or_skip(target, key: str):
    """An INSERT into ``target`` that quietly does nothing when a row with the same unique
    ``key`` is there already (``ON CONFLICT DO NOTHING``, on SQLite and PostgreSQL alike): how
    the outbox, the SLA watch's events and its daily marks make each thing happen once."""
    insert = _INSERTS[db.session.get_bind().dialect.name]
    return insert(target).on_conflict_do_nothing(index_elements=[key])


login_manager = LoginManager()
csrf = CSRFProtect()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL lets readers and one writer work at once; the busy timeout waits instead of failing."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
