"""From the database (the truth) to search documents: only published listings of active
providers (organisation approved, admitted to the provider register) become documents."""
from sqlalchemy import select
from sqlalchemy.orm import aliased

from marketplace.auth.models import Organisation, OrgStatus
from marketplace.catalog.models import AdmissionStatus, Category, Listing, ListingRevision, ListingStatus, \
    ProviderProfile, Qualification
from marketplace.catalog.providers import today
from marketplace.extensions import db

BATCH = 500


def indexable():
    """Listings that may be found, with what a document needs."""
    parent = aliased(Category)
    return (select(Listing, ListingRevision, Organisation, ProviderProfile, Category.slug, parent.slug)
            .join(ListingRevision, Listing.published_revision_id == ListingRevision.id)
            .join(Organisation, Listing.provider_id == Organisation.id)
            .join(ProviderProfile, ProviderProfile.organisation_id == Organisation.id)
            .join(Category, ListingRevision.category_id == Category.id)
            .outerjoin(parent, Category.parent_id == parent.id)
            .where(Listing.status == ListingStatus.PUBLISHED, Organisation.status == OrgStatus.APPROVED,
                   ProviderProfile.status == AdmissionStatus.ADMITTED))


def ratings(listing_ids, session=None):
    """{listing id: average review rating 1–5} for the listings that have reviews (others rate 0,
    so ties fall through to recency). A new review writes a search-outbox row for its listing."""
    from sqlalchemy import func

    from marketplace.orders.models import Review

    session = session or db.session
    found = {}
    ids = list(listing_ids)
    for start in range(0, len(ids), 1000):
        found.update(session.execute(select(Review.listing_id, func.avg(Review.rating)).where(
            Review.listing_id.in_(ids[start:start + 1000])).group_by(Review.listing_id)).all())
    return {listing_id: float(average) for listing_id, average in found.items()}


def verified_profiles(profile_ids, session=None):
    """Profiles holding at least one qualification (CNAS, CMA, patent-agency licence …) valid today."""
    if not profile_ids:
        return set()
    return set((session or db.session).scalars(select(Qualification.profile_id).where(
        Qualification.profile_id.in_(profile_ids), Qualification.valid_until >= today())))


def to_document(listing, revision, organisation, profile, slug, parent_slug, rating, verified):
    return {
        "id": listing.id, "external_id": listing.external_id, "title": revision.title, "summary": revision.summary,
        "description": revision.description, "tags": revision.tag_list, "provider": organisation.legal_name,
        "category": slug, "category_top": parent_slug or slug, "city": revision.city or profile.city or organisation.city,
        "price_fen": revision.price_from_fen, "voucher_eligible": revision.voucher_eligible,
        "verified": verified, "rating": rating,
        "published": int(listing.published_at.timestamp()) if listing.published_at else 0,
    }


def documents(rows, session=None):
    rows = list(rows)
    rated = ratings([row[0].id for row in rows], session)
    verified = verified_profiles({row[3].id for row in rows}, session)
    return [to_document(*row, rated.get(row[0].id, 0.0), row[3].id in verified) for row in rows]


def documents_for(listing_ids):
    """(documents of the given listings that may be found, ids of those that may not)."""
    found = documents(db.session.execute(indexable().where(Listing.id.in_(listing_ids))).all())
    present = {doc["id"] for doc in found}
    return found, [listing_id for listing_id in listing_ids if listing_id not in present]


def all_documents(session):
    """Every document, read in id order in batches (for a full rebuild from the snapshot that
    `session` reads)."""
    last = 0
    while True:
        rows = session.execute(indexable().where(Listing.id > last).order_by(Listing.id).limit(BATCH)).all()
        if not rows:
            return
        yield from documents(rows, session)
        last = rows[-1][0].id
        session.expunge_all()


def count_indexable(session):
    from sqlalchemy import func

    return session.scalar(select(func.count()).select_from(indexable().subquery()))


