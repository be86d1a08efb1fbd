"""The write path shared by every operation: lock the touched accounts in ascending id order,
apply effects in memory with the guards checked, then write the deltas and the transfers.

Everything runs on the caller's transaction and only flushes. Writers touching the same
accounts serialise on those rows (FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE serialises SQLite).
The hash chain is linked at commit: on PostgreSQL a deferred trigger numbers and links the
transaction's transfers while holding the chain head only for the commit itself; on SQLite,
already serialised, `write` links them at once. Reads that decide a write (idempotency keys,
hold resolutions) run after the account locks, so a rival touching the same accounts has
committed; unique constraints catch the rest and run_in_transaction retries them.
"""
import json
import uuid
from dataclasses import dataclass, fields
from datetime import timezone

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.util import identity_key

from marketplace.database import utcnow
from marketplace.ledger import chain
from marketplace.ledger.errors import (AccountNotFound, CreditLimitExceeded,
                                       IdempotencyConflict, InsufficientFunds, LedgerMismatch,
                                       SameAccount)
from marketplace.ledger.models import (GENESIS_HASH, RELEASING_KINDS, TRANSFER_IDS, Account,
                                      ChainLink, LedgerHead, Transfer)
from marketplace.i18n import N_
from marketplace.money import format_fen

accounts = Account.__table__
transfers = Transfer.__table__
head = LedgerHead.__table__
links = ChainLink.__table__

TOTALS = ("debits_posted", "credits_posted", "debits_pending", "credits_pending")
STATE_COLUMNS = [accounts.c[name] for name in (
    "id", "code", "ledger", "kind", *TOTALS, "debits_must_not_exceed_credits",
    "credits_must_not_exceed_debits", "closed")]
GUARD_CONSTRAINTS = ("debits_within_credits", "credits_within_debits")
REFUSED_BY_DATABASE = N_("The database refused a transfer that would overdraw a guarded account.")

apply_deltas = (
    update(accounts).where(accounts.c.id == bindparam("account_id"))
    .values({name: accounts.c[name] + bindparam(f"delta_{name}") for name in TOTALS})
)


@dataclass(frozen=True, slots=True)
class TransferRecord:
    """A transfer as written (or as found again by its idempotency key)."""

    id: int
    ledger: str
    debit_account_id: int
    credit_account_id: int
    amount: int
    kind: str
    pending: bool
    timeout_at: object
    pending_id: int | None
    reverses_id: int | None
    order_id: int | None
    application_id: int | None
    settlement_id: int | None
    voucher_id: int | None
    actor_id: int | None
    created_at: object
    memo: str
    idempotency_key: str
    request_hash: str
    content_hash: str

    @classmethod
    def from_mapping(cls, mapping):
        return cls(**{name: mapping[name] for name in RECORD_FIELDS})


RECORD_FIELDS = tuple(field.name for field in fields(TransferRecord))
RECORD_COLUMNS = [transfers.c[name] for name in RECORD_FIELDS]
# Statements on the hot path are built once, so SQLAlchemy's compiled cache is hit directly.
LOCK_ACCOUNTS = (select(*STATE_COLUMNS).where(accounts.c.id.in_(bindparam("ids", expanding=True)))
                 .order_by(accounts.c.id).with_for_update(of=accounts))
LOCK_ACCOUNTS_AND_FIND_KEY = LOCK_ACCOUNTS.add_columns(
    select(transfers.c.id).where(transfers.c.idempotency_key == bindparam("lookup_key"))
    .scalar_subquery().label("found"))


class AccountState:
    """An account row locked for this posting; totals change in memory until `write`."""

    __slots__ = ("id", "code", "ledger", "kind", *TOTALS, "debits_must_not_exceed_credits",
                 "credits_must_not_exceed_debits", "closed", "original")

    def __init__(self, row):
        for name, value in zip(self.__slots__[:-1], row):
            setattr(self, name, value)
        self.original = tuple(row[4:8])

    def deltas(self):
        return {f"delta_{name}": getattr(self, name) - before
                for name, before in zip(TOTALS, self.original)}

    def changed(self):
        return tuple(getattr(self, name) for name in TOTALS) != self.original

    def check_guards(self, amount, available_before):
        if self.debits_must_not_exceed_credits and \
                self.debits_posted + self.debits_pending > self.credits_posted:
            raise InsufficientFunds(code=self.code, available=format_fen(available_before),
                                    amount=format_fen(amount))
        if self.credits_must_not_exceed_debits and \
                self.credits_posted + self.credits_pending > self.debits_posted:
            raise CreditLimitExceeded(code=self.code, amount=format_fen(amount))

    def available(self):
        return self.credits_posted - self.debits_posted - self.debits_pending


