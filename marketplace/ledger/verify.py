"""The integrity check auditors run: recompute the hash chain in sequence order, check that no
sequence number is missing, replay every transfer into account totals and compare them with
the stored columns and the chain head.

It reads one consistent snapshot (REPEATABLE READ on PostgreSQL; SQLite's transaction) over its
own connection, streaming plain rows in chunks: no ORM objects, one tight loop.
"""
import time
from dataclasses import dataclass

from sqlalchemy import select

from marketplace.ledger.chain import CHAIN_COLUMNS, VERSION, encode_json, sha256
from marketplace.ledger.models import GENESIS_HASH, RELEASING_KINDS, TransferKind
from marketplace.ledger.posting import TOTALS, accounts, head, transfers

COLUMNS = [transfers.c[name] for name in (*CHAIN_COLUMNS, "hash")]
ID, DEBIT, CREDIT, AMOUNT, KIND, PENDING, TIMEOUT_AT, PENDING_ID = (
    CHAIN_COLUMNS.index(name) for name in (
        "id", "debit_account_id", "credit_account_id", "amount", "kind", "pending", "timeout_at",
        "pending_id"))
CREATED_AT, PREV_HASH, HASH = (CHAIN_COLUMNS.index("created_at"),
                               CHAIN_COLUMNS.index("prev_hash"), len(CHAIN_COLUMNS))
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
                replay.check_accounts(connection)
            except Broken as broken:
                return VerifyResult(False, replay.checked, replay.prev_hash,
                                    time.perf_counter() - started, broken.sequence, broken.problem)
    return VerifyResult(True, replay.checked, replay.prev_hash, time.perf_counter() - started)


class Replay:
    def __init__(self):
        self.checked = 0
        self.prev_hash = GENESIS_HASH
        self.totals = {}  # account id → [debits_posted, credits_posted, debits_pending, credits_pending]
        self.holds = {}  # open hold id → amount

    def run(self, connection, chunk_size):
        rows = connection.execute(select(*COLUMNS).order_by(transfers.c.id),
                                  execution_options={"yield_per": chunk_size})
        with rows:  # closes the server-side cursor even when the check stops early
            for partition in rows.partitions():
                self.check_chunk(partition)

    def check_chunk(self, rows):
        expected, prev_hash, encode, totals = self.checked + 1, self.prev_hash, encode_json, \
            self.totals
        for row in rows:
            if row[ID] != expected:
                raise Broken(expected, f"transfer {expected} is missing (next found: {row[ID]})")
            if row[PREV_HASH] != prev_hash:
                raise Broken(expected, "prev_hash does not match the previous transfer's hash")
            fields = [VERSION, *row[:HASH]]
            if fields[TIMEOUT_AT + 1] is not None:
                fields[TIMEOUT_AT + 1] = fields[TIMEOUT_AT + 1].isoformat(timespec="microseconds")
            fields[CREATED_AT + 1] = fields[CREATED_AT + 1].isoformat(timespec="microseconds")
            prev_hash = row[HASH]
            if sha256(encode(fields).encode()).hexdigest() != prev_hash:
                raise Broken(expected, "content does not match its hash (the row was altered)")
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
            raise Broken(row[ID], f"{row[KIND]} transfer without a hold")
        else:
            debit[0] += amount
            credit[1] += amount

    def resolve(self, row, debit, credit, amount):
        held = self.holds.pop(row[PENDING_ID], None)
        if held is None:
            raise Broken(row[ID], f"resolves transfer {row[PENDING_ID]}, which is not an open hold")
        if amount > held or (row[KIND] != POST and amount != held):
            raise Broken(row[ID], f"{row[KIND]} of {amount} does not fit a hold of {held}")
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
                         f"the chain head names transfer {sequence} but the chain ends at "
                         f"{self.checked}")
        if head_hash != self.prev_hash:
            raise Broken(sequence, "the chain head's hash differs from the last transfer's")

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
