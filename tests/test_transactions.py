"""The one rule for concurrent changes on SQLite (docs/design.md, "Data"): a transaction takes
the write lock (``BEGIN IMMEDIATE``) just before its first locking read or first write; plain
reads before that run on their own and never wait."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.extensions import takes_write_lock

TABLE = sa.Table("thing", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True))


@pytest.fixture
def engine(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'rule.db'}")
    with engine.begin() as connection:
        TABLE.create(connection)
        connection.execute(TABLE.insert().values(id=1))
    yield engine
    engine.dispose()


def test_reads_take_no_lock_and_a_locking_read_takes_it_first(engine):
    with engine.connect() as first:
        first.execute(sa.select(TABLE))
        assert not first.connection.driver_connection.in_transaction
        first.execute(sa.select(TABLE).where(TABLE.c.id == 1).with_for_update())
        assert first.connection.driver_connection.in_transaction
        with engine.connect() as reader:  # a reader never waits for the writer
            assert reader.execute(sa.select(TABLE.c.id)).scalar() == 1
        with engine.connect() as second:
            second.connection.driver_connection.execute("PRAGMA busy_timeout=0")
            with pytest.raises(sa.exc.OperationalError, match="locked"):
                second.execute(sa.select(TABLE).with_for_update())
        first.rollback()


def test_a_write_takes_the_lock_and_a_second_change_then_sees_the_first(engine):
    with engine.connect() as first, engine.connect() as second:
        second.connection.driver_connection.execute("PRAGMA busy_timeout=0")
        first.execute(TABLE.update().values(id=2))
        with pytest.raises(sa.exc.OperationalError, match="locked"):
            second.execute(sa.select(TABLE).with_for_update())
        second.rollback()
        first.commit()
        assert second.execute(sa.select(TABLE.c.id).with_for_update()).scalar() == 2
        second.rollback()


@pytest.mark.parametrize(
    ("statement", "locks"),
    [
        ("SELECT 1", False),
        ("  select * from thing", False),
        ("PRAGMA foreign_keys=ON", False),
        ("WITH t AS (SELECT 1) SELECT * FROM t", False),
        ("WITH t AS (SELECT 1) INSERT INTO thing SELECT * FROM t", True),
        ("INSERT INTO thing VALUES (3)", True),
        ("DELETE FROM thing", True),
        ("CREATE TABLE other (id INTEGER)", True),
        ("SAVEPOINT sa_savepoint_1", True),
    ],
)
def test_which_statements_need_the_write_lock(statement, locks):
    assert takes_write_lock(statement, None) is locks


def test_a_job_waits_longer_for_the_lock_than_a_page(tmp_path):
    """A page waits up to 30 s for the write lock; a job or command, whose rival may be another
    job's batches one after another, up to 5 minutes, rather than failing as "locked"."""
    from flask import Flask

    from hub.extensions import JOB_WAIT_MS, REQUEST_WAIT_MS

    def busy_timeout() -> int:
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'wait.db'}")
        with engine.connect() as connection:
            waits = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
        engine.dispose()
        return waits

    assert busy_timeout() == JOB_WAIT_MS == 300_000
    with Flask(__name__).test_request_context("/"):
        assert busy_timeout() == REQUEST_WAIT_MS == 30_000
