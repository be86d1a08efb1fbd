"""listings: newest-first indexes (status, published_at, id) and per provider; ledger transfers by
debit account and kind; orders per side newest first (issue 18: pages at scale)

Revision ID: a7b8c9d0e022
Revises: f1a2b3c40021
Create Date: 2026-12-05 12:30:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7b8c9d0e022'
down_revision = 'f1a2b3c40021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_listings_status_published', 'listings', ['status', 'published_at', 'id'])
    op.create_index('ix_listings_provider_status_published', 'listings',
                    ['provider_id', 'status', 'published_at', 'id'])
    op.create_index('ix_ledger_transfers_debit_account_id_kind', 'ledger_transfers', ['debit_account_id', 'kind'])
    op.create_index('ix_orders_enterprise_created', 'orders', ['enterprise_id', 'created_at', 'id'])
    op.create_index('ix_orders_provider_created', 'orders', ['provider_id', 'created_at', 'id'])


def downgrade():
    op.drop_index('ix_orders_provider_created', table_name='orders')
    op.drop_index('ix_orders_enterprise_created', table_name='orders')
    op.drop_index('ix_ledger_transfers_debit_account_id_kind', table_name='ledger_transfers')
    op.drop_index('ix_listings_provider_status_published', table_name='listings')
    op.drop_index('ix_listings_status_published', table_name='listings')
