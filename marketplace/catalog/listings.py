"""A provider's own listings: draft, edit, submit for review, unpublish, publish again, delete,
images. Each change writes a search-outbox row in the same transaction. Services flush only."""
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.catalog import uploads
from marketplace.catalog.models import Category, Listing, ListingImage, ListingPackage, ListingRevision, \
    ListingStatus, OutboxAction, RevisionState
from marketplace.catalog.outbox import record_change
from marketplace.catalog.providers import own_profile, provider_organisation
from marketplace.database import utcnow
from marketplace.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.money import MAX_FEN

MAX_PACKAGES = 3
MAX_IMAGES = 6
MAX_TAGS = 10
CONTENT_FIELDS = ("title", "summary", "description", "tags", "city", "service_area", "delivery_time",
                  "voucher_eligible", "price_on_request")


@dataclass(frozen=True)
class PackageData:
    name: str
    price_fen: int
    delivery_days: int | None = None
    includes: str = ""


@dataclass(frozen=True)
class ListingData:
    title: str
    category_slug: str
    summary: str = ""
    description: str = ""
    tags: str = ""
    city: str = ""
    service_area: str = ""
    delivery_time: str = ""
    voucher_eligible: bool = False
    price_on_request: bool = False
    packages: tuple = field(default_factory=tuple)


def normalise_tags(text):
    """'专利; 发明,PCT' → '专利;发明;PCT' (unique, in order). Raises ValidationFailed."""
    tags = []
    for tag in (text or "").replace("，", ",").replace("；", ";").replace(",", ";").split(";"):
        tag = tag.strip()
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS or any(len(tag) > 20 for tag in tags):
        raise ValidationFailed(N_("At most 10 tags of up to 20 characters each."), field="tags")
    return ";".join(tags)


def find_category(slug):
    category = db.session.scalar(select(Category).where(Category.slug == (slug or "").strip().lower()))
    if category is None:
        raise ValidationFailed(N_("Unknown category: %(slug)s"), field="category", slug=slug or "")
    return category


def check_listing(data: ListingData):
    """Raises ValidationFailed for the first rule the data breaks."""
    if not data.title.strip() or len(data.title) > 120:
        raise ValidationFailed(N_("The title must have 1 to 120 characters."), field="title")
    if len(data.summary) > 300 or len(data.description) > 20000:
        raise ValidationFailed(N_("The summary or description is too long."), field="description")
    if len(data.packages) > MAX_PACKAGES:
        raise ValidationFailed(N_("At most three packages."), field="packages")
    if not data.packages and not data.price_on_request:
        raise ValidationFailed(N_("Add at least one package with a price, or choose price on request."),
                               field="packages")
    for package in data.packages:
        if not package.name.strip() or not 0 <= package.price_fen < MAX_FEN:
            raise ValidationFailed(N_("Every package needs a name and a price of zero or more."), field="packages")


def apply_data(revision, data: ListingData):
    check_listing(data)
    revision.category = find_category(data.category_slug)
    for name in CONTENT_FIELDS:
        setattr(revision, name, getattr(data, name))
    revision.tags = normalise_tags(data.tags)
    revision.packages = [ListingPackage(position=index, name=p.name.strip(), price_fen=p.price_fen,
                                        delivery_days=p.delivery_days, includes=p.includes)
                         for index, p in enumerate(data.packages)]
    revision.price_from_fen = min((p.price_fen for p in data.packages), default=None)
    revision.state, revision.review_reason = RevisionState.DRAFT, None


def own_listing(actor, listing_id):
    """One of the actor's own listings. Raises NotFound, PermissionDenied."""
    organisation = provider_organisation(actor)
    listing = db.session.get(Listing, listing_id)
    if listing is None or listing.status == ListingStatus.DELETED:
        raise NotFound(N_("This listing does not exist."))
    if listing.provider_id != organisation.id:
        raise PermissionDenied()
    return listing


def require_admitted(actor):
    profile = own_profile(actor)
    if profile is None or not profile.is_admitted:
        raise InvalidState(N_("Only providers admitted to the provider register can do this."))
    return profile


def create_listing(actor, data: ListingData):
    """A new draft listing of the actor's organisation. Raises PermissionDenied, ValidationFailed."""
    organisation = provider_organisation(actor)
    if not organisation.is_approved:
        raise InvalidState(N_("Your organisation must be approved first."))
    listing = Listing(provider_id=organisation.id, status=ListingStatus.DRAFT)
    db.session.add(listing)
    db.session.flush()
    revision = ListingRevision(listing_id=listing.id)
    apply_data(revision, data)
    db.session.add(revision)
    db.session.flush()
    listing.working_revision = revision
    record_change(listing, OutboxAction.CREATE)
    return listing


def working_copy(listing):
    """The revision the provider may change: the working copy, else a new copy of the published one."""
    revision = listing.working_revision
    if revision is None:
        revision = copy_revision(listing.published_revision)
        listing.working_revision = revision
    elif revision.state == RevisionState.APPROVED:
        raise InvalidState()
    return revision


