"""related parties: affiliations with kind, evidence and an end; one active affiliation per pair;
organisations' contact e-mail, registered address and provisional credit codes; approved
one-order exceptions to the related-party exclusion

Revision ID: a6b7c8d90015
Revises: e4f5a6b70013
Create Date: 2026-12-05 07:00:00

"""
from alembic import op
import sqlalchemy as sa

import marketplace.database

# revision identifiers, used by Alembic.
revision = 'a6b7c8d90015'
down_revision = 'e4f5a6b70013'
branch_labels = None
depends_on = None

KINDS = "kind IN ('shareholding', 'group', 'management', 'family', 'declared', 'other')"


def upgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_email', sa.String(length=254), server_default='', nullable=False))
        batch_op.add_column(sa.Column('registered_address', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('credit_code_provisional', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    # Providers a catalogue import created still carry the placeholder code (authority Y9…).
    op.execute("UPDATE organisations SET credit_code_provisional = TRUE WHERE credit_code LIKE 'Y9%' AND id IN "
               "(SELECT organisation_id FROM provider_profiles WHERE created_by_import = TRUE)")
    op.execute("UPDATE organisations SET contact_email = COALESCE((SELECT MIN(users.email) FROM users "
               "WHERE users.organisation_id = organisations.id), '')")

    with op.batch_alter_table('affiliations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='other', nullable=False))
        batch_op.add_column(sa.Column('evidence_file_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ended_at', marketplace.database.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('ended_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('end_reason', sa.Text(), nullable=True))
        batch_op.drop_constraint('uq_affiliations_pair', type_='unique')
        batch_op.create_check_constraint('kind', KINDS)
        batch_op.create_check_constraint('ended_with_reason', '(ended_at IS NULL) = (end_reason IS NULL)')
        batch_op.create_foreign_key(batch_op.f('fk_affiliations_evidence_file_id_stored_files'), 'stored_files',
                                    ['evidence_file_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_affiliations_ended_by_id_users'), 'users', ['ended_by_id'], ['id'])
        batch_op.create_index('ix_affiliations_organisation_b_id', ['organisation_b_id'], unique=False)
    op.create_index('uq_affiliations_active_pair', 'affiliations', ['organisation_a_id', 'organisation_b_id'],
                    unique=True, sqlite_where=sa.text('ended_at IS NULL'), postgresql_where=sa.text('ended_at IS NULL'))

    op.create_table('party_exceptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=False),
    sa.Column('approved_at', marketplace.database.UTCDateTime(), nullable=False),
    sa.Column('used_order_id', sa.Integer(), nullable=True),
    sa.Column('used_at', marketplace.database.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_party_exceptions_approved_by_id_users')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['organisations.id'],
                            name=op.f('fk_party_exceptions_enterprise_id_organisations')),
    sa.ForeignKeyConstraint(['provider_id'], ['organisations.id'],
                            name=op.f('fk_party_exceptions_provider_id_organisations')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_party_exceptions_requested_by_id_users')),
    sa.ForeignKeyConstraint(['used_order_id'], ['orders.id'], name=op.f('fk_party_exceptions_used_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_party_exceptions')),
    sa.UniqueConstraint('used_order_id', name=op.f('uq_party_exceptions_used_order_id'))
    )
    op.create_index('ix_party_exceptions_pair', 'party_exceptions', ['enterprise_id', 'provider_id'], unique=False)


def downgrade():
    op.drop_index('ix_party_exceptions_pair', table_name='party_exceptions')
    op.drop_table('party_exceptions')
    op.drop_index('uq_affiliations_active_pair', table_name='affiliations')
    op.execute("DELETE FROM affiliations WHERE ended_at IS NOT NULL")
    with op.batch_alter_table('affiliations', schema=None) as batch_op:
        batch_op.drop_index('ix_affiliations_organisation_b_id')
        batch_op.drop_constraint(batch_op.f('fk_affiliations_ended_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_affiliations_evidence_file_id_stored_files'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('ck_affiliations_ended_with_reason'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_affiliations_kind'), type_='check')
        batch_op.create_unique_constraint('uq_affiliations_pair', ['organisation_a_id', 'organisation_b_id'])
        batch_op.drop_column('end_reason')
        batch_op.drop_column('ended_by_id')
        batch_op.drop_column('ended_at')
        batch_op.drop_column('evidence_file_id')
        batch_op.drop_column('kind')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('credit_code_provisional')
        batch_op.drop_column('registered_address')
        batch_op.drop_column('contact_email')
