"""the outbox keeps its secrets encrypted; when a message failed; each channel's health

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 12:00:00

- ``outbox_message.secrets``: a one-time code or signed link, encrypted, while the stored
  texts hold placeholders (``notifications.secrets``).
- ``outbox_message.failed_at`` and ``digested_at``: when a message failed for good, and when
  the failure digest counted it; the messages already failed get both from their last attempt
  (hub staff were alerted of each at the time).
- ``channel_health``: each channel's last success and failure, and its pause.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases, as 0006 does.
def upgrade():
    op.add_column('outbox_message', sa.Column('failed_at', sa.DateTime(), nullable=True))
    op.add_column('outbox_message', sa.Column('digested_at', sa.DateTime(), nullable=True))
    op.add_column('outbox_message', sa.Column('secrets', sa.Text(), nullable=True))
    op.create_table('channel_health',
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('last_sent_at', sa.DateTime(), nullable=True),
    sa.Column('last_failed_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('down_count', sa.Integer(), nullable=False),
    sa.Column('paused_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('channel', name=op.f('pk_channel_health'))
    )
    outbox = sa.table(
        'outbox_message',
        sa.column('status', sa.String),
        sa.column('next_attempt_at', sa.DateTime),
        sa.column('failed_at', sa.DateTime),
        sa.column('digested_at', sa.DateTime),
    )
    op.execute(
        outbox.update()
        .where(outbox.c.status == 'failed')
        .values(failed_at=outbox.c.next_attempt_at, digested_at=outbox.c.next_attempt_at)
    )


def downgrade():
    op.drop_table('channel_health')
    op.drop_column('outbox_message', 'secrets')
    op.drop_column('outbox_message', 'digested_at')
    op.drop_column('outbox_message', 'failed_at')
