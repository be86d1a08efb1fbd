"""The one indexer of a host: applies the catalogue's search outbox in batches, rebuilds the
index beside the live one and swaps it in, and repairs a missing or corrupt index.

Only this module writes the index, always under an exclusive file lock beside it; web requests
only read. The outbox contract is in marketplace/catalog/outbox.py."""
import fcntl
import json
import logging
import os
import time
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import func, select, update

from marketplace.catalog.models import SearchOutbox
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.search import documents
from marketplace.search.backend import IndexUnavailable, WhooshBackend

log = logging.getLogger(__name__)
BATCH_SIZE = 500


class IndexerBusy(Exception):
    """Another process holds the indexer lock."""


def backend():
    config = current_app.config
    return WhooshBackend(config["SEARCH_INDEX_DIR"], warm_min_docs=config["SEARCH_WARM_MIN_DOCS"])


@contextmanager
def indexer_lock(blocking=True):
    """Exclusive per-host lock for writing the index (a second writer would raise LockError)."""
    path = os.path.abspath(current_app.config["SEARCH_INDEX_DIR"]) + ".lock"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError as error:
            raise IndexerBusy() from error
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def status_path():
    return os.path.abspath(current_app.config["SEARCH_INDEX_DIR"]) + ".status.json"


def read_status():
    try:
        with open(status_path(), encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


def write_status(**changes):
    status = {**read_status(), **changes}
    temporary = status_path() + ".tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(status, handle)
    os.replace(temporary, status_path())


def pending_count():
    return db.session.scalar(select(func.count()).select_from(SearchOutbox).where(SearchOutbox.processed_at.is_(None)))


def rebuild(progress=None, reason=None):
    """Build a complete new index from the database and swap it in. Outbox rows written while
    it runs stay pending (sync waits on the lock) and are applied afterwards. Returns the count."""
    with indexer_lock():
        return _rebuild(progress, reason)


def _rebuild(progress, reason):
    started = time.monotonic()
    total = documents.count_indexable()
    if progress:
        progress.total = total
    count = backend().rebuild(documents.all_documents(), progress=progress)
    write_status(last_rebuild_at=utcnow().isoformat(), last_rebuild_seconds=round(time.monotonic() - started, 2),
                 last_rebuild_reason=reason or "requested", documents=count)
    log.info("search index rebuilt: %d listings in %.1f s", count, time.monotonic() - started)
    return count


def ensure_index():
    """Rebuild the index if it is missing or cannot be read (the caller holds the lock).
    Returns the reason when it rebuilt, else None."""
    try:
        backend().doc_count()
        return None
    except IndexUnavailable as error:
        reason = str(error)
    log.warning("search index unusable, rebuilding from the database: %s", reason)
    write_status(auto_rebuilt_at=utcnow().isoformat(), auto_rebuild_reason=reason)
    _rebuild(None, reason)
    return reason


def sync(batch_size=BATCH_SIZE, max_batches=None, blocking=False):
    """Apply pending outbox rows in batches (id order); returns how many rows were applied.
    Returns 0 without waiting when another process is indexing, unless blocking."""
    try:
        with indexer_lock(blocking=blocking):
            ensure_index()
            applied = batches = 0
            while max_batches is None or batches < max_batches:
                done = apply_batch(batch_size)
                if not done:
                    break
                applied, batches = applied + done, batches + 1
            if applied:
                write_status(last_sync_at=utcnow().isoformat())
            return applied
    except IndexerBusy:
        return 0


def apply_batch(batch_size):
    rows = db.session.execute(select(SearchOutbox.id, SearchOutbox.listing_id)
                              .where(SearchOutbox.processed_at.is_(None))
                              .order_by(SearchOutbox.id).limit(batch_size)).all()
    if not rows:
        db.session.rollback()
        return 0
    listing_ids = list(dict.fromkeys(listing_id for _, listing_id in rows))
    docs, gone = documents.documents_for(listing_ids)
    backend().apply(docs, gone)
    # Marked after the index commit: a crash in between applies the rows again, harmlessly.
    db.session.execute(update(SearchOutbox).where(SearchOutbox.id.in_([row_id for row_id, _ in rows]))
                       .values(processed_at=utcnow()))
    db.session.commit()
    return len(rows)


def index_status():
    """What the admin pages show: health, document count, pending outbox rows, last runs."""
    status = {"healthy": True, "documents": None, "error": None, **read_status(),
              "pending": pending_count(), "path": current_app.config["SEARCH_INDEX_DIR"]}
    try:
        status["documents"] = backend().doc_count()
    except IndexUnavailable as error:
        status["healthy"], status["error"] = False, str(error)
    return status
