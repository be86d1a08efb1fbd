"""The search outbox: one row per listing change, written in the same transaction as the change.

Contract for each host's indexer: read the rows after its own position in log order (the writing
transaction's id, then the row id: marketplace/search/outbox_log.py); for each, re-read the
listing and index its published revision if it may be found, otherwise remove it from the index;
commit the index together with the new position. `action` says what happened; the listing row is
the truth.
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
