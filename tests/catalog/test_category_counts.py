"""Published listings per category come from counts the database keeps (triggers on listings and
categories): after any sequence of publishing, replacing, unpublishing, republishing, deleting,
provider suspension and CSV import they equal a count over the listings themselves."""
import random

from sqlalchemy import func, select, text

from marketplace.auth.models import User
from marketplace.catalog import listings, moderation, providers, queries
from marketplace.catalog.importer import import_listings
from marketplace.catalog.models import Category, CategoryListingCount, Listing, ListingRevision
from marketplace.extensions import db
from tests.catalog.conftest import listing_data

SUB_CATEGORIES = ("ip-patent", "ip-trademark", "testing-emc", "testing-materials", "rnd-industrial-design")
HEADER = "external_id,provider,category,title,description,price_yuan,voucher_eligible,tags\n"


def counted_over_listings():
    """{category id: published listings} counted the slow way (what the page did before)."""
    rows = db.session.execute(
        select(ListingRevision.category_id, func.count(Listing.id))
        .join(Listing, Listing.published_revision_id == ListingRevision.id)
        .where(Listing.status == "published").group_by(ListingRevision.category_id))
    return {category_id: count for category_id, count in rows}


def kept_counts():
    return {category_id: count for category_id, count in
            db.session.execute(select(CategoryListingCount.category_id, CategoryListingCount.listings)) if count}


def assert_counts_agree():
    expected = counted_over_listings()
    assert kept_counts() == expected
    totals = queries.category_counts()
    assert totals[None] == sum(expected.values())
    for category in db.session.scalars(select(Category).where(Category.parent_id.is_(None))):
        inside = [category.id] + [child.id for child in category.children]
        assert totals.get(category.id, 0) == sum(expected.get(i, 0) for i in inside)


def test_counts_follow_every_way_a_listing_moves(app, make_provider, make_listing):
    chance = random.Random(18)
    owner = make_provider()
    admin = db.session.scalar(select(User).where(User.role == "admin")) or _operator()
    shelf = [make_listing(owner, category_slug=chance.choice(SUB_CATEGORIES)) for _ in range(4)]
    assert_counts_agree()
    for step in range(40):
        listing = db.session.get(Listing, chance.choice(shelf).id)
        action = chance.choice(["new", "recategorise", "unpublish", "republish", "delete", "take_down"])
        if action == "new":
            shelf.append(make_listing(owner, published=chance.random() < 0.8, category_slug=chance.choice(SUB_CATEGORIES)))
        elif action == "recategorise" and listing.status == "published":
            listings.update_listing(owner, listing.id, listing_data(category_slug=chance.choice(SUB_CATEGORIES)))
            listings.submit_listing(owner, listing.id)
            moderation.approve_revision(admin, listing.working_revision_id)
        elif action == "unpublish" and listing.status == "published":
            listings.unpublish_listing(owner, listing.id)
        elif action == "republish" and listing.status == "unpublished":
            listings.republish_listing(owner, listing.id)
        elif action == "delete" and listing.status != "deleted":
            listings.delete_listing(owner, listing.id)
        elif action == "take_down" and listing.status == "published":
            moderation.admin_unpublish(admin, listing.id, "投诉核实")
        db.session.commit()
        assert_counts_agree()
    providers.unpublish_all(owner.organisation_id, "暂停")
    db.session.commit()
    assert_counts_agree()


def test_imported_listings_count_and_a_reimport_moves_them(app):
    rows = "".join(f"C-{i},厦门计数测试检测有限公司,{SUB_CATEGORIES[i % 3]},检测服务 {i},,{100 + i},1,\n" for i in range(9))
    assert import_listings((HEADER + rows).encode()).imported
    db.session.commit()
    assert_counts_agree()
    moved = rows.replace(",ip-patent,", ",testing-materials,")
    assert import_listings((HEADER + moved).encode()).imported
    db.session.commit()
    assert_counts_agree()
    assert counted_over_listings()[_category("testing-materials")] == 3


def test_a_new_category_starts_at_zero_and_rows_changed_outside_the_services_count_too(app, make_provider, make_listing):
    category = Category(slug="new-kind", name_zh="新类", name_en="New kind", parent_id=_category("ip"))
    db.session.add(category)
    db.session.commit()
    assert db.session.get(CategoryListingCount, category.id).listings == 0
    first, second = (make_listing(make_provider(), category_slug="new-kind") for _ in range(2))
    assert db.session.get(CategoryListingCount, category.id).listings == 2
    db.session.execute(text("UPDATE listings SET published_revision_id = NULL WHERE id = :id"), {"id": first.id})
    db.session.execute(text("UPDATE listings SET status = 'deleted' WHERE id = :id"), {"id": second.id})
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(CategoryListingCount, category.id).listings == 0
    assert_counts_agree()


def _category(slug):
    return db.session.scalar(select(Category.id).where(Category.slug == slug))


def _operator():
    admin = User(email="counts-admin@example.com", name="审核员", role="admin")
    admin.set_password("x-pass-12345")
    db.session.add(admin)
    db.session.commit()
    return admin

