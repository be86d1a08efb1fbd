"""money at every edge: orders keep the terms they were priced under and cash figures equal to
their payment rows (the voucher share equal to the ledger); per-enterprise caps enforced by the
database (enterprise_quotas); redemption items per program; refunds sent to Stripe after commit;
mail claimed before sending; failures of background jobs recorded per item

Revision ID: c2d3e4f50011
Revises: b1c2d3e40010
Create Date: 2026-12-04 12:00:00

"""
import json

from alembic import op
import sqlalchemy as sa

import marketplace.database

# revision identifiers, used by Alembic.
revision = 'c2d3e4f50011'
down_revision = 'b1c2d3e40010'
branch_labels = None
depends_on = None


def upgrade():
    orders()
    quotas()
    redemption_items()
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', marketplace.database.UTCDateTime(), nullable=True))
    refunds()
    op.create_table('job_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=60), nullable=False),
    sa.Column('item', sa.String(length=120), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('first_at', marketplace.database.UTCDateTime(), nullable=False),
    sa.Column('last_at', marketplace.database.UTCDateTime(), nullable=False),
    sa.Column('resolved_at', marketplace.database.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_failures')),
    sa.UniqueConstraint('job', 'item', name='uq_job_failures_job_item')
    )
    with op.batch_alter_table('job_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_failures_resolved_at'), ['resolved_at'], unique=False)


def orders():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cash_paid_fen', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('cash_refunded_fen', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('terms', sa.JSON(), nullable=True))
        batch_op.drop_constraint(op.f('ck_orders_shares_add_up'), type_='check')
        batch_op.drop_constraint(op.f('ck_orders_amounts_not_negative'), type_='check')
    backfill_orders(op.get_bind())
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.alter_column('cash_paid_fen', server_default=None)
        batch_op.alter_column('cash_refunded_fen', server_default=None)
        batch_op.alter_column('terms', nullable=False)
        batch_op.create_check_constraint('amounts_not_negative', "price_fen >= 0 AND voucher_fen >= 0 AND "
                                         "cash_fen >= 0 AND cash_paid_fen >= 0 AND cash_refunded_fen >= 0")
        batch_op.create_check_constraint('shares_within_price', 'voucher_fen + cash_fen <= price_fen')
        batch_op.create_check_constraint('refunds_within_payments', 'cash_refunded_fen <= cash_paid_fen')


def backfill_orders(bind):
    """Figures from the ledger and the payment rows; terms from the program as it stands (the
    ratio an order was priced under was not kept before this revision)."""
    # A hold the old worker expired without telling the order: resolved in the ledger, open here.
    bind.execute(sa.text(
        "UPDATE order_vouchers SET posted_fen = (SELECT CASE WHEN r.kind = 'post' THEN r.amount ELSE 0 END "
        "FROM ledger_transfers r WHERE r.pending_id = order_vouchers.hold_id) "
        "WHERE posted_fen IS NULL AND EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = order_vouchers.hold_id)"))
    programs = {row.id: row for row in bind.execute(sa.text(
        "SELECT id, code, ratio_bp, category_ratios, order_cap_fen, full_cover_below_fen FROM voucher_programs"))}
    rows = bind.execute(sa.text("SELECT id, status, category, price_fen, voucher_fen, program_id FROM orders")).all()
    for row in rows:
        bind.execute(sa.text(
            "UPDATE orders SET terms = :terms, "
            "cash_paid_fen = (SELECT COALESCE(SUM(amount_fen), 0) FROM payments WHERE order_id = :id AND status = 'succeeded'), "
            "cash_refunded_fen = (SELECT COALESCE(SUM(r.amount_fen), 0) FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.order_id = :id), "
            "voucher_fen = (SELECT COALESCE(SUM(COALESCE(posted_fen, amount_fen)), 0) FROM order_vouchers WHERE order_id = :id) "
            "WHERE id = :id"), {"id": row.id, "terms": json.dumps(terms_of(row, programs.get(row.program_id)))})
    bind.execute(sa.text("UPDATE orders SET cash_fen = 0 WHERE status IN ('cancelled', 'rejected', 'refunded')"))


def terms_of(row, program):
    parts = []
    if program is not None and row.voucher_fen > 0:
        ratios = program.category_ratios if isinstance(program.category_ratios, dict) else json.loads(program.category_ratios or "{}")
        full = program.full_cover_below_fen and row.price_fen < program.full_cover_below_fen
        parts.append({"program_id": program.id, "program": program.code,
                      "ratio_bp": 10000 if full else int(ratios.get(row.category, program.ratio_bp)),
                      "order_cap_fen": program.order_cap_fen, "full_cover_below_fen": program.full_cover_below_fen,
                      "price_part_fen": row.price_fen, "share_fen": row.voucher_fen})
    return {"price_fen": row.price_fen, "voucher_fen": row.voucher_fen, "parts": parts}


def quotas():
    op.create_table('enterprise_quotas',
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('cap_fen', sa.BigInteger(), nullable=False),
    sa.Column('issued_fen', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('issued_fen >= 0 AND issued_fen <= cap_fen', name=op.f('ck_enterprise_quotas_within_cap')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_enterprise_quotas_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['program_id'], ['voucher_programs.id'], name=op.f('fk_enterprise_quotas_program_id_voucher_programs')),
    sa.PrimaryKeyConstraint('program_id', 'organisation_id', name=op.f('pk_enterprise_quotas'))
    )
    bind = op.get_bind()
    issued = bind.execute(sa.text(
        "SELECT v.program_id, v.organisation_id, SUM(v.face_value_fen) AS issued, p.enterprise_cap_fen AS cap "
        "FROM vouchers v JOIN voucher_programs p ON p.id = v.program_id "
        "GROUP BY v.program_id, v.organisation_id, p.enterprise_cap_fen")).all()
    for row in issued:  # an enterprise already over its cap (the bug this fixes) keeps what it has, no more
        bind.execute(sa.text("INSERT INTO enterprise_quotas (program_id, organisation_id, cap_fen, issued_fen) "
                             "VALUES (:program, :organisation, :cap, :issued)"),
                     {"program": row.program_id, "organisation": row.organisation_id,
                      "cap": max(int(row.cap), int(row.issued)), "issued": int(row.issued)})


def redemption_items():
    with op.batch_alter_table('redemption_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('program_id', sa.Integer(), nullable=True))
    op.get_bind().execute(sa.text("UPDATE redemption_items SET program_id = (SELECT program_id FROM redemption_requests "
                                  "WHERE redemption_requests.id = redemption_items.request_id)"))
    with op.batch_alter_table('redemption_items', schema=None) as batch_op:
        batch_op.alter_column('program_id', nullable=False)
        batch_op.drop_constraint(op.f('uq_redemption_items_live_order_id'), type_='unique')
        batch_op.create_unique_constraint('uq_redemption_items_live_order_program', ['live_order_id', 'program_id'])
        batch_op.create_index(batch_op.f('ix_redemption_items_live_order_id'), ['live_order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_redemption_items_program_id'), ['program_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_redemption_items_program_id_voucher_programs'), 'voucher_programs',
                                    ['program_id'], ['id'])


def refunds():
    # Before this revision Stripe was called inside the refund's transaction: a row with Stripe's
    # id was sent; one without never reached Stripe and is sent by the worker now.
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE refunds SET status = 'sent' WHERE stripe_refund_id IS NOT NULL AND status <> 'failed'"))
    bind.execute(sa.text("UPDATE refunds SET status = 'pending' WHERE stripe_refund_id IS NULL AND status <> 'failed'"))
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_check_constraint('status', "status IN ('pending', 'sent', 'failed')")
        batch_op.create_index(batch_op.f('ix_refunds_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('job_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_failures_resolved_at'))
    op.drop_table('job_failures')
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refunds_status'))
        batch_op.drop_constraint(op.f('ck_refunds_status'), type_='check')
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.drop_column('claimed_at')
    with op.batch_alter_table('redemption_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_redemption_items_program_id_voucher_programs'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_redemption_items_program_id'))
        batch_op.drop_index(batch_op.f('ix_redemption_items_live_order_id'))
        batch_op.drop_constraint('uq_redemption_items_live_order_program', type_='unique')
        batch_op.create_unique_constraint('uq_redemption_items_live_order_id', ['live_order_id'])
        batch_op.drop_column('program_id')
    op.drop_table('enterprise_quotas')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_orders_refunds_within_payments'), type_='check')
        batch_op.drop_constraint(op.f('ck_orders_shares_within_price'), type_='check')
        batch_op.drop_constraint(op.f('ck_orders_amounts_not_negative'), type_='check')
        batch_op.drop_column('terms')
        batch_op.drop_column('cash_refunded_fen')
        batch_op.drop_column('cash_paid_fen')
        batch_op.create_check_constraint('amounts_not_negative', 'price_fen >= 0 AND voucher_fen >= 0 AND cash_fen >= 0')
