"""The search outbox: one row per listing change, written in the same transaction as the change.

Contract for the indexer (issue 6): process rows in id order; for each, re-read the listing and
index its published revision if `status == 'published'`, otherwise remove it from the index; then
set `processed_at`. `action` says what happened but the listing row is the truth.
"""
from marketplace.catalog.models import OutboxAction, SearchOutbox
from marketplace.extensions import db


def record_change(listing, action: OutboxAction):
    if listing.id is None:
        db.session.flush()
    db.session.add(SearchOutbox(listing_id=listing.id, action=action))


def outbox_rows(listing_ids, action: OutboxAction):
    """Plain dicts for a bulk insert (the CSV import)."""
    return [{"listing_id": listing_id, "action": action} for listing_id in listing_ids]
