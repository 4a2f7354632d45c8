"""The one rule for concurrent changes on SQLite (docs/design.md, "Data"): a transaction that
may write begins ``BEGIN IMMEDIATE``, one that only reads ``BEGIN``."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from hub.extensions import sqlite_begin_statement, writes_on_get


def test_requests_that_read_begin_deferred_and_everything_else_immediate(app):
    for method in ("GET", "HEAD"):
        with app.test_request_context("/hub/", method=method):
            assert sqlite_begin_statement() == "BEGIN"
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        with app.test_request_context("/hub/", method=method):
            assert sqlite_begin_statement() == "BEGIN IMMEDIATE"
    # CLI commands and scheduler jobs: no request.
    with app.app_context():
        assert sqlite_begin_statement() == "BEGIN IMMEDIATE"
        assert sqlite_begin_statement(reads_only=True) == "BEGIN"


def test_a_view_marked_writes_on_get_begins_immediate_on_get(tmp_path):
    app = Flask(__name__)

    @app.get("/stamps")
    @writes_on_get
    def stamps():
        return sqlite_begin_statement()

    @app.get("/reads")
    def reads():
        return sqlite_begin_statement()

    client = app.test_client()
    assert client.get("/stamps").text == "BEGIN IMMEDIATE"
    assert client.get("/reads").text == "BEGIN"


def test_a_writing_transaction_holds_the_write_lock_from_its_first_read(tmp_path):
    """The driver begins nothing of its own: a transaction that may write takes the write lock
    before its first read, so a second writer waits for it (here, with no patience, fails at
    once) instead of reading what the first is about to change; a reader never waits."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'rule.db'}")
    statements = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with engine.connect() as first:
        first.execute(sa.text("SELECT 1"))
        assert statements[:2] == ["BEGIN IMMEDIATE", "SELECT 1"]
        with engine.connect() as reader:
            reader.execution_options(reads_only=True)
            assert reader.execute(sa.text("SELECT 1")).scalar() == 1
        with engine.connect() as second:
            second.connection.driver_connection.execute("PRAGMA busy_timeout=0")
            with pytest.raises(sa.exc.OperationalError, match="locked"):
                second.execute(sa.text("SELECT 1"))
    engine.dispose()
