"""organisations: an index on (kind, status), which the admin dashboard's counts read alone
(issue 18: at 10,000 organisations the GROUP BY scanned the table and sorted)

Revision ID: c9d0e1f2a024
Revises: b8c9d0e1f023
Create Date: 2026-12-06 06:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c9d0e1f2a024'
down_revision = 'b8c9d0e1f023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_organisations_kind_status', 'organisations', ['kind', 'status'])


def downgrade():
    op.drop_index('ix_organisations_kind_status', table_name='organisations')
