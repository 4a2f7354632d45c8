"""the SLA watch's next look and daily marks; delivery receipts held until their SID is known

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 16:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('held_receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('error_code', sa.String(length=20), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_held_receipt'))
    )
    with op.batch_alter_table('held_receipt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_held_receipt_provider_id'), ['provider_id'], unique=False)

    op.create_table('job_mark',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_job_mark'))
    )
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sla_check_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_referral_sla_check_at'), ['sla_check_at'], unique=False)

    # Open referrals already waiting on the hub or the partner: the watch looks at each at its
    # first run and works out from their stored deadlines what is due and when to look again.
    referral = sa.table(
        'referral',
        sa.column('status', sa.String),
        sa.column('received_at', sa.DateTime),
        sa.column('forwarded_at', sa.DateTime),
        sa.column('sla_check_at', sa.DateTime),
    )
    op.execute(
        referral.update()
        .where(referral.c.status == 'received')
        .values(sla_check_at=referral.c.received_at)
    )
    op.execute(
        referral.update()
        .where(referral.c.status.in_(('forwarded', 'accepted')))
        .values(sla_check_at=referral.c.forwarded_at)
    )


def downgrade():
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_sla_check_at'))
        batch_op.drop_column('sla_check_at')

    op.drop_table('job_mark')
    with op.batch_alter_table('held_receipt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_held_receipt_provider_id'))

    op.drop_table('held_receipt')
