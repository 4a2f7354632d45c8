"""the outbox keeps its secrets encrypted; when a message failed; each channel's health

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 12:00:00

- ``outbox_message.secrets``: a one-time code or signed link, sealed, while the stored texts
  hold placeholders (``notifications.sealed``). The messages already queued are sealed here,
  in the same way (this file keeps its own copy of the few lines that do it).
- ``outbox_message.failed_at`` and ``digested_at``: when a message failed for good, and when
  the failure digest counted it; the messages already failed get both from their last attempt
  (hub staff were alerted of each at the time).
- ``channel_health``: each channel's last success and failure, and its pause.
"""
import base64
import hashlib
import json
import re

from alembic import op
import sqlalchemy as sa
from cryptography.fernet import Fernet
from flask import current_app
from markupsafe import escape


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
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
    _seal_existing_secrets()


# As notifications/sealed.py: a signed link (its token is URL-safe base64 and dots) and a
# one-time code (six digits on a line of their own, or alone in an HTML paragraph).
SIGNED_LINK = re.compile(r'https?://[^\s"<>]*/partner/links/[A-Za-z0-9_.\-]+')
CODE = re.compile(r'(?m)^(\d{6})\r?$|>(\d{6})</p>')


def _fernet():
    material = current_app.config['HUB_OUTBOX_KEY'].encode()
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(material).digest()))


def _secrets_of(kind, body):
    found = {}
    link = SIGNED_LINK.search(body or '')
    if link:
        found['link'] = link.group(0)
    code = CODE.search(body or '') if kind == 'partner_link_code' else None
    if code:
        found['code'] = code.group(1) or code.group(2)
    return found


def _hidden(text, found, html):
    if text is None:
        return None
    for name, value in found.items():
        text = text.replace(str(escape(value)) if html else value, f'[[hidden:{name}]]')
    return text


def _seal_existing_secrets():
    connection = op.get_bind()
    outbox = sa.table(
        'outbox_message',
        sa.column('id', sa.Integer),
        sa.column('kind', sa.String),
        sa.column('subject', sa.String),
        sa.column('body', sa.Text),
        sa.column('html', sa.Text),
        sa.column('secrets', sa.Text),
    )
    rows = connection.execute(
        sa.select(outbox).where(
            outbox.c.kind.in_(('partner_link_code', 'referral_forwarded', 'partner_chase')),
            outbox.c.secrets.is_(None),
        )
    ).all()
    fernet = None
    for row in rows:
        found = _secrets_of(row.kind, row.body)
        if not found:
            continue
        fernet = fernet or _fernet()
        connection.execute(
            outbox.update()
            .where(outbox.c.id == row.id)
            .values(
                subject=_hidden(row.subject, found, False),
                body=_hidden(row.body, found, False),
                html=_hidden(row.html, found, True),
                secrets=fernet.encrypt(json.dumps(found, sort_keys=True).encode()).decode(),
            )
        )


def downgrade():
    op.drop_table('channel_health')
    op.drop_column('outbox_message', 'secrets')
    op.drop_column('outbox_message', 'digested_at')
    op.drop_column('outbox_message', 'failed_at')
