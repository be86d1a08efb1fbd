"""Read-only queries for the public catalogue pages."""
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from marketplace.catalog.models import Category, CategoryListingCount, Listing, ListingImage, ListingRevision, \
    ListingStatus, ProviderProfile
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.i18n import N_

SORTS = {"newest": N_("Newest"), "price_asc": N_("Price: low to high"), "price_desc": N_("Price: high to low")}


def top_categories():
    return list(db.session.scalars(select(Category).where(Category.parent_id.is_(None))
                                   .options(selectinload(Category.children)).order_by(Category.position)))


def get_category(slug):
    category = db.session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        raise NotFound(N_("This category does not exist."))
    return category


def published_listings():
    """Published listings joined to the version the public sees, with what a card shows."""
    return (select(Listing).join(ListingRevision, Listing.published_revision_id == ListingRevision.id)
            .where(Listing.status == ListingStatus.PUBLISHED)
            .options(contains_eager(Listing.published_revision).selectinload(ListingRevision.images)
                     .selectinload(ListingImage.file),
                     contains_eager(Listing.published_revision).selectinload(ListingRevision.packages),
                     contains_eager(Listing.published_revision).selectinload(ListingRevision.category)
                     .selectinload(Category.parent),  # a card shows the top category's name
                     selectinload(Listing.provider)))


def sorted_by(query, sort):
    if sort == "price_asc":
        return query.order_by(ListingRevision.price_from_fen.asc().nulls_last(), Listing.id.desc())
    if sort == "price_desc":
        return query.order_by(ListingRevision.price_from_fen.desc().nulls_last(), Listing.id.desc())
    return query.order_by(Listing.published_at.desc(), Listing.id.desc())


def in_category(query, category, walk_newest=False):
    """`walk_newest`: for a category holding a good share of all listings, newest first. The
    category's rows are then found by walking ix_listings_status_published and stopping after a
    page; `+ 0` keeps the planner from starting at the category index instead, which would sort
    every listing of the category first. A small category is better read through its index."""
    ids = [category.id] + [child.id for child in category.children]
    column = ListingRevision.category_id + 0 if walk_newest else ListingRevision.category_id
    return query.where(column.in_(ids))


def walks_newest(category, sort, counts):
    """Whether the category page should walk the newest-first index (see in_category): newest
    first and at least 1 listing in 20 of the whole catalogue in the category."""
    return sort == "newest" and counts.get(category.id, 0) * 20 >= counts.get(None, 0)


def category_counts():
    """{category id: number of published listings in it; a top category's includes its sub-categories';
    None: all of them}. From the counts the database keeps per category (CategoryListingCount), a
    row per category; pages still read it once per cache generation (per_generation)."""
    rows = db.session.execute(
        select(Category.id, Category.parent_id, CategoryListingCount.listings)
        .join(CategoryListingCount, CategoryListingCount.category_id == Category.id))
    counts = {None: 0}
    for category_id, parent_id, count in rows:
        counts[None] += count
        counts[category_id] = counts.get(category_id, 0) + count
        if parent_id is not None:
            counts[parent_id] = counts.get(parent_id, 0) + count
    return counts


FEATURED_CANDIDATES = 6  # × the cards shown: enough newest listings to choose varied ones from


def featured_listing_ids(limit=8):
    """Ids of the newest published listings, those with pictures first, varied: one per provider
    and top category before any second (the newest eight were often one provider's whole shelf).
    Two queries bounded by `limit` × FEATURED_CANDIDATES where pictures are common (each walks
    ix_listings_status_published and stops early). Where few listings have a picture the first
    walks them all, so pages keep these ids per cache generation (per_generation)."""
    top = func.coalesce(Category.parent_id, Category.id)
    newest = (select(Listing.id, Listing.provider_id, top)
              .join(ListingRevision, Listing.published_revision_id == ListingRevision.id)
              .join(Category, ListingRevision.category_id == Category.id)
              .where(Listing.status == ListingStatus.PUBLISHED)
              .order_by(Listing.published_at.desc(), Listing.id.desc()).limit(limit * FEATURED_CANDIDATES))
    candidates = db.session.execute(newest.where(
        Listing.published_revision_id.in_(select(ListingImage.revision_id)))).all()
    if len(candidates) < limit:
        pictured = {row[0] for row in candidates}
        candidates += [row for row in db.session.execute(newest).all() if row[0] not in pictured]
    return [row[0] for row in varied(candidates, limit, lambda row: (row[1], row[2]))]


def varied(items, limit, keys):
    """Up to `limit` items in their order, preferring items none of whose keys (e.g. provider,
    category) was taken yet, then those sharing one, then the rest."""
    chosen, seen = [], [set() for _ in keys(items[0])] if items else []
    for shared_allowed in range(len(seen) + 1):
        for item in items:
            if len(chosen) == limit:
                return chosen
            if item in chosen:
                continue
            values = keys(item)
            if sum(value in taken for value, taken in zip(values, seen)) <= shared_allowed:
                chosen.append(item)
                for value, taken in zip(values, seen):
                    taken.add(value)
    return chosen


def featured_listings(ids):
    """The listings of `featured_listing_ids()`, in that order, loaded for their cards in one query."""
    loaded = {listing.id: listing for listing in db.session.scalars(
        published_listings().where(Listing.id.in_(ids))).unique()}
    return [loaded[listing_id] for listing_id in ids if listing_id in loaded]


def public_listing(listing_id, *options):
    """A published listing for its public page (loaded with `options`). Raises NotFound."""
    return published_or_not_found(db.session.get(Listing, listing_id, options=options))


def published_or_not_found(listing):
    if listing is None or listing.status != ListingStatus.PUBLISHED or listing.published_revision is None:
        raise NotFound(N_("This listing does not exist or is no longer offered."))
    return listing


def provider_listings(organisation_id, sort):
    return sorted_by(published_listings().where(Listing.provider_id == organisation_id), sort)


@dataclass(frozen=True)
class CardFacts:
    """What a listing card shows beside the listing: its track record and its provider's profile."""

    rating: int = 0  # average ×100
    reviews: int = 0
    completed: int = 0
    profile: ProviderProfile | None = None


def card_facts(listings):
    """{listing id: CardFacts} for a page of cards in three queries, however many cards."""
    from marketplace.orders.thread import listing_track_records

    listings = list(listings)
    records = listing_track_records(listing.id for listing in listings)
    provider_ids = {listing.provider_id for listing in listings}
    profiles = {profile.organisation_id: profile for profile in db.session.scalars(
        select(ProviderProfile).where(ProviderProfile.organisation_id.in_(provider_ids))
        .options(joinedload(ProviderProfile.logo)))} if provider_ids else {}
    return {listing.id: CardFacts(*records.get(listing.id, (0, 0, 0)), profiles.get(listing.provider_id))
            for listing in listings}
