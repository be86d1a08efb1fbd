"""What `/readyz` checks before a load balancer sends this host traffic: the database answers,
Redis answers (when REDIS_URL is set), this host's search index can be read (and is warmed,
with SEARCH_WARM_UP) and the upload
folder can be written (or, with STORAGE_URL, the bucket answers). Each check returns None when
fine, else what is wrong."""
from flask import current_app
from sqlalchemy import text

from marketplace.extensions import db


def database():
    try:
        db.session.execute(text("SELECT 1"))
    finally:
        db.session.rollback()


def redis():
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "skipped"
    import redis as client

    connection = client.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        connection.ping()
    finally:
        connection.close()


def search_index():
    """The index can be read and, with SEARCH_WARM_UP, this process has read ahead what the
    first searches need (search.services.warm_up)."""
    from marketplace.search.indexer import backend
    from marketplace.search.services import warm_up_pending

    backend().doc_count()
    return warm_up_pending()


def uploads():
    """The upload folder can be written, or the bucket of STORAGE_URL answers."""
    from marketplace.storage import storage

    storage().check()


CHECKS = {"database": database, "redis": redis, "search_index": search_index, "uploads": uploads}


def readiness():
    """(ready, {check: "ok" | "skipped" | the error})."""
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check() or "ok"
        except Exception as error:  # noqa: BLE001 — any failure makes the host not ready; say which
            current_app.logger.warning("readiness check %s failed: %s", name, error)
            results[name] = f"{type(error).__name__}: {error}"[:300]
    return all(value in ("ok", "skipped") for value in results.values()), results
