"""search: admin-editable synonym groups, seeded

Revision ID: d6e1a2c30006
Revises: e7f0a1b20007
Create Date: 2026-11-28 09:00:00

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

import marketplace.database


# revision identifiers, used by Alembic.
revision = 'd6e1a2c30006'
down_revision = 'e7f0a1b20007'
branch_labels = None
depends_on = None

# A copy, not an import: migrations must not change when application code does.
SEED = [
    "IP, 知识产权", "EMC, 电磁兼容, 电磁兼容性", "高企, 高新技术企业, 国高企", "软著, 软件著作权, 软件版权, software copyright",
    "检测, 测试, 检验", "认证, certification", "专利, patent", "商标, trademark", "贯标, 知识产权管理体系",
    "加计扣除, 研发费用加计扣除", "孵化, 孵化器, 众创空间", "培训, 内训, training", "融资, 贷款",
    "工业设计, industrial design", "可靠性, 环境试验", "SEM, 扫描电镜", "XRD, X射线衍射",
]


def upgrade():
    table = op.create_table('search_synonyms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('terms', sa.String(length=300), nullable=False),
    sa.Column('updated_at', marketplace.database.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_synonyms')),
    sa.UniqueConstraint('terms', name=op.f('uq_search_synonyms_terms'))
    )
    now = datetime(2026, 11, 28, 1, 0, tzinfo=timezone.utc)
    op.bulk_insert(table, [{"terms": terms, "updated_at": now} for terms in SEED])


def downgrade():
    op.drop_table('search_synonyms')
