"""the body sent with an idempotency key, as a hash: the same key with another body is refused

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 12:00:00

Submissions already made keep no hash (NULL): a retry of their key answers with them, as before.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases: a batch operation would copy the table on SQLite, and
# the copy would lose the figures' triggers on it (migration 0005).
def upgrade():
    op.add_column('submission', sa.Column('idempotency_body_hash', sa.String(length=64), nullable=True))


def downgrade():
    op.drop_column('submission', 'idempotency_body_hash')
