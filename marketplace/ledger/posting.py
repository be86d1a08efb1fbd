"""The write path shared by every operation: lock the touched accounts in ascending id order,
apply effects in memory with the guards checked, write the deltas, and only then lock the chain
head to number, hash and insert the transfers.

Everything runs on the caller's transaction and only flushes. Writers serialise on the head row
(FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE already serialises SQLite) for the last step only;
a writer holding the head holds all its accounts already, so writers cannot deadlock one
another. Reads that decide a write (idempotency keys, hold resolutions) run after the account
locks, so a rival touching the same accounts has committed; unique constraints catch the rest
and run_in_transaction retries them.
"""
import uuid
from dataclasses import dataclass, fields

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.util import identity_key

from marketplace.database import utcnow
from marketplace.ledger import chain
from marketplace.ledger.errors import (AccountNotFound, CreditLimitExceeded,
                                       IdempotencyConflict, InsufficientFunds, LedgerMismatch,
                                       SameAccount)
from marketplace.ledger.models import GENESIS_HASH, RELEASING_KINDS, Account, LedgerHead, Transfer
from marketplace.i18n import N_
from marketplace.money import format_fen

accounts = Account.__table__
transfers = Transfer.__table__
head = LedgerHead.__table__

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
    prev_hash: str
    hash: str

    @property
    def sequence(self):
        return self.id

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
LOCK_HEAD = select(head.c.sequence, head.c.hash).where(head.c.id == 1).with_for_update()


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
        self.accounts = {}
        self.rows = []
        self.absent_key = None

    # -- reads (after the accounts they concern are locked, so they see committed rivals) ----

    def existing(self, keys):
        """Transfers already written under these idempotency keys, by key."""
        if not keys or keys == [self.absent_key]:
            return {}
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
        if key is None:
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
        """Write the account deltas, then — holding the chain head only for this last step —
        number, hash and insert the queued transfers. Returns their records, in order."""
        if not self.rows:
            return []
        changed = [state for state in self.accounts.values() if state.changed()]
        deltas = [{"account_id": state.id, **state.deltas()} for state in changed]
        self._expire_cached(changed)
        one_statement = len(self.rows) == 1 and self.connection.dialect.name == "postgresql"
        try:
            if not one_statement:
                self.connection.execute(apply_deltas, deltas)
            last = self._number_rows()
            if one_statement:
                self.connection.execute(*single_write(deltas, self.rows[0], *last))
            else:
                self.connection.execute(transfers.insert(), self.rows)
                self.connection.execute(move_head, {"head_sequence": last[0], "head_hash": last[1]})
        except IntegrityError as error:
            if any(name in str(error.orig) for name in GUARD_CONSTRAINTS):
                raise InsufficientFunds(REFUSED_BY_DATABASE) from error
            raise
        records = [TransferRecord.from_mapping(row) for row in self.rows]
        self.rows = []
        return records

    def _number_rows(self):
        sequence, prev_hash = self._lock_head()
        now = utcnow()
        for row in self.rows:
            sequence += 1
            row.update(id=sequence, created_at=now, prev_hash=prev_hash)
            row["hash"] = prev_hash = chain.hash_row(row)
        return sequence, prev_hash

    def _lock_head(self):
        row = self.connection.execute(LOCK_HEAD).first()
        if row is None:  # only for databases built without the migration, which inserts it
            self.connection.execute(head.insert().values(id=1, sequence=0, hash=GENESIS_HASH))
            return 0, GENESIS_HASH
        return row

    def _expire_cached(self, changed):
        identity_map = self.session.identity_map
        for state in changed:
            cached = identity_map.get(identity_key(Account, state.id))
            if cached is not None:
                self.session.expire(cached, list(TOTALS))


move_head = head.update().where(head.c.id == 1).values(
    sequence=bindparam("head_sequence"), hash=bindparam("head_hash"))
INSERT_COLUMNS = ("id", *RECORD_FIELDS[1:])
_single_writes = {}


def single_write(deltas, row, sequence, last_hash):
    """PostgreSQL: one statement (data-modifying CTEs) applies the deltas, inserts the transfer
    and moves the head, so the head lock is held for one round trip and the commit."""
    statement = _single_writes.get(len(deltas))
    if statement is None:
        statement = _single_writes[len(deltas)] = build_single_write(len(deltas))
    params = {f"t_{name}": row[name] for name in INSERT_COLUMNS}
    for n, delta in enumerate(deltas):
        params.update((f"a{n}_{name}", value) for name, value in delta.items())
    params.update(head_sequence=sequence, head_hash=last_hash)
    return statement, params


def build_single_write(account_count):
    ctes = [update(accounts).where(accounts.c.id == bindparam(f"a{n}_account_id"))
            .values({name: accounts.c[name] + bindparam(f"a{n}_delta_{name}") for name in TOTALS})
            .cte(f"account_{n}") for n in range(account_count)]
    ctes.append(transfers.insert().values(
        {name: bindparam(f"t_{name}", type_=transfers.c[name].type) for name in INSERT_COLUMNS})
        .cte("appended"))
    return move_head.add_cte(*ctes)


def replay(record, request_hash):
    """The original result of an idempotent retry, or IdempotencyConflict."""
    if record.request_hash != request_hash:
        raise IdempotencyConflict(key=record.idempotency_key)
    return record
