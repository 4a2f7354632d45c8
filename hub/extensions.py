"""Extension singletons, created unbound and bound to an app in ``create_app``."""

from flask import current_app, has_request_context, request
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


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL lets readers and one writer work at once; the busy timeout waits instead of failing.
    The driver's own transaction handling is switched off: ``_sqlite_begin`` begins instead."""
    if not _is_sqlite(dbapi_connection):
        return
    # pysqlite BEGINs lazily, before the first write only: reads (a locking one included) ran
    # outside the transaction. SQLAlchemy's recipe: no BEGIN from the driver, ours instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# --- One rule for concurrent changes (docs/design.md, "Data") ---------------------------------
#
# PostgreSQL: a change reads what it changes with ``SELECT ... FOR UPDATE``; a second change at
# once waits for the first to commit, then reads what it left. SQLite drops ``FOR UPDATE``, so
# there every transaction that may write begins ``BEGIN IMMEDIATE``: it takes the database's
# write lock before its first read, and a second one waits (the busy timeout) until the first
# has committed, then reads what it left. The same code decides once on both.
#
# Which transactions may write: everything but GET and HEAD requests (POST, PUT, PATCH and
# DELETE requests, CLI commands, scheduler jobs, anything outside a request). A GET or HEAD
# request begins deferred (``BEGIN``): reads never wait for a writer. A GET view that writes
# all the same is marked ``@writes_on_get``; a connection of its own that only reads (a streamed
# export's pages) says so with ``execution_options(reads_only=True)``.

READING_METHODS = frozenset({"GET", "HEAD"})


def writes_on_get(view):
    """Mark a view that writes even when asked with GET or HEAD: its transactions on SQLite
    begin IMMEDIATE, as a POST's do. (A wrapping decorator keeps the mark: ``functools.wraps``
    copies it.)"""
    view.writes_on_get = True
    return view


def sqlite_begin_statement(reads_only: bool = False) -> str:
    """``BEGIN IMMEDIATE`` for a transaction that may write, ``BEGIN`` for one that only reads."""
    if reads_only:
        return "BEGIN"
    if not has_request_context():
        return "BEGIN IMMEDIATE"
    if request.method not in READING_METHODS:
        return "BEGIN IMMEDIATE"
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return "BEGIN IMMEDIATE" if getattr(view, "writes_on_get", False) else "BEGIN"


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection):
    if connection.dialect.name == "sqlite":
        reads_only = connection.get_execution_options().get("reads_only", False)
        connection.exec_driver_sql(sqlite_begin_statement(reads_only))
