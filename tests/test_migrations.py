"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import re
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from hub.extensions import db as _db
from hub.extensions import include_object

# Each database has its own migrated schema to compare.
pytestmark = pytest.mark.both_databases

VERSIONS = Path(__file__).resolve().parent.parent / "hub" / "migrations" / "versions"


def test_migrations_are_numbered_in_order():
    names = sorted(path.name for path in VERSIONS.glob("*.py"))
    assert names, "no migrations"
    numbers = [int(re.match(r"^(\d{4})_", name).group(1)) for name in names]
    assert numbers == list(range(1, len(names) + 1))


# The duration indexes (migration 0005) index expressions on SQLite, which reflection skips.
@pytest.mark.committed  # compares the schema on a connection of its own
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_models_and_migrations_agree(db):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include_object})
        differences = compare_metadata(context, _db.metadata)
    assert differences == []
