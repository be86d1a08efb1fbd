"""invoices (发票): redemption items carry the provider, the invoice code and amount and the live
invoice (UNIQUE per provider while the request is live); programs list the evidence a request needs

Revision ID: a6b7c8d9f015
Revises: a6b7c8d90015
Create Date: 2026-12-05 08:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'a6b7c8d9f015'
down_revision = 'a6b7c8d90015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('voucher_programs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('required_evidence', sa.JSON(), server_default='[]', nullable=False))

    with op.batch_alter_table('redemption_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provider_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('invoice_code', sa.String(length=12), server_default='', nullable=False))
        batch_op.add_column(sa.Column('invoice_amount_fen', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('live_invoice', sa.String(length=40), nullable=True))
    # Earlier claims quoted free-text invoice numbers: they keep them, unchecked (live_invoice NULL);
    # a request sent back must give a well-formed invoice to be resubmitted.
    op.execute("UPDATE redemption_items SET provider_id = (SELECT redemption_requests.provider_id "
               "FROM redemption_requests WHERE redemption_requests.id = redemption_items.request_id)")
    with op.batch_alter_table('redemption_items', schema=None) as batch_op:
        batch_op.alter_column('provider_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_redemption_items_provider_id_organisations'), 'organisations',
                                    ['provider_id'], ['id'])
        batch_op.create_unique_constraint('uq_redemption_items_provider_live_invoice', ['provider_id', 'live_invoice'])


def downgrade():
    with op.batch_alter_table('redemption_items', schema=None) as batch_op:
        batch_op.drop_constraint('uq_redemption_items_provider_live_invoice', type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_redemption_items_provider_id_organisations'), type_='foreignkey')
        batch_op.drop_column('live_invoice')
        batch_op.drop_column('invoice_amount_fen')
        batch_op.drop_column('invoice_code')
        batch_op.drop_column('provider_id')
    with op.batch_alter_table('voucher_programs', schema=None) as batch_op:
        batch_op.drop_column('required_evidence')
