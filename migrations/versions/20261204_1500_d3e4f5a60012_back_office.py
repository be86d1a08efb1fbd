"""back office: four-eyes approvals; programs pause, close for the year with a final account and
clone; clawbacks per order hold; settlement batches approved by a second operator; provider bank
details and payout batches; a provider's cash payable may go negative (a refund after payout)

Revision ID: d3e4f5a60012
Revises: c2d3e4f50011
Create Date: 2026-12-04 15:00:00

"""
from alembic import op
import sqlalchemy as sa

import marketplace.database

# revision identifiers, used by Alembic.
revision = 'd3e4f5a60012'
down_revision = 'c2d3e4f50011'
branch_labels = None
depends_on = None

USER = 'users.id'


def upgrade():
    approvals()
    with op.batch_alter_table('voucher_programs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clawback_to', sa.String(length=10), server_default='voucher', nullable=False))
        batch_op.add_column(sa.Column('finalised_at', marketplace.database.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('final_account', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('previous_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_voucher_programs_previous_id_voucher_programs'), 'voucher_programs',
                                    ['previous_id'], ['id'])
        batch_op.drop_constraint(op.f('ck_voucher_programs_status'), type_='check')
        batch_op.create_check_constraint('status', "status IN ('draft', 'open', 'paused', 'closed', 'final')")
        batch_op.create_check_constraint('clawback_to', "clawback_to IN ('voucher', 'lapse')")
    with op.batch_alter_table('order_vouchers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clawed_back_fen', sa.BigInteger(), server_default='0', nullable=False))
    with op.batch_alter_table('settlement_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('approved_at', marketplace.database.UTCDateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_settlement_batches_approved_by_id_users'), 'users',
                                    ['approved_by_id'], ['id'])
    # batches paid before approvals existed count as approved by whoever paid them
    op.get_bind().execute(sa.text("UPDATE settlement_batches SET approved_by_id = paid_by_id, approved_at = paid_at "
                                  "WHERE status = 'paid'"))
    payouts()
    op.get_bind().execute(sa.text("UPDATE ledger_accounts SET debits_must_not_exceed_credits = false "
                                  "WHERE kind = 'provider_payable'"))


def approvals():
    op.create_table('approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.String(length=40), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', marketplace.database.UTCDateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', marketplace.database.UTCDateTime(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected', 'withdrawn')", name=op.f('ck_approvals_status')),
    sa.ForeignKeyConstraint(['decided_by_id'], [USER], name=op.f('fk_approvals_decided_by_id_users')),
    sa.ForeignKeyConstraint(['requested_by_id'], [USER], name=op.f('fk_approvals_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approvals'))
    )
    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.create_index('ix_approvals_object', ['object_type', 'object_id'], unique=False)
        batch_op.create_index('ix_approvals_status_requested', ['status', 'requested_at'], unique=False)


def payouts():
    op.create_table('provider_bank_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('account_name', sa.String(length=100), nullable=False),
    sa.Column('bank_name', sa.String(length=100), nullable=False),
    sa.Column('branch', sa.String(length=100), nullable=False),
    sa.Column('account_number', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', marketplace.database.UTCDateTime(), nullable=False),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('verified_at', marketplace.database.UTCDateTime(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'verified', 'superseded', 'rejected')", name=op.f('ck_provider_bank_accounts_status')),
    sa.ForeignKeyConstraint(['created_by_id'], [USER], name=op.f('fk_provider_bank_accounts_created_by_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_provider_bank_accounts_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['verified_by_id'], [USER], name=op.f('fk_provider_bank_accounts_verified_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_bank_accounts'))
    )
    with op.batch_alter_table('provider_bank_accounts', schema=None) as batch_op:
        batch_op.create_index('ix_provider_bank_accounts_org_status', ['organisation_id', 'status'], unique=False)
    op.create_table('payout_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', marketplace.database.UTCDateTime(), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', marketplace.database.UTCDateTime(), nullable=True),
    sa.Column('exported_at', marketplace.database.UTCDateTime(), nullable=True),
    sa.Column('bank_reference', sa.String(length=60), nullable=True),
    sa.Column('paid_by_id', sa.Integer(), nullable=True),
    sa.Column('paid_at', marketplace.database.UTCDateTime(), nullable=True),
    sa.CheckConstraint("(status = 'paid') = (bank_reference IS NOT NULL)", name=op.f('ck_payout_batches_paid_has_reference')),
    sa.CheckConstraint("status IN ('draft', 'approved', 'exported', 'paid')", name=op.f('ck_payout_batches_status')),
    sa.ForeignKeyConstraint(['approved_by_id'], [USER], name=op.f('fk_payout_batches_approved_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], [USER], name=op.f('fk_payout_batches_created_by_id_users')),
    sa.ForeignKeyConstraint(['paid_by_id'], [USER], name=op.f('fk_payout_batches_paid_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_batches')),
    sa.UniqueConstraint('bank_reference', name=op.f('uq_payout_batches_bank_reference'))
    )
    with op.batch_alter_table('payout_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_batches_status'), ['status'], unique=False)
    op.create_table('payout_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('bank_account_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_payout_lines_amount_positive')),
    sa.ForeignKeyConstraint(['bank_account_id'], ['provider_bank_accounts.id'], name=op.f('fk_payout_lines_bank_account_id_provider_bank_accounts')),
    sa.ForeignKeyConstraint(['batch_id'], ['payout_batches.id'], name=op.f('fk_payout_lines_batch_id_payout_batches')),
    sa.ForeignKeyConstraint(['provider_id'], ['organisations.id'], name=op.f('fk_payout_lines_provider_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_lines')),
    sa.UniqueConstraint('batch_id', 'provider_id', name='uq_payout_lines_batch_provider')
    )
    with op.batch_alter_table('payout_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_lines_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payout_lines_provider_id'), ['provider_id'], unique=False)
    op.create_table('payout_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount_fen <> 0', name=op.f('ck_payout_items_amount_not_zero')),
    sa.ForeignKeyConstraint(['line_id'], ['payout_lines.id'], name=op.f('fk_payout_items_line_id_payout_lines')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_payout_items_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_items'))
    )
    with op.batch_alter_table('payout_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_items_line_id'), ['line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payout_items_order_id'), ['order_id'], unique=False)


def downgrade():
    op.get_bind().execute(sa.text("UPDATE ledger_accounts SET debits_must_not_exceed_credits = true "
                                  "WHERE kind = 'provider_payable'"))
    for table in ('payout_items', 'payout_lines', 'payout_batches', 'provider_bank_accounts'):
        op.drop_table(table)
    with op.batch_alter_table('settlement_batches', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_settlement_batches_approved_by_id_users'), type_='foreignkey')
        batch_op.drop_column('approved_at')
        batch_op.drop_column('approved_by_id')
    with op.batch_alter_table('order_vouchers', schema=None) as batch_op:
        batch_op.drop_column('clawed_back_fen')
    with op.batch_alter_table('voucher_programs', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_voucher_programs_clawback_to'), type_='check')
        batch_op.drop_constraint(op.f('ck_voucher_programs_status'), type_='check')
        batch_op.create_check_constraint('status', "status IN ('draft', 'open', 'closed')")
        batch_op.drop_constraint(batch_op.f('fk_voucher_programs_previous_id_voucher_programs'), type_='foreignkey')
        for column in ('previous_id', 'final_account', 'finalised_at', 'clawback_to'):
            batch_op.drop_column(column)
    op.drop_table('approvals')
