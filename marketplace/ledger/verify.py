"""The integrity check auditors run: walk the chain in sequence order, check that no sequence
number is missing, recompute every transfer's content hash and every link, check that every
transfer is linked, replay every transfer into account totals and compare them with the stored
columns and the chain head.

It reads one consistent snapshot (REPEATABLE READ on PostgreSQL; SQLite's transaction) over its
own connection, streaming plain rows in chunks: no ORM objects, one tight loop.
"""
import queue
import threading
import time
from dataclasses import dataclass

from sqlalchemy import func, select

from marketplace.ledger.chain import CONTENT_COLUMNS, VERSION, encode_json, link, sha256
from marketplace.ledger.models import GENESIS_HASH, RELEASING_KINDS, TransferKind
from marketplace.ledger.posting import TOTALS, accounts, head, links, transfers

# One row per link: the content columns first (so a slice is the canonical array), then the
# link's own fields and the transfer's id and stored content hash (NULL id: the row is gone).
COLUMNS = [*(transfers.c[name] for name in CONTENT_COLUMNS), transfers.c.id,
           transfers.c.content_hash, links.c.sequence, links.c.transfer_id, links.c.prev_hash,
           links.c.hash]
DEBIT, CREDIT, AMOUNT, KIND, PENDING, TIMEOUT_AT, PENDING_ID, CREATED_AT = (
    CONTENT_COLUMNS.index(name) for name in (
        "debit_account_id", "credit_account_id", "amount", "kind", "pending", "timeout_at",
        "pending_id", "created_at"))
ID, CONTENT_HASH, SEQUENCE, LINKED_ID, PREV_HASH, HASH = range(len(CONTENT_COLUMNS),
                                                               len(CONTENT_COLUMNS) + 6)
CHAIN_QUERY = select(*COLUMNS).select_from(
    links.outerjoin(transfers, transfers.c.id == links.c.transfer_id)).order_by(links.c.sequence)
# PostgreSQL: timestamps (naive UTC) formatted as the canonical form's ISO 8601 by the server.
CANONICAL_TIME = "to_char(t.{}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"
PG_CHAIN_QUERY = (
    "SELECT " + ", ".join(CANONICAL_TIME.format(name) if name in ("timeout_at", "created_at")
                         else f"t.{name}" for name in CONTENT_COLUMNS)
    + ", t.id, t.content_hash, c.sequence, c.transfer_id, c.prev_hash, c.hash"
    " FROM ledger_chain c LEFT JOIN ledger_transfers t ON t.id = c.transfer_id ORDER BY c.sequence")
POST = str(TransferKind.POST)
RELEASING = frozenset(str(kind) for kind in RELEASING_KINDS)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    transfers_checked: int
    head_hash: str
    seconds: float
    first_bad_sequence: int | None = None
    problem: str | None = None

    def summary(self):
        if self.ok:
            return (f"Ledger intact: {self.transfers_checked:,} transfers checked in "
                    f"{self.seconds:.2f} s; head {self.head_hash}.")
        where = "" if self.first_bad_sequence is None else \
            f" at sequence {self.first_bad_sequence}"
        return f"Ledger check FAILED{where}: {self.problem}"


class Broken(Exception):
    def __init__(self, sequence, problem):
        super().__init__(problem)
        self.sequence, self.problem = sequence, problem


def verify(engine, chunk_size=20_000):
    """Check the whole ledger; returns a VerifyResult (never raises for a broken ledger).

    On SQLite the check holds the write lock (every transaction there is BEGIN IMMEDIATE), so
    end any transaction of your own in the same thread first."""
    started = time.perf_counter()
    replay = Replay()
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            try:
                replay.run(connection, chunk_size)
                replay.check_head(connection)
                replay.check_all_linked(connection)
                replay.check_accounts(connection)
            except Broken as broken:
                return VerifyResult(False, replay.checked, replay.prev_hash,
                                    time.perf_counter() - started, broken.sequence, broken.problem)
    return VerifyResult(True, replay.checked, replay.prev_hash, time.perf_counter() - started)


def prefetched(fetch, depth=2):
    """Chunks from `fetch()` until it returns an empty one, fetched by a thread ahead of the
    consumer, so the server produces the next chunk while this process hashes the last (the
    driver releases the GIL while it waits). Stopping early stops the thread before returning."""
    chunks, stop = queue.Queue(maxsize=depth), threading.Event()

    def produce():
        try:
            while not stop.is_set():
                chunk = fetch()
                put(chunk)
                if not chunk:
                    return
        except BaseException as error:  # handed to the consumer, raised there
            put(error)

    def put(item):
        while not stop.is_set():
            try:
                return chunks.put(item, timeout=0.1)
            except queue.Full:
                continue

    producer = threading.Thread(target=produce, name="ledger-verify-fetch", daemon=True)
    producer.start()
    try:
        while True:
            chunk = chunks.get()
            if isinstance(chunk, BaseException):
                raise chunk
            if not chunk:
                return
            yield chunk
    finally:
        stop.set()
        producer.join()


