"""search outbox read as a log: rows carry the writing transaction's id (PostgreSQL; 0 on SQLite)
and each host's index keeps its own position, reported in search_replicas; processed_at goes

Revision ID: b1c2d3e40010
Revises: a9c1d2e30009
Create Date: 2026-12-04 10:00:00

"""
from alembic import op
import sqlalchemy as sa

import marketplace.database

# revision identifiers, used by Alembic.
revision = 'b1c2d3e40010'
down_revision = 'a9c1d2e30009'
branch_labels = None
depends_on = None


def upgrade():
    # Existing rows get txid 0: every index built before this has no position and is rebuilt
    # from a snapshot, which covers them.
    with op.batch_alter_table('search_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('txid', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.drop_index('ix_search_outbox_pending')
        batch_op.drop_column('processed_at')
        batch_op.create_index('ix_search_outbox_log', ['txid', 'id'], unique=False)
    with op.batch_alter_table('search_outbox', schema=None) as batch_op:
        batch_op.alter_column('txid', server_default=None)

    op.create_table('search_replicas',
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('position_txid', sa.BigInteger(), nullable=False),
    sa.Column('position_id', sa.BigInteger(), nullable=False),
    sa.Column('documents', sa.Integer(), nullable=True),
    sa.Column('seen_at', marketplace.database.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_search_replicas'))
    )


def downgrade():
    op.drop_table('search_replicas')
    with op.batch_alter_table('search_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_search_outbox_log')
        batch_op.add_column(sa.Column('processed_at', marketplace.database.UTCDateTime(), nullable=True))
        batch_op.drop_column('txid')
        batch_op.create_index('ix_search_outbox_pending', ['processed_at', 'id'], unique=False)
