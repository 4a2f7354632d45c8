"""Fixtures: ``app``, ``client``, ``runner``, ``db`` on SQLite and, for the tests marked
``both_databases``, on PostgreSQL too; and ``now``.

Every test that asks for ``app`` runs on SQLite. A test whose SQL differs between the two
databases (the figures and their stored counts, claims and locks, migrations, processes that
race each other) is marked ``both_databases`` and runs once on each. The schema is built once per
database by the real migrations, and every table is emptied after each test. Outside CI a test
whose PostgreSQL server or browser is missing is skipped with the reason; with ``CI=true`` it fails.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime

import pytest
import sqlalchemy as sa

from hub import create_app
from hub.extensions import db as _db

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "WTF_CSRF_ENABLED": False,
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    "HUB_BASE_URL": "http://hub.test",
}
BACKENDS = ("sqlite", "postgresql")


def missing(reason: str):
    """Skip a test whose outside part is missing, except in CI, where it must run."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this test must run)")
    pytest.skip(reason)


def _create_postgres_database() -> tuple[str, sa.Engine, str]:
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"sail_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(POSTGRES_ADMIN_URL).set(database=name)
    return url.render_as_string(hide_password=False), admin, name


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


@pytest.fixture(scope="session")
def backend(request) -> str:
    """``sqlite`` or ``postgresql``, as ``pytest_generate_tests`` chose for the test."""
    return request.param


@pytest.fixture(scope="session")
def database_url(backend, tmp_path_factory):
    """A database with the migrated schema, one per backend for the whole session."""
    if backend == "sqlite":
        url = "sqlite:///" + str(tmp_path_factory.mktemp("sqlite") / "hub.db")
        admin = name = None
    else:
        try:
            url, admin, name = _create_postgres_database()
        except Exception as error:  # no server, no psycopg, refused
            missing(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {error}")
    app = create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url},
        instance_path=str(tmp_path_factory.mktemp("instance")),
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        _db.engine.dispose()
    yield url
    if admin is not None:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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
    _db.engine.dispose()


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url},
        instance_path=str(tmp_path / "instance"),
    )
    yield app
    with app.app_context():
        _empty_every_table()


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
    return datetime(2026, 3, 2, 9, 0, 0)


@pytest.fixture
def demo_hub(db, now):
    """The demo hub: the SAIL questionnaire, its partners, referrers and one user per role."""
    from hub.demo.load import load_demo

    users = load_demo(now)
    db.session.commit()
    return {user.role: user for user in users}


def sign_in(client, email: str, password: str):
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


@pytest.fixture
def sign_in_as(client, demo_hub):
    """``sign_in_as("hub")`` signs the test client in as that demo user."""

    def _sign_in(role: str):
        user = demo_hub[role]
        sign_in(client, user.email, user.password)
        return user

    return _sign_in


# --- Browser tests: the app served on loopback, driven by Playwright in Debian's chromium ---

AXE_SCRIPT = os.path.join(os.path.dirname(__file__), "..", "node_modules", "axe-core", "axe.min.js")
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
    import shutil

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


def axe_violations(page) -> list[dict]:
    """WCAG 2.2 A and AA violations on the page as axe-core finds them."""
    if not os.path.exists(AXE_SCRIPT):
        missing("axe-core is not installed (npm ci)")
    page.add_script_tag(path=AXE_SCRIPT)
    result = page.evaluate(
        """() => axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"""
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]
