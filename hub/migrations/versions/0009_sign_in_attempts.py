"""failed sign-in attempts, for the lock by account and by address

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 12:00:00

- ``sign_in_attempt``: one row per failed sign-in, keyed by a SHA-256 of the lowercased email
  (never the email itself), the client's address and when (``hub.auth.throttle``).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_in_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_key', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=45), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_attempt'))
    )
    op.create_index('ix_sign_in_attempt_account_at', 'sign_in_attempt', ['account_key', 'at'], unique=False)
    op.create_index('ix_sign_in_attempt_address_at', 'sign_in_attempt', ['address', 'at'], unique=False)
    op.create_index('ix_sign_in_attempt_at', 'sign_in_attempt', ['at'], unique=False)


def downgrade():
    op.drop_index('ix_sign_in_attempt_at', table_name='sign_in_attempt')
    op.drop_index('ix_sign_in_attempt_address_at', table_name='sign_in_attempt')
    op.drop_index('ix_sign_in_attempt_account_at', table_name='sign_in_attempt')
    op.drop_table('sign_in_attempt')
