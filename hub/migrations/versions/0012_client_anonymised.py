"""when a client's personal details were removed (retention or erasure on request)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 12:00:00

- ``client.anonymised_at``: set by ``hub.people.anonymise`` when it removes the client's name,
  address, contact details and date of birth, keeping what the figures need.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('client', sa.Column('anonymised_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')
