"""One worker at a time per job: with several workers (on one host or many) each pass of a job
runs under a lock, so two workers never list and handle the same due items side by side. Items
stay safe without it (handlers re-read and lock their item), but a second worker would only
repeat the first's reads and fail its rivals' claims; with the lock it skips the job this time.

PostgreSQL: a session advisory lock (`pg_try_advisory_lock`) per job, on a connection of its own
held for the pass; it goes with the connection if the worker dies. SQLite (one host): an
exclusive file lock per job beside the database file."""
import fcntl
import hashlib
import os
import re
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import text
from sqlalchemy.engine import make_url

from marketplace.extensions import db


def advisory_key(name):
    """A stable signed 64-bit key for the job's name (the same on every host)."""
    digest = hashlib.sha256(f"marketplace job:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def job_lock(name, locked=True):
    """Yields True when this process may run the job now, False when another holds it."""
    if not locked:
        yield True
    elif db.engine.dialect.name == "postgresql":
        with advisory_lock(advisory_key(name)) as held:
            yield held
    else:
        with file_lock(lock_path(name)) as held:
            yield held


@contextmanager
def advisory_lock(key):
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        held = connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
        try:
            yield held
        finally:
            if held:
                connection.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": key})


def lock_path(name):
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    database = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).database
    if database and database != ":memory:":
        return f"{os.path.abspath(database)}.job-{slug}.lock"
    return os.path.join(current_app.instance_path, f"job-{slug}.lock")


@contextmanager
def file_lock(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
