"""The one indexer of a host: follows the catalogue's search outbox from the position stored with
its index, rebuilds the index beside the live one from one database snapshot and swaps it in,
and repairs a missing, corrupt or position-less index.

Only this module writes the index, always under an exclusive file lock beside it; web requests
only read. Every host has its own index (a replica) and position: search/outbox_log.py."""
import fcntl
import json
import logging
import os
import socket
import time
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app
from sqlalchemy.orm import Session

from marketplace.database import snapshot_connection, utcnow
from marketplace.extensions import db
from marketplace.ledger import run_in_transaction
from marketplace.search import documents, outbox_log
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


def replica_name():
    """This host's index replica: SEARCH_REPLICA, or the host name and the index directory."""
    config = current_app.config
    return config.get("SEARCH_REPLICA") or f"{socket.gethostname()}:{os.path.abspath(config['SEARCH_INDEX_DIR'])}"


def rebuild(progress=None, reason=None):
    """Build a complete new index from one database snapshot and swap it in, together with the
    outbox position that snapshot covers: rows up to it are never applied again, rows written
    while it runs are applied by the next sync. Returns the count. Commits the session first."""
    with indexer_lock():
        return _rebuild(progress, reason)


def _rebuild(progress, reason):
    started, name = time.monotonic(), replica_name()
    db.session.commit()  # the snapshot below sees what the caller wrote
    run_in_transaction(db.session, lambda: outbox_log.report(db.session, name, outbox_log.START))  # hold pruning back
    with snapshot_connection(db.engine) as connection, connection.begin(), Session(bind=connection) as snapshot:
        position = outbox_log.snapshot_position(snapshot)
        if progress:
            progress.total = documents.count_indexable(snapshot)
        count = backend().rebuild(documents.all_documents(snapshot), progress=progress, position=position)
    run_in_transaction(db.session, lambda: outbox_log.report(db.session, name, position, documents=count))
    seconds = round(time.monotonic() - started, 2)
    write_status(last_rebuild_at=utcnow().isoformat(), last_rebuild_seconds=seconds,
                 last_rebuild_reason=reason or "requested", documents=count)
    log.info("search index rebuilt: %d listings in %.1f s, outbox position %s", count, seconds, position)
    return count


def unusable_reason(registered=True):
    """Why this host's index must be rebuilt before it can follow the outbox, or None. With
    `registered`, also marks the replica alive and requires that pruning has not dropped it."""
    try:
        position = backend().position()
    except IndexUnavailable as error:
        return str(error)
    if position is None:
        return "the index records no outbox position"
    if registered and not run_in_transaction(db.session, lambda: outbox_log.heartbeat(db.session, replica_name())):
        return "this replica was not registered (new, or dropped after being away): outbox rows may be gone"
    return None


def ensure_index():
    """Rebuild the index if it is missing, unreadable or cannot follow the outbox (the caller
    holds the lock). Returns the reason when it rebuilt, else None."""
    reason = unusable_reason()
    if reason is None:
        return None
    log.warning("search index unusable, rebuilding from the database: %s", reason)
    write_status(auto_rebuilt_at=utcnow().isoformat(), auto_rebuild_reason=reason)
    _rebuild(None, reason)
    return reason


def sync(batch_size=BATCH_SIZE, max_batches=None, blocking=False, repair=True):
    """Apply the outbox rows after this index's position, in batches; returns how many rows
    were applied. Returns 0 without waiting when another process is indexing, unless blocking.
    Without `repair`, an index that needs a rebuild is left to the worker (0 is returned)."""
    try:
        with indexer_lock(blocking=blocking):
            if repair:
                ensure_index()
            elif unusable_reason(registered=False):
                log.warning("search index needs a rebuild; the worker or `flask search sync` does it")
                return 0
            applied = batches = 0
            position = backend().position()
            while max_batches is None or batches < max_batches:
                done, position = apply_batch(batch_size, position)
                if not done:
                    break
                applied, batches = applied + done, batches + 1
            if applied:
                run_in_transaction(db.session, lambda: outbox_log.report(db.session, replica_name(), position))
                write_status(last_sync_at=utcnow().isoformat())
            return applied
    except IndexerBusy:
        return 0


def apply_batch(batch_size, position):
    """Apply the next rows after `position`; returns (rows applied, the new position)."""
    rows = outbox_log.next_rows(db.session, position, batch_size)
    if rows:
        listing_ids = list(dict.fromkeys(row.listing_id for row in rows))
        docs, gone = documents.documents_for(listing_ids)
    db.session.rollback()  # no database lock is held while the index commits
    if not rows:
        return 0, position
    position = outbox_log.Position(rows[-1].txid, rows[-1].id)
    backend().apply(docs, gone, position)  # the position is committed with the index
    return len(rows), position


def lag():
    """Outbox rows this host's index has not applied yet (None when it records no position)."""
    try:
        position = backend().position()
    except IndexUnavailable:
        return None
    return None if position is None else outbox_log.lag(db.session, position)


def prune_outbox(dead_after_days=7):
    """Delete outbox rows every live replica has applied (a replica not seen for
    `dead_after_days` counts as gone: it rebuilds when it comes back)."""
    return outbox_log.prune(db.session, utcnow() - timedelta(days=dead_after_days))


def index_status():
    """What the admin pages show: health, document count, pending outbox rows, last runs."""
    status = {"healthy": True, "documents": None, "error": None, **read_status(), "pending": lag(),
              "path": current_app.config["SEARCH_INDEX_DIR"], "replica": replica_name(),
              "replicas": outbox_log.replicas(db.session)}
    try:
        status["documents"] = backend().doc_count()
    except IndexUnavailable as error:
        status["healthy"], status["error"] = False, str(error)
    return status
