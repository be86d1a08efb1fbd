"""Copying the database out and in, per backend.

PostgreSQL: `pg_dump -Fc` inside the snapshot the head was read in (`pg_export_snapshot`), so the
manifest's head is the dump's; restored by `pg_restore` → `psql --single-transaction`: the old
schema is dropped, the dump loaded and the checks run in one transaction (all or nothing). A
scratch database for `verify` is created beside the original and dropped afterwards.
SQLite: the online backup API (a consistent copy while the app runs); restored by writing a new
file beside the target and renaming it over it."""
import os
import shutil
import sqlite3
import subprocess
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from marketplace.backup.checkpoints import read_head


class RestoreRefused(Exception):
    pass


@dataclass(frozen=True)
class Facts:
    revision: str | None
    head: object  # checkpoints.Head


def read_facts(connection):
    revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return Facts(revision, read_head(connection))


def kind_of(url):
    return make_url(url).get_backend_name()


# -- PostgreSQL --------------------------------------------------------------------------------
def libpq(url):
    """(connection URI for the PostgreSQL tools, environment with the password)."""
    url = make_url(url)
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), environment


def run(command, environment, **kwargs):
    done = subprocess.run(command, env=environment, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")
    return done


def dump_postgresql(engine, path):
    uri, environment = libpq(engine.url.render_as_string(hide_password=False))
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with connection.begin():
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar()
            facts = read_facts(connection)
            # The snapshot lives while this transaction is open: pg_dump reads exactly what we read.
            run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                 f"--file={path}", uri], environment)
    return facts


def postgresql_is_empty(engine):
    with engine.connect() as connection:
        return not connection.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar()


def restore_postgresql(url, dump_path, final_sql=""):
    """Replace the database's public schema with the dump, then run `final_sql` (checks that
    raise to abort), all in one transaction."""
    uri, environment = libpq(url)
    to_sql = subprocess.Popen(["pg_restore", "--no-owner", "--no-privileges", "--file=-", dump_path],
                              env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    load = subprocess.Popen(["psql", "--quiet", "--no-psqlrc", "--single-transaction", "-v", "ON_ERROR_STOP=1",
                             "--dbname", uri, "--file=-"], env=environment, stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    errors = {}

    def feed():
        try:
            load.stdin.write(b"DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n")
            shutil.copyfileobj(to_sql.stdout, load.stdin, 1 << 20)
            load.stdin.write(final_sql.encode() + b"\n")
        except BrokenPipeError:
            pass  # psql stopped at an error: its message says which
        finally:
            load.stdin.close()

    def drain(name, stream):
        errors[name] = stream.read().decode(errors="replace")

    threads = [threading.Thread(target=feed), threading.Thread(target=drain, args=("pg_restore", to_sql.stderr)),
               threading.Thread(target=drain, args=("psql", load.stderr))]
    with to_sql, load:  # waits for both and closes their pipes
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if to_sql.returncode or load.returncode:
        message = (errors.get("psql") or errors.get("pg_restore") or "").strip()
        raise RestoreRefused(f"the restore was rolled back: {message[-2000:]}")


@contextmanager
def scratch_postgresql(url, dump_path):
    """A temporary database beside `url` with the dump restored; yields its engine, then drops it."""
    base = make_url(url)
    name = f"{base.database}_verify_{uuid.uuid4().hex[:8]}"[:63]
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    scratch_url = base.set(database=name).render_as_string(hide_password=False)
    engine = create_engine(scratch_url)
    try:
        uri, environment = libpq(scratch_url)
        run(["pg_restore", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
             f"--dbname={uri}", dump_path], environment)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- SQLite ------------------------------------------------------------------------------------
def sqlite_path(url):
    path = make_url(url).database
    if not path or path == ":memory:":
        raise RestoreRefused("an in-memory SQLite database cannot be backed up or restored")
    return path


def dump_sqlite(url, path):
    source = sqlite3.connect(sqlite_path(url), timeout=30)
    copy = sqlite3.connect(path)
    try:
        source.backup(copy)  # one consistent copy, page by page, while writers wait their turn
    finally:
        copy.close()
        source.close()
    return facts_of_sqlite(path)


def facts_of_sqlite(path):
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            return read_facts(connection)
    finally:
        engine.dispose()


def sqlite_is_empty(url):
    path = sqlite_path(url)
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return True
    connection = sqlite3.connect(path)
    try:
        return not connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    finally:
        connection.close()


def restore_sqlite(url, copy_path, check):
    """Put the copy in place of the target file; `check(engine)` runs on it first (raises to refuse)."""
    target = sqlite_path(url)
    temporary = f"{target}.restore-{uuid.uuid4().hex[:8]}"
    os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
    shutil.copyfile(copy_path, temporary)
    try:
        engine = create_engine(f"sqlite:///{temporary}")
        try:
            check(engine)
        finally:
            engine.dispose()
        for suffix in ("-wal", "-shm"):  # the old file's journal must not be applied to the new one
            if os.path.exists(target + suffix):
                os.remove(target + suffix)
        os.replace(temporary, target)
    finally:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(temporary + suffix):
                os.remove(temporary + suffix)