def new_key():
    return f"auto:{uuid.uuid4().hex}"


class Posting:
    """One ledger write: `lock` accounts, `append` transfers, then `write` them to the chain."""

    def __init__(self, session):
        session.flush()  # rows the caller added (e.g. a new account) must be visible to Core
        self.session = session
        self.connection = session.connection()
        self.postgresql = self.connection.dialect.name == "postgresql"
        self.accounts = {}
        self.rows = []
        self.absent_key = None

    # -- reads (after the accounts they concern are locked, so they see committed rivals) ----

    def existing(self, keys):
        """Transfers already written under these idempotency keys, by key."""
        if not keys or keys == [self.absent_key]:
            return {}
        if self.postgresql and self.raw(PG_ANY_KEY_TAKEN, {"keys": keys}).fetchone() is None:
            return {}  # the usual answer, without SQLAlchemy expanding a thousand-key IN list
        rows = self.connection.execute(
            select(*RECORD_COLUMNS).where(transfers.c.idempotency_key.in_(keys))).mappings()
        return {row["idempotency_key"]: TransferRecord.from_mapping(row) for row in rows}

    def transfer(self, transfer_id):
        row = self.connection.execute(
            select(*RECORD_COLUMNS).where(transfers.c.id == transfer_id)).mappings().first()
        return TransferRecord.from_mapping(row) if row else None

    def lock(self, refs, key=None):
        """Lock accounts given by id or code (ascending id order); returns {ref: AccountState}.
        With `key`, the same statement looks the idempotency key up (see `existing`)."""
        refs = [getattr(ref, "id", ref) for ref in refs]  # Account objects stand for their id
        codes = {ref for ref in refs if isinstance(ref, str)}
        by_code = dict(self.connection.execute(
            select(accounts.c.code, accounts.c.id).where(accounts.c.code.in_(codes))).all()) \
            if codes else {}
        ids = sorted({by_code.get(ref) if isinstance(ref, str) else ref for ref in refs}
                     - set(self.accounts) - {None})
        if ids:
            self._lock_ids(ids, key)
        result = {}
        for ref in refs:
            state = self.accounts.get(by_code.get(ref) if isinstance(ref, str) else ref)
            if state is None:
                raise AccountNotFound(account=ref)
            result[ref] = state
        return result

    def _lock_ids(self, ids, key):
        if self.postgresql:
            rows = self.raw(PG_LOCK_ACCOUNTS_AND_FIND_KEY, {"ids": ids, "key": key}).fetchall()
        elif key is None:
            rows = self.connection.execute(LOCK_ACCOUNTS, {"ids": ids}).all()
        else:
            rows = self.connection.execute(LOCK_ACCOUNTS_AND_FIND_KEY,
                                           {"ids": ids, "lookup_key": key}).all()
        self.accounts.update((row[0], AccountState(row)) for row in rows)
        if key is not None and rows and rows[0][-1] is None:
            # Absent when the statement began. A duplicate committed while we waited for the
            # locks still fails the INSERT on the unique key, and run_in_transaction's retry
            # then finds and replays it.
            self.absent_key = key

    # -- building the write -------------------------------------------------------------------

    def append(self, debit, credit, amount, kind, *, release=0, pending=False, **columns):
        """Apply one transfer to the locked states (guards checked) and queue its row.
        `release` is the hold amount a post/void/expire takes out of the pending totals."""
        if debit.id == credit.id:
            raise SameAccount()
        if debit.ledger != credit.ledger:
            raise LedgerMismatch(debit=debit.code, credit=credit.code)
        available = debit.available()
        posted = 0 if pending or kind in RELEASING_KINDS else amount
        held = amount if pending else 0
        debit.debits_posted += posted
        debit.debits_pending += held - release
        credit.credits_posted += posted
        credit.credits_pending += held - release
        debit.check_guards(amount, available)
        credit.check_guards(amount, credit.available())
        self.rows.append({
            "ledger": debit.ledger, "debit_account_id": debit.id, "credit_account_id": credit.id,
            "amount": amount, "kind": str(kind), "pending": pending, "timeout_at": None,
            "pending_id": None, "reverses_id": None, "order_id": None, "application_id": None,
            "settlement_id": None, "voucher_id": None, "actor_id": None, "memo": "", **columns})

    def write(self):
        """Write the account deltas and the queued transfers; returns their records, in order.
        The transfers join the hash chain when the transaction commits."""
        if not self.rows:
            return []
        changed = [state for state in self.accounts.values() if state.changed()]
        deltas = [{"account_id": state.id, **state.deltas()} for state in changed]
        self._expire_cached(changed)
        now = utcnow()
        for row in self.rows:
            row["created_at"] = now
            row["content_hash"] = chain.content_hash(row)
        try:
            if self.postgresql:
                self._write_postgresql(deltas)
            else:
                self.connection.execute(apply_deltas, deltas)
                self._write_and_link()
        except IntegrityError as error:
            if any(name in str(error.orig) for name in GUARD_CONSTRAINTS):
                raise InsufficientFunds(REFUSED_BY_DATABASE) from error
            raise
        records = [TransferRecord.from_mapping(row) for row in self.rows]
        self.rows = []
        return records

    def raw(self, sql, params):
        """PostgreSQL hot path: run `sql` on the driver's cursor of this session's connection
        (same transaction), skipping SQLAlchemy's statement machinery (compilation cache,
        parameter and result processing): a third of a single transfer's client CPU."""
        return self._on_driver(lambda cursor: raw_execute(cursor, sql, params), sql, params)

    def _copy_rows(self):
        """PostgreSQL bulk path: COPY the queued transfers in, one stream instead of one
        statement per row (executemany) or thousands of bound parameters."""
        def copy(cursor):
            with cursor.copy(PG_COPY_TRANSFERS) as stream:
                for row in self.rows:
                    stream.write_row([naive_utc(row[name]) if name in TIMESTAMP_COLUMNS
                                      else row[name] for name in RECORD_FIELDS])
        self._on_driver(copy, PG_COPY_TRANSFERS, {})

    def _on_driver(self, work, sql, params):
        dbapi = self.connection.dialect.loaded_dbapi
        cursor = self.connection.connection.driver_connection.cursor()
        try:
            return work(cursor)
        except dbapi.Error as error:
            # Wrapped as SQLAlchemy would, so run_in_transaction and the guard mapping see it.
            raise DBAPIError.instance(sql, params, error, dbapi.Error,
                                      dialect=self.connection.dialect) from error

    def _write_postgresql(self, deltas):
        """Ids come from the sequence; the deferred trigger `ledger_link_chain` links at commit."""
        if len(self.rows) == 1:  # one round trip: deltas and insert in one statement
            self.rows[0]["id"] = self.raw(*single_write(deltas, self.rows[0])).fetchone()[0]
            return
        ids = self.connection.execute(NEW_IDS, {"count": len(self.rows)}).scalars().all()
        for row, transfer_id in zip(self.rows, ids):
            row["id"] = transfer_id
        self.raw(PG_APPLY_DELTAS, {"deltas": json.dumps(deltas)})
        self._copy_rows()

    def _write_and_link(self):
        """SQLite, where BEGIN IMMEDIATE already serialises writers: number the transfers after
        the head (ids equal sequences there), insert them and their links, move the head."""
        sequence, prev_hash = self._read_head()
        chained = []
        for row in self.rows:
            sequence += 1
            row["id"] = sequence
            link = chain.link(sequence, sequence, prev_hash, row["content_hash"])
            chained.append({"sequence": sequence, "transfer_id": sequence,
                            "prev_hash": prev_hash, "hash": link})
            prev_hash = link
        self.connection.execute(transfers.insert(), self.rows)
        self.connection.execute(links.insert(), chained)
        self.connection.execute(move_head, {"head_sequence": sequence, "head_hash": prev_hash})

    def _read_head(self):
        row = self.connection.execute(READ_HEAD).first()
        if row is None:  # only for databases built without the migration, which inserts it
            self.connection.execute(head.insert().values(id=1, sequence=0, hash=GENESIS_HASH))
            return 0, GENESIS_HASH
        return row

    def _expire_cached(self, changed):
        identity_map = self.session.identity_map
        if not identity_map:
            return
        for state in changed:
            cached = identity_map.get(identity_key(Account, state.id))
            if cached is not None:
                self.session.expire(cached, list(TOTALS))


