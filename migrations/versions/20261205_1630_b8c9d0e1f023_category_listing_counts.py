"""category_listing_counts: published listings per category, kept by triggers on listings and
categories (issue 18: the home and category pages counted every published listing)

A listing counts in the category of its published revision while its status is 'published'
(what catalog.queries counted before). Published revisions are never edited, so only a
listing's status and published_revision_id move a count: the listing triggers take one from the
old category and add one to the new. A category gets its row when it is created. Listings are
never deleted (their revisions, orders and outbox rows point at them; "deleted" is a status), so
there is no delete trigger.

Revision ID: b8c9d0e1f023
Revises: a7b8c9d0e022
Create Date: 2026-12-05 16:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b8c9d0e1f023'
down_revision = 'a7b8c9d0e022'
branch_labels = None
depends_on = None

CATEGORY_OF = "(SELECT category_id FROM listing_revisions WHERE id = {row}.published_revision_id)"
TAKE_OLD = f"""UPDATE category_listing_counts SET listings = listings - 1
               WHERE OLD.status = 'published' AND category_id = {CATEGORY_OF.format(row='OLD')}"""
ADD_NEW = f"""UPDATE category_listing_counts SET listings = listings + 1
              WHERE NEW.status = 'published' AND category_id = {CATEGORY_OF.format(row='NEW')}"""
NEW_CATEGORY = "INSERT INTO category_listing_counts (category_id, listings) VALUES (NEW.id, 0)"

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER listings_count_insert AFTER INSERT ON listings BEGIN {ADD_NEW}; END",
    f"""CREATE TRIGGER listings_count_update AFTER UPDATE OF status, published_revision_id ON listings
        BEGIN {TAKE_OLD}; {ADD_NEW}; END""",
    f"CREATE TRIGGER categories_count_insert AFTER INSERT ON categories BEGIN {NEW_CATEGORY}; END",
]

POSTGRESQL_TRIGGERS = [
    f"""CREATE FUNCTION count_published_listings() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'UPDATE' THEN {TAKE_OLD}; END IF;
          {ADD_NEW};
          RETURN NULL;
        END $$""",
    """CREATE TRIGGER listings_count AFTER INSERT OR UPDATE OF status, published_revision_id
        ON listings FOR EACH ROW EXECUTE FUNCTION count_published_listings()""",
    f"""CREATE FUNCTION count_new_category() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {NEW_CATEGORY}; RETURN NULL; END $$""",
    """CREATE TRIGGER categories_count AFTER INSERT ON categories
        FOR EACH ROW EXECUTE FUNCTION count_new_category()""",
]

DROP_TRIGGERS = {
    "sqlite": [f"DROP TRIGGER IF EXISTS {name}" for name in
               ("listings_count_insert", "listings_count_update", "categories_count_insert")],
    "postgresql": ["DROP TRIGGER IF EXISTS listings_count ON listings",
                   "DROP TRIGGER IF EXISTS categories_count ON categories",
                   "DROP FUNCTION IF EXISTS count_published_listings()",
                   "DROP FUNCTION IF EXISTS count_new_category()"],
}

BACKFILL = """INSERT INTO category_listing_counts (category_id, listings)
    SELECT categories.id, (SELECT count(*) FROM listings
                           JOIN listing_revisions ON listing_revisions.id = listings.published_revision_id
                           WHERE listings.status = 'published' AND listing_revisions.category_id = categories.id)
    FROM categories"""


def upgrade():
    op.create_table('category_listing_counts',
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('listings', sa.Integer(), nullable=False),
    sa.CheckConstraint('listings >= 0', name=op.f('ck_category_listing_counts_listings_not_negative')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_category_listing_counts_category_id_categories'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('category_id', name=op.f('pk_category_listing_counts'))
    )
    dialect = op.get_bind().dialect.name
    statements = {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRESQL_TRIGGERS}.get(dialect)
    if statements is None:
        raise NotImplementedError(f"no listing-count triggers for {dialect}")
    if dialect == "postgresql":  # no listing may move between the count and the triggers
        op.execute("LOCK TABLE listings, categories IN SHARE ROW EXCLUSIVE MODE")
    op.execute(BACKFILL)
    for statement in statements:
        op.execute(statement)


def downgrade():
    for statement in DROP_TRIGGERS.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    op.drop_table('category_listing_counts')
