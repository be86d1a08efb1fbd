"""users carry a session version: logging out, changing the password or being disabled ends
every session of that user (the version is part of the session's user id)

Revision ID: f5a6b7c80014
Revises: c8d9e0f10017
Create Date: 2026-12-05 09:30:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'f5a6b7c80014'
down_revision = 'c8d9e0f10017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