move_head = head.update().where(head.c.id == 1).values(
    sequence=bindparam("head_sequence"), hash=bindparam("head_hash"))
READ_HEAD = select(head.c.sequence, head.c.hash).where(head.c.id == 1)
NEW_IDS = select(TRANSFER_IDS.next_value()).select_from(
    func.generate_series(1, bindparam("count")))
INSERT_COLUMNS = RECORD_FIELDS[1:]  # all but the id, which the sequence supplies
TIMESTAMP_COLUMNS = ("timeout_at", "created_at")
_single_writes = {}

PG_LOCK_ACCOUNTS_AND_FIND_KEY = (
    f"SELECT {', '.join(f'a.{column.name}' for column in STATE_COLUMNS)}, "
    "(SELECT t.id FROM ledger_transfers t WHERE t.idempotency_key = %(key)s) "
    "FROM ledger_accounts a WHERE a.id = ANY(%(ids)s) ORDER BY a.id FOR UPDATE OF a")

# Many accounts' deltas in one statement (executemany would be one statement per account),
# passed as one JSON document: the driver adapts a string at once, arrays item by item.
PG_APPLY_DELTAS = (
    "UPDATE ledger_accounts a SET "
    + ", ".join(f"{name} = a.{name} + d.delta_{name}" for name in TOTALS)
    + " FROM jsonb_to_recordset(%(deltas)s::jsonb) AS d(account_id bigint, "
    + ", ".join(f"delta_{name} bigint" for name in TOTALS) + ") WHERE a.id = d.account_id")
