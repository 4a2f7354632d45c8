"""managers' figures: the audit of every export

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('export_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('file_format', sa.String(length=10), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_export_audit_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_audit'))
    )
    with op.batch_alter_table('export_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_audit_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_audit_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('export_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_audit_user_id'))
        batch_op.drop_index(batch_op.f('ix_export_audit_created_at'))

    op.drop_table('export_audit')