class Replay:
    def __init__(self):
        self.checked = 0
        self.prev_hash = GENESIS_HASH
        self.totals = {}  # account id → [debits_posted, credits_posted, debits_pending, credits_pending]
        self.holds = {}  # open hold id → amount

    def run(self, connection, chunk_size):
        if connection.dialect.name == "postgresql":
            return self.run_postgresql(connection, chunk_size)
        rows = connection.execute(CHAIN_QUERY, execution_options={"yield_per": chunk_size})
        with rows:  # closes the server-side cursor even when the check stops early
            for partition in rows.partitions():
                self.check_chunk(partition)

    def run_postgresql(self, connection, chunk_size):
        """The same rows from a server-side cursor on the driver, with the timestamps already
        in canonical form: the server formats them while this process hashes (on two cores
        that halves the check), and no per-value type conversion runs here."""
        driver = connection.connection.driver_connection
        # Walk the chain's primary key and look each transfer up: the planner's default, a
        # join then a sort of every row, spills to disk at a million transfers.
        for setting in ("enable_sort", "enable_hashjoin", "enable_mergejoin"):
            driver.execute(f"SET LOCAL {setting} = off")
        with driver.cursor(name="ledger_verify") as cursor:
            cursor.itersize = chunk_size
            cursor.execute(PG_CHAIN_QUERY)
            for rows in prefetched(lambda: cursor.fetchmany(chunk_size)):
                self.check_chunk(rows)

    def check_chunk(self, rows):
        expected, prev_hash, encode, totals = self.checked + 1, self.prev_hash, encode_json, \
            self.totals
        for row in rows:
            if row[SEQUENCE] != expected:
                raise Broken(expected, f"link {expected} is missing (next found: {row[SEQUENCE]})")
            if row[ID] is None:
                raise Broken(expected, f"transfer {row[LINKED_ID]} is missing from the table")
            if row[PREV_HASH] != prev_hash:
                raise Broken(expected, "prev_hash does not match the previous link's hash")
            fields = [VERSION, *row[:ID]]
            if fields[TIMEOUT_AT + 1] is not None and not isinstance(fields[TIMEOUT_AT + 1], str):
                fields[TIMEOUT_AT + 1] = fields[TIMEOUT_AT + 1].isoformat(timespec="microseconds")
            if not isinstance(fields[CREATED_AT + 1], str):
                fields[CREATED_AT + 1] = fields[CREATED_AT + 1].isoformat(timespec="microseconds")
            content = sha256(encode(fields).encode()).hexdigest()
            if content != row[CONTENT_HASH] or link(expected, row[ID], prev_hash, content) != row[HASH]:
                raise Broken(expected, f"transfer {row[ID]} does not match its hash (the row was "
                                       "altered)")
            prev_hash = row[HASH]
            debit, credit = totals.get(row[DEBIT]), totals.get(row[CREDIT])
            if debit is None or credit is None or row[PENDING] or row[PENDING_ID] is not None \
                    or row[KIND] in RELEASING:
                self.apply(row)  # the rarer shapes: holds, resolutions, first sight of accounts
            else:
                debit[0] += row[AMOUNT]
                credit[1] += row[AMOUNT]
            self.checked = expected
            self.prev_hash = prev_hash
            expected += 1

    def apply(self, row):
        debit = self.account(row[DEBIT])
        credit = self.account(row[CREDIT])
        amount = row[AMOUNT]
        if row[PENDING]:
            self.holds[row[ID]] = amount
            debit[2] += amount
            credit[3] += amount
        elif row[PENDING_ID] is not None:
            self.resolve(row, debit, credit, amount)
        elif row[KIND] in RELEASING:
            raise Broken(row[SEQUENCE], f"{row[KIND]} transfer without a hold")
        else:
            debit[0] += amount
            credit[1] += amount

    def resolve(self, row, debit, credit, amount):
        held = self.holds.pop(row[PENDING_ID], None)
        if held is None:
            raise Broken(row[SEQUENCE], f"resolves transfer {row[PENDING_ID]}, which is not an open hold")
        if amount > held or (row[KIND] != POST and amount != held):
            raise Broken(row[SEQUENCE], f"{row[KIND]} of {amount} does not fit a hold of {held}")
        debit[2] -= held
        credit[3] -= held
        if row[KIND] == POST:
            debit[0] += amount
            credit[1] += amount

    def account(self, account_id):
        totals = self.totals.get(account_id)
        if totals is None:
            totals = self.totals[account_id] = [0, 0, 0, 0]
        return totals

    def check_head(self, connection):
        sequence, head_hash = connection.execute(select(head.c.sequence, head.c.hash)).one()
        if sequence != self.checked:
            raise Broken(min(sequence, self.checked + 1),
                         f"the chain head names link {sequence} but the chain ends at "
                         f"{self.checked}")
        if head_hash != self.prev_hash:
            raise Broken(sequence, "the chain head's hash differs from the last link's")

    def check_all_linked(self, connection):
        """Every transfer must have a link (links commit with their transfers)."""
        count = connection.execute(select(func.count()).select_from(transfers)).scalar()
        if count != self.checked:
            unlinked = connection.execute(
                select(func.min(transfers.c.id)).where(
                    ~select(links.c.sequence).where(links.c.transfer_id == transfers.c.id)
                    .exists())).scalar()
            raise Broken(None, f"transfer {unlinked} is not in the chain "
                               f"({count:,} transfers, {self.checked:,} links)")

    def check_accounts(self, connection):
        rows = connection.execute(
            select(accounts.c.id, accounts.c.code, *(accounts.c[name] for name in TOTALS))
            .order_by(accounts.c.id)).all()
        for account_id, code, *stored in rows:
            replayed = self.totals.get(account_id, [0, 0, 0, 0])
            for name, have, want in zip(TOTALS, stored, replayed):
                if have != want:
                    raise Broken(None, f"account {code}: {name} is {have} but the transfers "
                                       f"add up to {want}")
