"""Admin review of listing revisions, with a field-by-field diff against the published version."""
import difflib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.auth.services import require_operator
from marketplace.catalog.models import Listing, ListingRevision, ListingStatus, OutboxAction, RevisionState
from marketplace.catalog.outbox import record_change
from marketplace.catalog.providers import notify, profile_of, require_reason
from marketplace.database import utcnow
from marketplace.errors import InvalidState, NotFound
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.money import format_fen


def pending_revisions_query():
    return (select(ListingRevision).where(ListingRevision.state == RevisionState.PENDING)
            .options(selectinload(ListingRevision.listing).selectinload(Listing.provider))
            .order_by(ListingRevision.submitted_at, ListingRevision.id))


def get_pending_revision(revision_id):
    revision = db.session.get(ListingRevision, revision_id)
    if revision is None:
        raise NotFound(N_("This listing does not exist."))
    return revision


def approve_revision(actor, revision_id):
    """Publish a pending revision, replacing the published one. Raises PermissionDenied, NotFound, InvalidState."""
    require_operator(actor)
    revision = get_pending_revision(revision_id)
    if revision.state != RevisionState.PENDING:
        raise InvalidState(N_("This change has already been reviewed."))
    listing = revision.listing
    profile = profile_of(listing.provider)
    if profile is None or not profile.is_admitted:
        raise InvalidState(N_("The provider is not admitted, so its listings cannot be published."))
    revision.state, revision.reviewer_id, revision.decided_at = RevisionState.APPROVED, actor.id, utcnow()
    listing.published_revision, listing.working_revision = revision, None
    listing.status, listing.status_reason = ListingStatus.PUBLISHED, None
    listing.published_at = listing.published_at or utcnow()
    listing.updated_at = utcnow()
    record_change(listing, OutboxAction.PUBLISH)
    tell_provider(listing, N_("Listing approved"), N_("Your listing “%(title)s” is approved and published."),
                  title=revision.title)
    db.session.flush()
    return revision


def reject_revision(actor, revision_id, reason):
    """Send a pending revision back with a reason; a published version stays published.
    Raises PermissionDenied, NotFound, InvalidState, ValidationFailed."""
    require_operator(actor)
    revision = get_pending_revision(revision_id)
    if revision.state != RevisionState.PENDING:
        raise InvalidState(N_("This change has already been reviewed."))
    reason = require_reason(reason, N_("Give a reason so the provider knows what to fix."))
    revision.state, revision.review_reason = RevisionState.REJECTED, reason
    revision.reviewer_id, revision.decided_at = actor.id, utcnow()
    listing = revision.listing
    if listing.published_revision_id is None:
        listing.status, listing.status_reason = ListingStatus.REJECTED, reason
    listing.updated_at = utcnow()
    record_change(listing, OutboxAction.UPDATE)
    tell_provider(listing, N_("Listing change rejected"), N_("Your listing “%(title)s” was not approved: %(reason)s"),
                  title=revision.title, reason=reason)
    db.session.flush()
    return revision


def admin_unpublish(actor, listing_id, reason):
    """Take a published listing down (e.g. a complaint). Raises PermissionDenied, NotFound, InvalidState."""
    require_operator(actor)
    listing = db.session.get(Listing, listing_id)
    if listing is None:
        raise NotFound(N_("This listing does not exist."))
    if listing.status != ListingStatus.PUBLISHED:
        raise InvalidState(N_("Only a published listing can be unpublished."))
    listing.status = ListingStatus.UNPUBLISHED
    listing.status_reason = require_reason(reason, N_("Give the reason for taking the listing down."))
    record_change(listing, OutboxAction.UNPUBLISH)
    db.session.flush()
    return listing


def tell_provider(listing, subject, body, **params):
    notify([user.id for user in listing.provider.users], "listing_review", subject, body, **params)


@dataclass
class FieldChange:
    label: str
    old: str
    new: str
    lines: list

    @property
    def changed(self):
        return self.old != self.new


def revision_fields(revision):
    """(label msgid, text) for every field shown in the diff."""
    if revision is None:
        return []
    packages = "\n".join(f"{p.name} · {format_fen(p.price_fen)}" + (f" · {p.delivery_days}d" if p.delivery_days else "")
                         + (f"\n  {p.includes}" if p.includes else "") for p in revision.packages)
    return [
        (N_("Title"), revision.title), (N_("Category"), revision.category.slug),
        (N_("Summary"), revision.summary), (N_("Service description"), revision.description),
        (N_("Tags"), revision.tags.replace(";", "; ")), (N_("City"), revision.city),
        (N_("Service area"), revision.service_area), (N_("Delivery time"), revision.delivery_time),
        (N_("Voucher eligible"), "✓" if revision.voucher_eligible else "✗"),
        (N_("Price on request"), "✓" if revision.price_on_request else "✗"),
        (N_("Packages"), packages), (N_("Images"), ", ".join(i.file.original_name for i in revision.images)),
    ]


def revision_diff(revision):
    """FieldChanges between the published version (if any) and `revision`."""
    published = revision.listing.published_revision
    old_fields = dict(revision_fields(published if published is not revision else None))
    changes = []
    for label, new in revision_fields(revision):
        old = old_fields.get(label, "")
        lines = list(difflib.ndiff(old.splitlines(), new.splitlines())) if old != new else []
        changes.append(FieldChange(label, old, new, [line for line in lines if not line.startswith("?")]))
    return changes