def copy_revision(source):
    revision = ListingRevision(listing_id=source.listing_id, category_id=source.category_id,
                               price_from_fen=source.price_from_fen,
                               **{name: getattr(source, name) for name in CONTENT_FIELDS})
    revision.packages = [ListingPackage(position=p.position, name=p.name, price_fen=p.price_fen,
                                        delivery_days=p.delivery_days, includes=p.includes) for p in source.packages]
    revision.images = [ListingImage(position=i.position, file_id=i.file_id) for i in source.images]
    db.session.add(revision)
    db.session.flush()
    return revision


def back_to_draft(listing):
    """An edited working copy leaves the review queue until it is submitted again."""
    if listing.published_revision_id is None and listing.status in (ListingStatus.PENDING, ListingStatus.REJECTED):
        listing.status = ListingStatus.DRAFT
    listing.updated_at = utcnow()
    record_change(listing, OutboxAction.UPDATE)


def update_listing(actor, listing_id, data: ListingData):
    """Change a listing's content. A published listing stays visible as it was until the change
    is approved. Raises NotFound, PermissionDenied, ValidationFailed."""
    listing = own_listing(actor, listing_id)
    revision = working_copy(listing)
    apply_data(revision, data)
    back_to_draft(listing)
    db.session.flush()
    return listing


def submit_listing(actor, listing_id):
    """Send the working copy for review. Raises NotFound, PermissionDenied, InvalidState."""
    require_admitted(actor)
    listing = own_listing(actor, listing_id)
    revision = listing.working_revision
    if revision is None or revision.state not in (RevisionState.DRAFT, RevisionState.REJECTED):
        raise InvalidState(N_("There are no changes to submit."))
    revision.state, revision.submitted_at, revision.review_reason = RevisionState.PENDING, utcnow(), None
    if listing.published_revision_id is None:
        listing.status, listing.status_reason = ListingStatus.PENDING, None
    listing.updated_at = utcnow()
    record_change(listing, OutboxAction.UPDATE)
    db.session.flush()
    return listing


def unpublish_listing(actor, listing_id):
    """Take a published listing off the shelf. Raises NotFound, PermissionDenied, InvalidState."""
    listing = own_listing(actor, listing_id)
    if listing.status != ListingStatus.PUBLISHED:
        raise InvalidState(N_("Only a published listing can be unpublished."))
    listing.status, listing.updated_at = ListingStatus.UNPUBLISHED, utcnow()
    record_change(listing, OutboxAction.UNPUBLISH)
    db.session.flush()
    return listing


def republish_listing(actor, listing_id):
    """Put an unpublished listing back with its approved content. Raises NotFound,
    PermissionDenied, InvalidState."""
    require_admitted(actor)
    listing = own_listing(actor, listing_id)
    if listing.status != ListingStatus.UNPUBLISHED or listing.published_revision_id is None:
        raise InvalidState(N_("Only an unpublished listing with approved content can be published again."))
    listing.status, listing.status_reason, listing.updated_at = ListingStatus.PUBLISHED, None, utcnow()
    record_change(listing, OutboxAction.PUBLISH)
    db.session.flush()
    return listing


def delete_listing(actor, listing_id):
    """Remove a listing from the provider's list and the shelf (kept for orders that cite it)."""
    listing = own_listing(actor, listing_id)
    listing.status, listing.updated_at = ListingStatus.DELETED, utcnow()
    record_change(listing, OutboxAction.DELETE)
    db.session.flush()
    return listing


def add_image(actor, listing_id, upload):
    """Attach an image to the working copy. Raises NotFound, PermissionDenied, ValidationFailed."""
    listing = own_listing(actor, listing_id)
    revision = working_copy(listing)
    if len(revision.images) >= MAX_IMAGES:
        raise ValidationFailed(N_("At most six images per listing."), field="image")
    stored = uploads.store_image(listing.provider, upload, "listing", field="image")
    position = max((image.position for image in revision.images), default=-1) + 1
    revision.images.append(ListingImage(file_id=stored.id, position=position))
    back_to_draft_after_change(listing, revision)
    return listing


def remove_image(actor, listing_id, image_id):
    """Detach an image from the working copy. Raises NotFound, PermissionDenied."""
    listing = own_listing(actor, listing_id)
    revision = working_copy(listing)
    source = db.session.get(ListingImage, image_id)
    if source is None:
        raise NotFound(N_("This image does not exist."))
    match = [image for image in revision.images if image.id == image_id or image.file_id == source.file_id]
    if not match:
        raise NotFound(N_("This image does not exist."))
    revision.images.remove(match[0])
    back_to_draft_after_change(listing, revision)
    return listing


def back_to_draft_after_change(listing, revision):
    revision.state, revision.review_reason = RevisionState.DRAFT, None
    back_to_draft(listing)
    db.session.flush()


def my_listings_query(actor, status=None):
    organisation = provider_organisation(actor)
    query = (select(Listing).where(Listing.provider_id == organisation.id, Listing.status != ListingStatus.DELETED)
             .options(*(selectinload(revision).selectinload(ListingRevision.packages)
                        for revision in (Listing.published_revision, Listing.working_revision)))
             .order_by(Listing.updated_at.desc(), Listing.id.desc()))
    return query.where(Listing.status == status) if status else query
