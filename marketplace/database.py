"""Engine behaviour per backend and column types shared by every feature, and the app's clock."""
import functools
from datetime import datetime, timezone

from sqlalchemy import BigInteger, DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

# Execution option for a read-only connection that needs one consistent snapshot without the
# write lock (SQLite: a deferred BEGIN; WAL gives the reader its snapshot at the first read).
SNAPSHOT_READ = "snapshot_read"


class SimulatedClock:
    """The marketplace simulation (`flask simulate`) runs the real services over simulated days:
    while `now` is set, utcnow() returns it. Nothing else sets it; serving never does."""

    now = None


def built_once(builder):
    """A statement builder run once per process, its statement reused: SQLAlchemy statements are
    immutable, and building one with aliases and subqueries costs about a millisecond, several
    times running it (issue 18: the admin dashboard built a dozen per request). Only for
    statements without per-call values (pass those as bound parameters)."""
    return functools.cache(builder)


def utcnow():
    """The current instant (aware, UTC): every rule, deadline and row timestamp asks this."""
    return SimulatedClock.now or datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC on every backend and always returns an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)


def configure_sqlite(engine: Engine):
    """WAL, a busy timeout and BEGIN IMMEDIATE, so concurrent writers queue instead of failing.

    pysqlite's own transaction handling is switched off (isolation_level=None) and SQLAlchemy's
    begin event emits BEGIN IMMEDIATE, taking the write lock at the start of each transaction.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        deferred = connection.get_execution_options().get(SNAPSHOT_READ)
        connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


def snapshot_connection(engine: Engine):
    """A connection whose next transaction reads one consistent snapshot of the database and
    writes nothing: REPEATABLE READ, read-only on PostgreSQL; a deferred BEGIN on SQLite (WAL),
    so writers are not locked out while a long read runs."""
    connection = engine.connect()
    if engine.dialect.name == "postgresql":
        return connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    return connection.execution_options(**{SNAPSHOT_READ: True})


class current_txid(FunctionElement):
    """The writing transaction's id as a number: ordering rows by it (then by id) is an order in
    which no row can still appear behind one already read, once every transaction below the
    reader's horizon has ended (see search/outbox_log.py). SQLite runs one writer at a time, so
    ids alone are that order there and this is 0."""

    type = BigInteger()
    inherit_cache = True


@compiles(current_txid)
def _txid_default(element, compiler, **kw):
    return "0"


@compiles(current_txid, "postgresql")
def _txid_postgresql(element, compiler, **kw):
    return "(pg_current_xact_id()::text::bigint)"
