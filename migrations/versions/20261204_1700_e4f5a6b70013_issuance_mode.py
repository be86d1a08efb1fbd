"""programs choose how applications are issued: reviewed by an operator, or first come, first
served (先到先得) within the remaining budget and caps

Revision ID: e4f5a6b70013
Revises: d3e4f5a60012
Create Date: 2026-12-04 17:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'e4f5a6b70013'
down_revision = 'd3e4f5a60012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('voucher_programs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issuance_mode', sa.String(length=10), server_default='reviewed', nullable=False))
        batch_op.create_check_constraint('issuance_mode', "issuance_mode IN ('reviewed', 'fcfs')")


def downgrade():
    with op.batch_alter_table('voucher_programs', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_voucher_programs_issuance_mode'), type_='check')
        batch_op.drop_column('issuance_mode')
