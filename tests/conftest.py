"""Fixtures: ``app``, ``client``, ``runner``, ``db``, ``demo_hub`` and ``now``, on SQLite and, for
the tests marked ``both_databases``, on PostgreSQL too; ``referral``, ``sign_in_as``,
``smtp_server`` and ``fake_twilio``; and for browser tests ``live_server``, ``browser`` and
``page``. The helpers the tests share are in ``tests/support.py``.

Every test that asks for ``app`` runs on SQLite. A test whose SQL differs between the two
databases (the figures and their stored counts, claims and locks, migrations, processes that
race each other) is marked ``both_databases`` and runs once on each. The schema is built once per
database (in each worker, under pytest-xdist) by the real migrations, and the demo hub is loaded
once into a copy of it; each app (one per database and kind of test) is made once, and a test's
changes to its config are undone after it.

A test runs inside a transaction that is rolled back at its end: what it and the code it calls
commit goes to a savepoint. A test whose data another connection must read (a live server's
threads, a process, a second app: anything that asks for ``live_server`` or ``database_url``, or is
marked ``committed``) commits for real instead, and every table is emptied after it.
On SQLite such a test's own open transaction, once it has written, holds the write lock
(``hub.extensions``), so it commits or rolls back before the server or process it started writes.

Outside CI a test whose PostgreSQL server or browser is missing is skipped with the reason; with
``CI=true`` it fails.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from contextlib import closing, contextmanager
from datetime import datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import orm

from hub import create_app
from hub.extensions import db as _db
from tests.factories import submit, user
from tests.fake_twilio import fake_twilio_fixture  # noqa: F401  (the ``fake_twilio`` fixture)
from tests.smtp_support import smtp_server_fixture  # noqa: F401  (the ``smtp_server`` fixture)

# Tests import these from here as well as from tests.support, where they live.
from tests.support import axe_violations, missing, sign_in  # noqa: F401

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "WTF_CSRF_ENABLED": False,
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    "HUB_BASE_URL": "http://hub.test",
    # Tests issue tokens as of ``NOW`` (2026) and the API checks them against the real clock:
    # a century keeps them live; the tests of expiry choose their own.
    "HUB_TOKEN_DAYS": 36500,
}
BACKENDS = ("sqlite", "postgresql")
NOW = datetime(2026, 3, 2, 9, 0, 0)  # the ``now`` fixture, and when the demo hub was loaded


def _create_postgres_database(template: str | None = None) -> tuple[str, sa.Engine, str]:
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"sail_test_{uuid.uuid4().hex[:10]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"{copy}'))
    url = sa.make_url(POSTGRES_ADMIN_URL).set(database=name)
    return url.render_as_string(hide_password=False), admin, name


# --- Which database, and whether a test commits -----------------------------------------------


def _parametrized(metafunc, name: str) -> bool:
    for marker in metafunc.definition.iter_markers("parametrize"):
        names = marker.args[0]
        if isinstance(names, str):
            names = [part.strip() for part in names.split(",")]
        if name in names:
            return True
    return False


def pytest_generate_tests(metafunc):
    """SQLite for every test; PostgreSQL as well for a test marked ``both_databases``."""
    if "backend" in metafunc.fixturenames and not _parametrized(metafunc, "backend"):
        both = metafunc.definition.get_closest_marker("both_databases") is not None
        metafunc.parametrize(
            "backend", BACKENDS if both else BACKENDS[:1], indirect=True, scope="session"
        )


def commits(request) -> bool:
    """Whether this test's data must be committed for real, for other connections to read."""
    return (
        request.node.get_closest_marker("committed") is not None
        or "live_server" in request.fixturenames
        or "database_url" in request.fixturenames
    )


