"""The catalogue: taxonomy, provider profiles and admission (入库), listings, their reviewed
revisions, packages, images, uploaded files and the search outbox."""
import enum

from flask_babel import get_locale
from sqlalchemy import BigInteger, Boolean, CheckConstraint, Column, Date, ForeignKey, Index, Integer, String, Table, Text, \
    UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.auth.models import enum_values
from marketplace.database import UTCDateTime, current_txid, utcnow
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.traditional import TRADITIONAL_LOCALE, display_traditional


class Category(db.Model):
    """A service category (parent_id NULL) or one of its sub-categories. Seeded by the migration."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    name_zh: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)

    parent = relationship("Category", remote_side=[id], back_populates="children")
    children = relationship("Category", back_populates="parent", order_by="Category.position")

    @property
    def name(self):
        locale = str(get_locale() or "zh")
        if locale == TRADITIONAL_LOCALE:
            return display_traditional(self.name_zh)
        return self.name_zh if locale.startswith("zh") else self.name_en

    @property
    def top(self):
        return self.parent or self


class CategoryListingCount(db.Model):
    """How many published listings are in a category (the category of each one's published
    revision; sub-categories only: pages add them up to their top category). Kept by database
    triggers on listings and categories (migration b8c9d0e1f023), so every way a listing is
    published, replaced, unpublished or deleted — the services, the bulk importer — counts; the
    home and category pages read a row per category instead of counting every listing (issue 18:
    100 ms at 100,000 listings). A later SQLite batch migration that rebuilds `listings` drops
    the triggers and must create them again (tests/catalog/test_category_counts.py notices)."""

    __tablename__ = "category_listing_counts"
    __table_args__ = (CheckConstraint("listings >= 0", name="listings_not_negative"),)

    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True)
    listings: Mapped[int] = mapped_column(default=0)


class AdmissionStatus(enum.StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    ADMITTED = "admitted"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


ADMISSION_LABELS = {
    AdmissionStatus.DRAFT: N_("Not yet applied"), AdmissionStatus.PENDING: N_("Admission pending"),
    AdmissionStatus.ADMITTED: N_("Admitted"), AdmissionStatus.REJECTED: N_("Admission rejected"),
    AdmissionStatus.SUSPENDED: N_("Suspended"),
}

provider_categories = Table(
    "provider_categories", db.metadata,
    Column("profile_id", ForeignKey("provider_profiles.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id"), primary_key=True),
)


class ProviderProfile(db.Model):
    """A provider organisation's public profile and its admission to the provider register."""

    __tablename__ = "provider_profiles"
    __table_args__ = (CheckConstraint(f"status IN ({enum_values(AdmissionStatus)})", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    city: Mapped[str] = mapped_column(String(50), default="")
    website: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default=AdmissionStatus.DRAFT, index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_by_import: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[object | None] = mapped_column(UTCDateTime)
    admitted_at: Mapped[object | None] = mapped_column(UTCDateTime)
    logo_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))

    organisation = relationship("Organisation")
    logo = relationship("StoredFile")
    categories = relationship("Category", secondary=provider_categories, order_by="Category.position")
    qualifications = relationship("Qualification", back_populates="profile", order_by="Qualification.id",
                                  cascade="all, delete-orphan")
    events = relationship("AdmissionEvent", back_populates="profile", order_by="AdmissionEvent.id")

    @property
    def is_admitted(self):
        return self.status == AdmissionStatus.ADMITTED

    @property
    def status_label(self):
        return ADMISSION_LABELS[AdmissionStatus(self.status)]


class AdmissionEvent(db.Model):
    """Append-only record of applications and admin decisions on a provider's admission."""

    __tablename__ = "admission_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("provider_profiles.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    profile = relationship("ProviderProfile", back_populates="events")
    actor = relationship("User")


QUALIFICATION_KINDS = {
    "cnas": N_("CNAS laboratory accreditation"),
    "cma": N_("CMA inspection body qualification"),
    "patent_agency": N_("Patent agency practice licence"),
    "trademark_agency": N_("Trademark agency filing"),
    "iso9001": N_("ISO 9001 certificate"),
    "iso27001": N_("ISO/IEC 27001 certificate"),
    "tech_broker": N_("Technology broker certificate"),
    "other": N_("Other qualification"),
}


class Qualification(db.Model):
    __tablename__ = "qualifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("provider_profiles.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    number: Mapped[str] = mapped_column(String(80))
    issuer: Mapped[str] = mapped_column(String(100))
    valid_until: Mapped[object] = mapped_column(Date)
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    profile = relationship("ProviderProfile", back_populates="qualifications")
    file = relationship("StoredFile")

    @property
    def kind_label(self):
        return QUALIFICATION_KINDS.get(self.kind, QUALIFICATION_KINDS["other"])


