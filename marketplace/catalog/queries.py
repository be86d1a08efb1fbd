"""Read-only queries for the public catalogue pages."""
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from marketplace.catalog.models import Category, Listing, ListingImage, ListingRevision, ListingStatus, \
    ProviderProfile
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
                     contains_eager(Listing.published_revision).selectinload(ListingRevision.category),
                     selectinload(Listing.provider)))


def sorted_by(query, sort):
    if sort == "price_asc":
        return query.order_by(ListingRevision.price_from_fen.asc().nulls_last(), Listing.id.desc())
    if sort == "price_desc":
        return query.order_by(ListingRevision.price_from_fen.desc().nulls_last(), Listing.id.desc())
    return query.order_by(Listing.published_at.desc(), Listing.id.desc())


def in_category(query, category):
    ids = [category.id] + [child.id for child in category.children]
    return query.where(ListingRevision.category_id.in_(ids))


def category_counts():
    """{top category id: number of published listings in it and its sub-categories}."""
    top = func.coalesce(Category.parent_id, Category.id)
    rows = db.session.execute(
        select(top, func.count(Listing.id)).select_from(Listing)
        .join(ListingRevision, Listing.published_revision_id == ListingRevision.id)
        .join(Category, ListingRevision.category_id == Category.id)
        .where(Listing.status == ListingStatus.PUBLISHED).group_by(top))
    return dict(rows.all())


FEATURED_CANDIDATES = 6  # × the cards shown: enough newest listings to choose varied ones from


def featured_listings(limit=8):
    """The newest published listings, those with pictures first, varied: one per provider and
    top category before any second (the newest eight were often one provider's whole shelf)."""
    with_image = select(ListingImage.id).where(ListingImage.revision_id == Listing.published_revision_id).exists()
    query = published_listings().order_by(with_image.desc(), Listing.published_at.desc(), Listing.id.desc())
    candidates = list(db.session.scalars(query.limit(limit * FEATURED_CANDIDATES)).unique())
    category = lambda listing: listing.published_revision.category  # noqa: E731
    return varied(candidates, limit, lambda listing: (listing.provider_id,
                                                      category(listing).parent_id or category(listing).id))


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


def public_listing(listing_id, *options):
    """A published listing for its public page (loaded with `options`). Raises NotFound."""
    listing = db.session.get(Listing, listing_id, options=options)
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
