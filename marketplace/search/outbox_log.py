"""The search outbox read as a log: every host's index follows it from its own position.

Log order is (txid, id), txid being the id of the transaction that wrote the row. Ids alone are
not an order a reader can follow on PostgreSQL: they are drawn at insert, so a transaction that
drew id 100 may commit after one that drew 101 has been read. A reader therefore takes only rows
whose txid is below its horizon, the oldest transaction still running (`pg_snapshot_xmin`):
every transaction below it has ended, so no row can appear later behind one already taken.
SQLite runs one writer at a time, so there ids are commit order, txid is 0 and the horizon open.

A `Position` (txid, id) means: every row at or before it in log order is in the index. The
indexer commits it with the index (backend.py), so the two never disagree; `search_replicas`
holds each host's last reported copy for the admin page and for pruning.
"""
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, text, tuple_, update

from marketplace.catalog.models import SearchOutbox
from marketplace.database import utcnow
from marketplace.search.models import SearchReplica

OPEN_HORIZON = 2**62


@dataclass(frozen=True, order=True)
class Position:
    txid: int = 0
    id: int = 0

    def as_dict(self):
        return {"txid": self.txid, "id": self.id}

    @classmethod
    def from_dict(cls, data):
        return cls(int(data["txid"]), int(data["id"]))


START = Position()  # before every row


def _after(position):
    return tuple_(SearchOutbox.txid, SearchOutbox.id) > tuple_(position.txid, position.id)


def horizon(session):
    """Rows with a txid below this can be taken: their transactions have all ended."""
    if session.get_bind().dialect.name == "postgresql":
        return session.scalar(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"))
    return OPEN_HORIZON


def next_rows(session, position, limit):
    """Up to `limit` rows (txid, id, listing_id) after `position` that are safe to take now."""
    return session.execute(
        select(SearchOutbox.txid, SearchOutbox.id, SearchOutbox.listing_id)
        .where(_after(position), SearchOutbox.txid < horizon(session))
        .order_by(SearchOutbox.txid, SearchOutbox.id).limit(limit)).all()


def snapshot_position(session):
    """The position a snapshot's documents cover; call it first in the snapshot's transaction.
    PostgreSQL: every transaction below the horizon has ended, so each of their rows is visible
    in the snapshot. (Rows of later transactions that the snapshot also sees are read again
    after it: harmless.) SQLite: the newest row the snapshot sees."""
    if session.get_bind().dialect.name == "postgresql":
        return Position(horizon(session), 0)
    return Position(0, session.scalar(select(func.coalesce(func.max(SearchOutbox.id), 0))))


def lag(session, position):
    """How many rows the index at `position` has not applied yet."""
    return session.scalar(select(func.count()).select_from(SearchOutbox).where(_after(position)))


# -- replicas: each host's last reported position -----------------------------------------------
def report(session, name, position, documents=None):
    """Record where replica `name` is (creates its row). The caller commits."""
    values = {"position_txid": position.txid, "position_id": position.id, "seen_at": utcnow()}
    if documents is not None:
        values["documents"] = documents
    if not session.execute(update(SearchReplica).where(SearchReplica.name == name).values(**values)).rowcount:
        session.execute(insert(SearchReplica).values(name=name, **values))


def heartbeat(session, name):
    """Mark replica `name` alive; False when it has no row (new, or dropped as dead by `prune`,
    which may have deleted rows it still needed: it must be rebuilt). The caller commits."""
    return bool(session.execute(update(SearchReplica).where(SearchReplica.name == name)
                                .values(seen_at=utcnow())).rowcount)


def replicas(session):
    rows = session.scalars(select(SearchReplica).order_by(SearchReplica.name)).all()
    return [{"name": row.name, "position": Position(row.position_txid, row.position_id), "documents": row.documents,
             "seen_at": row.seen_at, "lag": lag(session, Position(row.position_txid, row.position_id))}
            for row in rows]


def prune(session, dead_before):
    """Forget replicas not seen since `dead_before`, then delete the rows every remaining one has
    passed (the newest row always stays: SQLite would hand its id out again). Returns the count.
    A replica being rebuilt reports START first, so nothing it will need goes while it builds."""
    session.execute(delete(SearchReplica).where(SearchReplica.seen_at < dead_before))
    oldest = session.execute(select(SearchReplica.position_txid, SearchReplica.position_id)
                             .order_by(SearchReplica.position_txid, SearchReplica.position_id).limit(1)).first()
    if oldest is None:
        return 0
    newest = session.scalar(select(func.max(SearchOutbox.id)))
    passed = ~_after(Position(*oldest))
    return session.execute(delete(SearchOutbox).where(passed, SearchOutbox.id < newest)).rowcount