class StoredFile(db.Model):
    """An upload checked by content, kept under UPLOAD_DIR as `<token><ext>`; never by user name."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    original_name: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(40))
    stored_name: Mapped[str] = mapped_column(String(60))
    thumb_name: Mapped[str | None] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    # Images shown on pages: the stored size and the widths of the WebP and JPEG variants made at
    # upload (`<token>_<width>.webp|.jpg`, marketplace.catalog.images); NULL for older uploads.
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    variant_widths: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class ListingStatus(enum.StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"
    REJECTED = "rejected"
    DELETED = "deleted"


LISTING_LABELS = {
    ListingStatus.DRAFT: N_("Draft"), ListingStatus.PENDING: N_("Pending review"),
    ListingStatus.PUBLISHED: N_("Published"), ListingStatus.UNPUBLISHED: N_("Unpublished"),
    ListingStatus.REJECTED: N_("Rejected"), ListingStatus.DELETED: N_("Deleted"),
}


class RevisionState(enum.StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Listing(db.Model):
    """A service on the shelf. Content lives in revisions: the public sees `published_revision`;
    the provider edits `working_revision`, which replaces it only once approved."""

    __tablename__ = "listings"
    __table_args__ = (
        CheckConstraint(f"status IN ({enum_values(ListingStatus)})", name="status"),
        UniqueConstraint("provider_id", "external_id", name="uq_listings_provider_external_id"),
        # Newest first, overall and per provider: the home and category pages walk the first,
        # the provider page the second, and stop after a page (no sort of every listing).
        Index("ix_listings_status_published", "status", "published_at", "id"),
        Index("ix_listings_provider_status_published", "provider_id", "status", "published_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default=ListingStatus.DRAFT, index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    published_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("listing_revisions.id", use_alter=True), index=True)
    working_revision_id: Mapped[int | None] = mapped_column(ForeignKey("listing_revisions.id", use_alter=True))
    import_digest: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[object | None] = mapped_column(UTCDateTime, index=True)

    provider = relationship("Organisation")
    published_revision = relationship("ListingRevision", foreign_keys=[published_revision_id], post_update=True)
    working_revision = relationship("ListingRevision", foreign_keys=[working_revision_id], post_update=True)

    @property
    def status_label(self):
        return LISTING_LABELS[ListingStatus(self.status)]

    @property
    def current(self):
        """The revision the provider is looking at: the working copy if any, else the published one."""
        return self.working_revision or self.published_revision


class ListingRevision(db.Model):
    """One version of a listing's content. Approved revisions are never edited again."""

    __tablename__ = "listing_revisions"
    __table_args__ = (
        CheckConstraint(f"state IN ({enum_values(RevisionState)})", name="state"),
        Index("ix_listing_revisions_category_price", "category_id", "price_from_fen"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default=RevisionState.DRAFT, index=True)
    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    tags: Mapped[str] = mapped_column(String(300), default="")
    city: Mapped[str] = mapped_column(String(50), default="")
    service_area: Mapped[str] = mapped_column(String(100), default="")
    delivery_time: Mapped[str] = mapped_column(String(100), default="")
    voucher_eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    price_on_request: Mapped[bool] = mapped_column(Boolean, default=False)
    price_from_fen: Mapped[int | None] = mapped_column(BigInteger)
    review_reason: Mapped[str | None] = mapped_column(Text)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[object | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[object | None] = mapped_column(UTCDateTime)

    listing = relationship("Listing", foreign_keys=[listing_id])
    category = relationship("Category")
    packages = relationship("ListingPackage", order_by="ListingPackage.position", cascade="all, delete-orphan")
    images = relationship("ListingImage", order_by="ListingImage.position", cascade="all, delete-orphan")

    @property
    def tag_list(self):
        return [tag for tag in self.tags.split(";") if tag]


class ListingPackage(db.Model):
    __tablename__ = "listing_packages"
    __table_args__ = (CheckConstraint("price_fen >= 0", name="price_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("listing_revisions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(60))
    price_fen: Mapped[int] = mapped_column(BigInteger)
    delivery_days: Mapped[int | None] = mapped_column(Integer)
    includes: Mapped[str] = mapped_column(Text, default="")


class ListingImage(db.Model):
    __tablename__ = "listing_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("listing_revisions.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)

    file = relationship("StoredFile")


class OutboxAction(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    PUBLISH = "publish"
    UNPUBLISH = "unpublish"
    DELETE = "delete"


class SearchOutbox(db.Model):
    """Written in the same transaction as every listing change: a log that each host's indexer
    reads from its own position, kept with its index (marketplace/search/outbox_log.py), and
    that is pruned once every live host has passed a row. The listing is the truth."""

    __tablename__ = "search_outbox"
    __table_args__ = (
        CheckConstraint(f"action IN ({enum_values(OutboxAction)})", name="action"),
        Index("ix_search_outbox_log", "txid", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    txid: Mapped[int] = mapped_column(BigInteger, default=current_txid())
    listing_id: Mapped[int] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
