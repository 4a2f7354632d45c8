"""a declined referral is re-routed at most once: its index on rerouted_from_id is unique

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 12:00:00

Before the rule for concurrent changes, two re-routes at once on SQLite could both succeed. Where
that happened the earliest new referral keeps the link; the later ones keep their history (their
``received`` event names the declined referral) but lose ``rerouted_from_id``, so the unique
index can be built. PostgreSQL and SQLite both allow any number of NULLs under it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        'UPDATE referral SET rerouted_from_id = NULL '
        'WHERE rerouted_from_id IS NOT NULL AND id > ('
        'SELECT min(earliest.id) FROM referral AS earliest '
        'WHERE earliest.rerouted_from_id = referral.rerouted_from_id)'
    )
    # Plain DROP and CREATE INDEX on both databases: no batch copy, which would lose the
    # figures' triggers on the referral table (migration 0005).
    op.drop_index('ix_referral_rerouted_from_id', table_name='referral')
    op.create_index('ix_referral_rerouted_from_id', 'referral', ['rerouted_from_id'], unique=True)


def downgrade():
    op.drop_index('ix_referral_rerouted_from_id', table_name='referral')
    op.create_index('ix_referral_rerouted_from_id', 'referral', ['rerouted_from_id'], unique=False)
