"""imagery: image sizes and variant widths on stored files, provider logos

Revision ID: f1a2b3c40021
Revises: e0f1a2b30019
Create Date: 2026-12-05 12:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'f1a2b3c40021'
down_revision = 'e0f1a2b30019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stored_files') as batch:
        batch.add_column(sa.Column('width', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('height', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('variant_widths', sa.String(length=40), nullable=True))
    with op.batch_alter_table('provider_profiles') as batch:
        batch.add_column(sa.Column('logo_file_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_provider_profiles_logo_file_id_stored_files'), 'stored_files',
                                 ['logo_file_id'], ['id'])


def downgrade():
    with op.batch_alter_table('provider_profiles') as batch:
        batch.drop_constraint(op.f('fk_provider_profiles_logo_file_id_stored_files'), type_='foreignkey')
        batch.drop_column('logo_file_id')
    with op.batch_alter_table('stored_files') as batch:
        batch.drop_column('variant_widths')
        batch.drop_column('height')
        batch.drop_column('width')
