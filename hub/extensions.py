"""Extension singletons, created unbound and bound to an app in ``create_app``."""

import re

from flask import has_request_context
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
# Migration 0015 adds the clients' names in lower case, for search.
EXPRESSION_INDEXES = frozenset(
    f"ix_referral_{whose}{measure}_duration"
    for whose in ("", "partner_")
    for measure in ("forward", "contact")
) | {
    "ix_client_given_name_lower",
    "ix_client_family_given_lower",
    "ix_client_given_name_words",
    "ix_client_family_name_words",
}


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


REQUEST_WAIT_MS = 30_000
JOB_WAIT_MS = 300_000


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL lets readers and one writer work at once; the busy timeout waits instead of failing.
    The driver's own transaction handling is switched off: ``_sqlite_lock_before_changing``
    begins instead."""
    if not _is_sqlite(dbapi_connection):
        return
    # No BEGIN from the driver (SQLAlchemy's pysqlite recipe): ours, where the rule below says.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # A change waits its turn rather than failing with "database is locked": a page for up to
    # 30 s (a person is waiting), a job or command for up to 5 minutes (another job's batches
    # may hold the lock again and again: SQLite's waiting is not first come, first served).
    waits = REQUEST_WAIT_MS if has_request_context() else JOB_WAIT_MS
    cursor.execute(f"PRAGMA busy_timeout={waits}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# --- One rule for concurrent changes (docs/design.md, "Data") ---------------------------------
#
# A change reads what it changes with ``SELECT ... FOR UPDATE``: a second change at once waits for
# the first to commit, then reads what it left. PostgreSQL does that itself (READ COMMITTED).
# SQLite drops ``FOR UPDATE`` and has one writer, so there a transaction takes the database's
# write lock (``BEGIN IMMEDIATE``) just before its first locking read or its first write: a
# second change waits (the busy timeout) at that point, then reads what the first left. Plain
# reads before it run on their own, each seeing what is committed, as on PostgreSQL; so a page
# that only reads never waits, and a request holds the lock only from where it starts to change
# things, not while it checks a token or parses a body. (pysqlite's own BEGIN came only before
# the first write, so the locking reads ran outside the transaction: 20 forwards at once gave
# 14 forwarded events.)

_READS = ("SELECT", "PRAGMA", "EXPLAIN", "VALUES", "BEGIN", "COMMIT", "ROLLBACK", "RELEASE")
_WRITES_IN_WITH = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def takes_write_lock(statement: str, context) -> bool:
    """Whether a statement needs SQLite's write lock: a write, DDL, a ``SAVEPOINT`` (what follows
    it may write), or a read the code marked ``FOR UPDATE``."""
    compiled = getattr(context, "compiled", None)
    if compiled is not None:
        if context.isinsert or context.isupdate or context.isdelete or context.isddl:
            return True
        if getattr(compiled.statement, "_for_update_arg", None) is not None:
            return True
    first = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
    if first == "WITH":
        return bool(_WRITES_IN_WITH.search(statement))
    return first not in _READS


@event.listens_for(Engine, "before_cursor_execute")
def _sqlite_lock_before_changing(conn, cursor, statement, parameters, context, executemany):
    if conn.dialect.name != "sqlite" or conn.connection.dbapi_connection.in_transaction:
        return
    if takes_write_lock(statement, context):
        cursor.execute("BEGIN IMMEDIATE")
