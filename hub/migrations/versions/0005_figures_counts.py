"""managers' figures: running counts by day and month, kept fresh by triggers

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 22:00:00

The counts tables start empty, and every day that has referrals or questionnaires is noted as
stale: the figures count stale days from the referrals themselves until ``hub.figures.stored.refresh``
(the scheduler's "figures" job, or ``flask --app hub figures refresh``) has worked them out.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# Frozen copies of hub.models' column lists as they were at this revision.
OUTCOME_CODES = (
    "service_provided",
    "client_declined",
    "unable_to_contact",
    "not_eligible",
    "referred_elsewhere",
    "no_suitable_service",
)
REFERRAL_COUNTS = (
    "referrals",
    "forwarded",
    "forward_due",
    "forward_within",
    "forward_waiting",
    "contacted",
    "contact_due",
    "contact_within",
    "contact_waiting",
    *(f"outcome_{code}" for code in OUTCOME_CODES),
)
SUBMISSION_COUNTS = (
    "submissions",
    "follow_ups",
    "needs_met_yes",
    "needs_met_partly",
    "needs_met_no",
    "wellbeing_pairs",
    *(
        f"wellbeing_{name}_change"
        for name in ("life_satisfaction", "worthwhile", "happy", "anxious")
    ),
)
STEPS = 64
DURATION_COUNTS = (
    "forwarded",
    "contacted",
    *(f"forward_under_{step}" for step in range(STEPS)),
    *(f"contact_under_{step}" for step in range(STEPS)),
)

# What a change to each table can move in the figures; a change to anything else (the SLA
# watch's sla_check_at, say) leaves the counts alone.
REFERRAL_COLUMNS = (
    "submission_id, partner_id, question_key, status, received_at, forward_due_at, forwarded_at,"
    " contact_due_at, contacted_at, closed_at, declined_at, cancelled_at, outcome"
)
SUBMISSION_COLUMNS = "received_at, referrer_organisation_id, client_id"
FOLLOW_UP_COLUMNS = "submission_id, needs_met"
WELLBEING_COLUMNS = "submission_id, stage, life_satisfaction, worthwhile, happy, anxious"

# Expression indexes on each duration (in days on SQLite, seconds on PostgreSQL), for the whole
# hub and by partner, so that a median is a short walk along an index from a known count
# (hub.figures.percentiles). Each is exactly the expression hub.figures.counts.durations writes.
DURATIONS = {
    'sqlite': (
        "julianday(forwarded_at) - julianday(received_at)",
        "julianday(contacted_at) - julianday(forwarded_at)",
    ),
    'postgresql': (
        "EXTRACT(epoch FROM forwarded_at - received_at)",
        "EXTRACT(epoch FROM contacted_at - forwarded_at)",
    ),
}


def _duration_indexes(dialect):
    forward, contact = DURATIONS[dialect]
    for measure, expression, present in (
        ('forward', forward, 'forwarded_at'),
        ('contact', contact, 'contacted_at'),
    ):
        yield f"ix_referral_{measure}_duration", f"({expression}), received_at", present
        yield (
            f"ix_referral_partner_{measure}_duration",
            f"partner_id, ({expression}), received_at",
            present,
        )


def _create_counts_table(name, keys, counts):
    op.create_table(
        name,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('span', sa.String(length=5), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        *keys,
        *(sa.Column(count, sa.Integer(), nullable=False) for count in counts),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{name}')),
    )
    op.create_index(f'ix_{name}_span_day', name, ['span', 'day'], unique=False)


def _sqlite_triggers():
    # Each trigger notes the days it touches with one INSERT of a UNION, so a change notes each
    # day once (most changes touch one day): the cost a write pays stays one small insert.
    def days(*selects):
        return "INSERT INTO figures_stale (day) " + " UNION ".join(selects) + ";"

    def own(row):
        return f"SELECT date({row}.received_at)"

    def submission_day(row):
        return f"SELECT date(received_at) FROM submission WHERE id = {row}.submission_id"

    # A referral also notes its questionnaire's day: which partners and questions a
    # questionnaire has flags for is counted there. A questionnaire notes its referrals' days:
    # they are counted under its referrer and its client's borough.
    referrals_of_new = "SELECT date(received_at) FROM referral WHERE submission_id = NEW.id"
    for table, columns, inserted, deleted, updated in (
        (
            "referral",
            REFERRAL_COLUMNS,
            days(own("NEW"), submission_day("NEW")),
            days(own("OLD"), submission_day("OLD")),
            days(own("OLD"), own("NEW"), submission_day("OLD"), submission_day("NEW")),
        ),
        (
            "submission",
            SUBMISSION_COLUMNS,
            days(own("NEW")),
            days(own("OLD")),
            days(own("OLD"), own("NEW"), referrals_of_new),
        ),
        (
            "follow_up",
            FOLLOW_UP_COLUMNS,
            days(submission_day("NEW")),
            days(submission_day("OLD")),
            days(submission_day("OLD"), submission_day("NEW")),
        ),
        (
            "wellbeing_score",
            WELLBEING_COLUMNS,
            days(submission_day("NEW")),
            days(submission_day("OLD")),
            days(submission_day("OLD"), submission_day("NEW")),
        ),
    ):
        op.execute(
            f"CREATE TRIGGER figures_stale_{table}_insert AFTER INSERT ON {table}"
            f" BEGIN {inserted} END"
        )
        op.execute(
            f"CREATE TRIGGER figures_stale_{table}_delete AFTER DELETE ON {table}"
            f" BEGIN {deleted} END"
        )
        op.execute(
            f"CREATE TRIGGER figures_stale_{table}_update AFTER UPDATE OF {columns} ON {table}"
            f" BEGIN {updated} END"
        )
    op.execute(
        "CREATE TRIGGER figures_stale_client_borough AFTER UPDATE OF borough ON client"
        " WHEN OLD.borough IS NOT NEW.borough"
        " BEGIN INSERT INTO figures_stale (day)"
        " SELECT date(received_at) FROM submission WHERE client_id = NEW.id"
        " UNION SELECT date(referral.received_at) FROM referral"
        " JOIN submission ON submission.id = referral.submission_id"
        " WHERE submission.client_id = NEW.id; END"
    )


def _postgresql_triggers():
    def function(name, body):
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body}"
            " RETURN NULL; END $$"
        )

    def both(old, new):
        return (
            f"IF TG_OP <> 'INSERT' THEN INSERT INTO figures_stale (day) {old}; END IF;"
            f" IF TG_OP <> 'DELETE' THEN INSERT INTO figures_stale (day) {new}; END IF;"
        )

    def submission_day(row):
        return f"SELECT received_at::date FROM submission WHERE id = {row}.submission_id"

    own_day = both("VALUES (OLD.received_at::date)", "VALUES (NEW.received_at::date)")
    bodies = {
        "referral": both(
            f"SELECT OLD.received_at::date UNION {submission_day('OLD')}",
            f"SELECT NEW.received_at::date UNION {submission_day('NEW')}",
        ),
        "submission": own_day
        + " IF TG_OP = 'UPDATE' THEN INSERT INTO figures_stale (day)"
        " SELECT DISTINCT received_at::date FROM referral WHERE submission_id = NEW.id; END IF;",
        "follow_up": both(submission_day("OLD"), submission_day("NEW")),
        "wellbeing_score": both(submission_day("OLD"), submission_day("NEW")),
    }
    columns = {
        "referral": REFERRAL_COLUMNS,
        "submission": SUBMISSION_COLUMNS,
        "follow_up": FOLLOW_UP_COLUMNS,
        "wellbeing_score": WELLBEING_COLUMNS,
    }
    for table, body in bodies.items():
        function(f"figures_stale_{table}", body)
        op.execute(
            f"CREATE TRIGGER figures_stale_{table} AFTER INSERT OR DELETE OR UPDATE OF"
            f" {columns[table]} ON {table} FOR EACH ROW"
            f" EXECUTE PROCEDURE figures_stale_{table}()"
        )
    function(
        "figures_stale_client",
        "INSERT INTO figures_stale (day)"
        " SELECT received_at::date FROM submission WHERE client_id = NEW.id"
        " UNION SELECT referral.received_at::date FROM referral"
        " JOIN submission ON submission.id = referral.submission_id"
        " WHERE submission.client_id = NEW.id;",
    )
    op.execute(
        "CREATE TRIGGER figures_stale_client AFTER UPDATE OF borough ON client FOR EACH ROW"
        " WHEN (OLD.borough IS DISTINCT FROM NEW.borough)"
        " EXECUTE PROCEDURE figures_stale_client()"
    )


def upgrade():
    _create_counts_table(
        'referral_counts',
        [
            sa.Column('partner_id', sa.Integer(), nullable=False),
            sa.Column('question_key', sa.String(length=80), nullable=False),
            sa.Column('referrer_id', sa.Integer(), nullable=False),
            sa.Column('borough', sa.String(length=40), nullable=True),
        ],
        REFERRAL_COUNTS,
    )
    _create_counts_table(
        'submission_counts',
        [
            sa.Column('referrer_id', sa.Integer(), nullable=False),
            sa.Column('borough', sa.String(length=40), nullable=True),
            sa.Column('flag_partner_id', sa.Integer(), nullable=False),
            sa.Column('flag_question', sa.String(length=80), nullable=False),
        ],
        SUBMISSION_COUNTS,
    )
    _create_counts_table(
        'duration_counts', [sa.Column('partner_id', sa.Integer(), nullable=False)], DURATION_COUNTS
    )
    op.create_table(
        'figures_stale',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_figures_stale')),
    )
    op.create_index(op.f('ix_figures_stale_day'), 'figures_stale', ['day'], unique=False)

    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index('ix_referral_received_at', ['received_at'], unique=False)
        batch_op.create_index(
            'ix_referral_declined_received',
            ['received_at'],
            unique=False,
            sqlite_where=sa.text('declined_at IS NOT NULL'),
            postgresql_where=sa.text('declined_at IS NOT NULL'),
        )
        batch_op.create_index(
            'ix_referral_forward_due_unforwarded',
            ['forward_due_at'],
            unique=False,
            sqlite_where=sa.text('forwarded_at IS NULL'),
            postgresql_where=sa.text('forwarded_at IS NULL'),
        )
        batch_op.create_index(
            'ix_referral_contact_due_uncontacted',
            ['contact_due_at'],
            unique=False,
            sqlite_where=sa.text('contacted_at IS NULL'),
            postgresql_where=sa.text('contacted_at IS NULL'),
        )
        batch_op.create_index(
            'ix_referral_status_contact_due', ['status', 'contact_due_at'], unique=False
        )

    dialect = op.get_bind().dialect.name
    for name, expressions, present in _duration_indexes(dialect):
        op.execute(f"CREATE INDEX {name} ON referral ({expressions}) WHERE {present} IS NOT NULL")
    if dialect == 'sqlite':
        _sqlite_triggers()
        day = "date(received_at)"
    else:
        _postgresql_triggers()
        day = "received_at::date"
    # Every day with history is stale until the counts are first worked out.
    op.execute(
        f"INSERT INTO figures_stale (day) SELECT DISTINCT {day} FROM submission"
        f" UNION SELECT DISTINCT {day} FROM referral"
    )


def downgrade():
    dialect = op.get_bind().dialect.name
    tables = ("referral", "submission", "follow_up", "wellbeing_score")
    if dialect == 'sqlite':
        for table in tables:
            for what in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS figures_stale_{table}_{what}")
        op.execute("DROP TRIGGER IF EXISTS figures_stale_client_borough")
    else:
        for table in (*tables, "client"):
            op.execute(f"DROP TRIGGER IF EXISTS figures_stale_{table} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS figures_stale_{table}()")
    for name, _, _ in _duration_indexes(dialect):
        op.execute(f"DROP INDEX IF EXISTS {name}")

    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_status_contact_due')
        batch_op.drop_index('ix_referral_contact_due_uncontacted')
        batch_op.drop_index('ix_referral_forward_due_unforwarded')
        batch_op.drop_index('ix_referral_declined_received')
        batch_op.drop_index('ix_referral_received_at')

    op.drop_index(op.f('ix_figures_stale_day'), table_name='figures_stale')
    op.drop_table('figures_stale')
    for name in ('duration_counts', 'submission_counts', 'referral_counts'):
        op.drop_index(f'ix_{name}_span_day', table_name=name)
        op.drop_table(name)