class Backend:
    """One database server's databases for the session: ``plain`` with the migrated schema, and
    ``demo``, a copy of it with the demo hub loaded; and the apps that use them, made once."""

    def __init__(self, name: str, tmp_path_factory):
        self.name = name
        self.tmp_path_factory = tmp_path_factory
        self.apps: dict[str, Flask] = {}
        self._drop: list[str] = []
        self._admin = None
        if name == "sqlite":
            folder = tmp_path_factory.mktemp("sqlite")
            self.urls = {
                "plain": "sqlite:///" + str(folder / "hub.db"),
                "demo": "sqlite:///" + str(folder / "demo.db"),
            }
            self._migrate(self.urls["plain"])
            _sqlite_copy(folder / "hub.db", folder / "demo.db")
        else:
            try:
                plain, self._admin, plain_name = _create_postgres_database()
            except Exception as error:  # no server, no psycopg, refused
                missing(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {error}")
            self._drop.append(plain_name)
            self._migrate(plain)
            demo, admin, demo_name = _create_postgres_database(template=plain_name)
            admin.dispose()
            self._drop.append(demo_name)
            self.urls = {"plain": plain, "demo": demo}
        with self.app("demo").app_context():
            from hub.demo.load import load_demo

            users = load_demo(NOW)
            _db.session.commit()
            _db.session.remove()
        self.demo_users = {user.role: user for user in users}

    def _app(self, url: str) -> Flask:
        return create_app(
            {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url},
            instance_path=str(self.tmp_path_factory.mktemp("instance")),
        )

    def _migrate(self, url: str) -> None:
        from flask_migrate import upgrade

        with self._app(url).app_context():
            upgrade()
            _db.engine.dispose()

    def app(self, kind: str) -> Flask:
        """``committed``: the plain database, committing for real. ``plain`` and ``demo``: for
        tests rolled back at their end."""
        if kind not in self.apps:
            # SAVEPOINTs work on SQLite as on PostgreSQL: the app begins every SQLite
            # transaction itself (``hub.extensions``), which is SQLAlchemy's recipe for them.
            self.apps[kind] = self._app(self.urls["plain" if kind == "committed" else kind])
        return self.apps[kind]

    def close(self) -> None:
        for app in self.apps.values():
            with app.app_context():
                _db.engine.dispose()
        if self._admin is not None:
            with self._admin.connect() as connection:
                for name in self._drop:
                    connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            self._admin.dispose()


def _sqlite_copy(source, target) -> None:
    with closing(sqlite3.connect(source)) as old, closing(sqlite3.connect(target)) as new:
        old.backup(new)


@pytest.fixture(scope="session")
def backend(request, tmp_path_factory):
    """``sqlite`` or ``postgresql`` (set by ``pytest_generate_tests``): its databases and apps."""
    databases = Backend(request.param, tmp_path_factory)
    yield databases
    databases.close()


# --- The app, in a rolled-back transaction or committing for real ------------------------------


class _JoinedSession(FlaskSession):
    """Flask-SQLAlchemy's session, on the test's connection rather than on a new one."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return bind if bind is not None else self.bind


@contextmanager
def _rolled_back(app):
    """Everything inside happens in one transaction, rolled back at the end. The sessions join
    it with a savepoint each, so a ``commit()`` releases a savepoint and a ``rollback()`` goes back
    to one, as they would with a real transaction. Code that opens a connection of its own would
    not see the test's rows, and could pass for the wrong reason: the test fails instead."""
    with app.app_context():
        engine = _db.engine
    connection = engine.connect()
    outer = connection.begin()
    original = _db.session
    _db.session = orm.scoped_session(
        orm.sessionmaker(
            class_=_JoinedSession,
            **{
                **original.session_factory.kw,
                "bind": connection,
                "join_transaction_mode": "create_savepoint",
            },
        ),
        scopefunc=original.registry.scopefunc,
    )
    beside = []  # connections opened by the code under test, which cannot see the test's data

    def _opened(other):
        beside.append(other)

    sa.event.listen(engine, "engine_connect", _opened)
    try:
        yield
    finally:
        sa.event.remove(engine, "engine_connect", _opened)
        for session in list(_db.session.registry.registry.values()):
            session.close()
        _db.session = original
        if outer.is_active:
            outer.rollback()
        if connection.dialect.name == "postgresql":
            _restart_sequences(connection)
        connection.close()
    if beside:
        pytest.fail(
            f"the test read the database on {len(beside)} connection(s) of their own, which "
            "cannot see what it wrote in its transaction: mark it committed"
        )


def _restart_sequences(connection) -> None:
    """Sequences are not transactional: start them again after the highest id left, so that ids
    come out the same after a rolled-back test as after an emptied table."""
    setvals = [
        f"setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
        f'coalesce((SELECT max(id) FROM "{table.name}"), 0) + 1, false)'
        for table in _db.metadata.sorted_tables
        if "id" in table.c and isinstance(table.c.id.type, sa.Integer)
    ]
    with connection.begin():
        connection.execute(sa.text("SELECT " + ", ".join(setvals)))


def _empty_every_table() -> None:
    _db.session.remove()
    tables = [table.name for table in _db.metadata.sorted_tables]
    with _db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in tables)
            connection.execute(sa.text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            # A signed link's stand-in user points back at its referral.
            connection.execute(sa.text('UPDATE "user" SET link_referral_id = NULL'))
            for name in reversed(tables):
                connection.execute(sa.text(f'DELETE FROM "{name}"'))


@contextmanager
def _config_restored(app):
    saved = dict(app.config)
    try:
        yield
    finally:
        app.config.clear()
        app.config.update(saved)


@pytest.fixture
def app(request, backend):
    if commits(request):
        app = backend.app("committed")
        with _config_restored(app):
            try:
                yield app
            finally:
                with app.app_context():
                    _empty_every_table()
    else:
        app = backend.app("demo" if "demo_hub" in request.fixturenames else "plain")
        with _config_restored(app), _rolled_back(app):
            yield app


@pytest.fixture
def database_url(app, backend) -> str:
    """The URL of the test's database, for a second app or a process; the test commits for real."""
    return backend.urls["plain"]


@pytest.fixture
def db(app):
    """The database, inside an app context."""
    with app.app_context():
        yield _db
        _db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def now() -> datetime:
    """A fixed moment (naive UTC) for tests that pass ``now`` in."""
    return NOW


@pytest.fixture
def demo_hub(request, db, now, backend):
    """The demo hub: the SAIL questionnaire, its partners, referrers and one user per role."""
    if not commits(request):
        assert now == NOW, "the demo hub was loaded once, at conftest's NOW"
        return dict(backend.demo_users)
    from hub.demo.load import load_demo

    users = load_demo(now)
    db.session.commit()
    return {user.role: user for user in users}


@pytest.fixture
def referral(db, demo_hub, now):
    """A fire-safety referral, received at ``now``."""
    submission = submit(user("frontline"), now, yes=("smoke_alarms",))
    db.session.commit()
    return submission.referrals[0]


@pytest.fixture
def sign_in_as(client, demo_hub):
    """``sign_in_as("hub")`` signs the test client in as that demo user."""

    def _sign_in(role: str):
        user = demo_hub[role]
        sign_in(client, user.email, user.password)
        return user

    return _sign_in


# --- Browser tests: the app served on loopback, driven by Playwright in Debian's chromium ---

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def live_server(app):
    """The app with CSRF on, as in production, served from a thread on 127.0.0.1."""
    import threading

    from werkzeug.serving import make_server

    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        missing("Debian's chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
