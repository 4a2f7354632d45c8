"""indexes for searching referrals by name, date of birth and postcode

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 17:30:00

- ``client.postcode`` and ``client.date_of_birth``: a search by postcode or date of birth
  (``hub.referrals.search``) reads only the clients that match.
- ``lower(client.given_name)``, and ``lower(client.family_name), lower(client.given_name)``: a
  search by name in any case likewise, by a given name, a family name, or both. Indexes on
  expressions, which the models cannot describe: they are listed in
  ``hub.extensions.EXPRESSION_INDEXES`` so that autogenerate leaves them alone.
- the names of several words (``Da Silva``, ``Smith-Jones``, ``Mary Ann``), given and family
  apart, each a partial index of the few such names: a search for one word of them reads only
  these. ``hub.referrals.search.MULTI_WORD`` repeats their conditions word for word, as SQLite
  uses a partial index only for a query that says its condition.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

NAME_INDEXES = {
    'ix_client_given_name_lower': 'lower(given_name)',
    'ix_client_family_given_lower': 'lower(family_name), lower(given_name)',
    'ix_client_given_name_words': (
        "lower(given_name) WHERE (given_name LIKE '% %' OR given_name LIKE '%-%')"
    ),
    'ix_client_family_name_words': (
        "lower(family_name) WHERE (family_name LIKE '% %' OR family_name LIKE '%-%')"
    ),
}


def upgrade():
    op.create_index(op.f('ix_client_postcode'), 'client', ['postcode'], unique=False)
    op.create_index(op.f('ix_client_date_of_birth'), 'client', ['date_of_birth'], unique=False)
    for name, expressions in NAME_INDEXES.items():
        columns, _, where = expressions.partition(" WHERE ")
        op.execute(f"CREATE INDEX {name} ON client ({columns})" + (f" WHERE {where}" if where else ""))


def downgrade():
    for name in NAME_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.drop_index(op.f('ix_client_date_of_birth'), table_name='client')
    op.drop_index(op.f('ix_client_postcode'), table_name='client')