PG_ANY_KEY_TAKEN = "SELECT 1 FROM ledger_transfers WHERE idempotency_key = ANY(%(keys)s) LIMIT 1"
PG_COPY_TRANSFERS = f"COPY ledger_transfers ({', '.join(RECORD_FIELDS)}) FROM STDIN"


def raw_execute(cursor, sql, params):
    """The one place the hot path reaches the driver (tests interrupt writes here)."""
    return cursor.execute(sql, params)


def naive_utc(value):
    return None if value is None else value.astimezone(timezone.utc).replace(tzinfo=None)


def single_write(deltas, row):
    """PostgreSQL: one statement (data-modifying CTEs) applies the deltas and inserts the
    transfer, returning its id."""
    sql = _single_writes.get(len(deltas))
    if sql is None:
        sql = _single_writes[len(deltas)] = build_single_write(len(deltas))
    params = {f"t_{name}": row[name] for name in INSERT_COLUMNS}
    for name in TIMESTAMP_COLUMNS:
        params[f"t_{name}"] = naive_utc(params[f"t_{name}"])
    for n, delta in enumerate(deltas):
        params.update((f"a{n}_{name}", value) for name, value in delta.items())
    return sql, params


def build_single_write(account_count):
    ctes = ", ".join(
        f"account_{n} AS (UPDATE ledger_accounts SET "
        + ", ".join(f"{name} = {name} + %(a{n}_delta_{name})s" for name in TOTALS)
        + f" WHERE id = %(a{n}_account_id)s)" for n in range(account_count))
    return (f"WITH {ctes} " if ctes else "") + (
        f"INSERT INTO ledger_transfers ({', '.join(INSERT_COLUMNS)}) "
        f"VALUES ({', '.join(f'%(t_{name})s' for name in INSERT_COLUMNS)}) RETURNING id")


def replay(record, request_hash):
    """The original result of an idempotent retry, or IdempotencyConflict."""
    if record.request_hash != request_hash:
        raise IdempotencyConflict(key=record.idempotency_key)
    return record
