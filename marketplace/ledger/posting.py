"""The write path shared by every operation: lock the chain head, lock accounts in id order,
apply effects in memory with the guards checked, then write deltas, transfers and the new head.

Everything runs on the caller's transaction and only flushes. Writers serialise on the head row
(FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE already serialises SQLite), and since every writer
takes the head before any account, ledger writers cannot deadlock one another.
"""
import uuid
from dataclasses import dataclass, fields

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.util import identity_key

from marketplace.database import utcnow
from marketplace.ledger import chain
from marketplace.ledger.errors import (AccountClosed, AccountNotFound, CreditLimitExceeded,
                                       IdempotencyConflict, InsufficientFunds, LedgerMismatch,
                                       SameAccount)
from marketplace.ledger.models import GENESIS_HASH, RELEASING_KINDS, Account, LedgerHead, Transfer
from marketplace.money import format_fen

accounts = Account.__table__
transfers = Transfer.__table__
head = LedgerHead.__table__

TOTALS = ("debits_posted", "credits_posted", "debits_pending", "credits_pending")
STATE_COLUMNS = [accounts.c[name] for name in (
    "id", "code", "ledger", "kind", *TOTALS, "debits_must_not_exceed_credits",
    "credits_must_not_exceed_debits", "closed")]
GUARD_CONSTRAINTS = ("debits_within_credits", "credits_within_debits")

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
    """One ledger write: created with the head locked; `append` entries; `write` flushes them."""

    def __init__(self, session):
        session.flush()  # rows the caller added (e.g. a new account) must be visible to Core
        self.session = session
        self.connection = session.connection()
        row = self.connection.execute(
            select(head.c.sequence, head.c.hash).where(head.c.id == 1).with_for_update()).first()
        self.sequence, self.hash = row if row else self._create_head()
        self.accounts = {}
        self.rows = []

    def _create_head(self):
        # Only for databases built without the migration (which inserts the row).
        self.connection.execute(head.insert().values(id=1, sequence=0, hash=GENESIS_HASH))
        return 0, GENESIS_HASH

    # -- reads under the head lock ------------------------------------------------------------

    def existing(self, keys):
        """Transfers already written under these idempotency keys, by key."""
        if not keys:
            return {}
        rows = self.connection.execute(
            select(*RECORD_COLUMNS).where(transfers.c.idempotency_key.in_(keys))).mappings()
        return {row["idempotency_key"]: TransferRecord.from_mapping(row) for row in rows}

    def transfer(self, transfer_id):
        row = self.connection.execute(
            select(*RECORD_COLUMNS).where(transfers.c.id == transfer_id)).mappings().first()
        return TransferRecord.from_mapping(row) if row else None

    def lock(self, refs):
        """Lock accounts given by id or code (ascending id order); returns {ref: AccountState}."""
        codes = {ref for ref in refs if isinstance(ref, str)}
        by_code = dict(self.connection.execute(
            select(accounts.c.code, accounts.c.id).where(accounts.c.code.in_(codes))).all()) \
            if codes else {}
        ids = sorted({by_code.get(ref) if isinstance(ref, str) else ref for ref in refs}
                     - set(self.accounts) - {None})
        if ids:
            rows = self.connection.execute(
                select(*STATE_COLUMNS).where(accounts.c.id.in_(ids)).order_by(accounts.c.id)
                .with_for_update()).all()
            self.accounts.update((row[0], AccountState(row)) for row in rows)
        result = {}
        for ref in refs:
            state = self.accounts.get(by_code.get(ref) if isinstance(ref, str) else ref)
            if state is None:
                raise AccountNotFound(account=ref)
            result[ref] = state
        return result

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
        self.sequence += 1
        row = {"id": self.sequence, "ledger": debit.ledger, "debit_account_id": debit.id,
               "credit_account_id": credit.id, "amount": amount, "kind": str(kind),
               "pending": pending, "timeout_at": None, "pending_id": None, "reverses_id": None,
               "order_id": None, "application_id": None, "settlement_id": None,
               "voucher_id": None, "actor_id": None, "created_at": utcnow(), "memo": "",
               **columns, "prev_hash": self.hash}
        row["hash"] = self.hash = chain.hash_row(row)
        self.rows.append(row)
        return TransferRecord.from_mapping(row)

    def write(self):
        """Flush the queued rows: account deltas, transfers, new head. A guard CHECK that still
        fires (a concurrent writer outside this module) surfaces as InsufficientFunds."""
        if not self.rows:
            return
        changed = [state for state in self.accounts.values() if state.changed()]
        try:
            self.connection.execute(
                apply_deltas, [{"account_id": s.id, **s.deltas()} for s in changed])
        except IntegrityError as error:
            if any(name in str(error.orig) for name in GUARD_CONSTRAINTS):
                raise InsufficientFunds(code="?", available="?", amount="?") from error
            raise
        self.connection.execute(transfers.insert(), self.rows)
        self.connection.execute(
            head.update().where(head.c.id == 1).values(sequence=self.sequence, hash=self.hash))
        self._expire_cached(changed)
        self.rows = []

    def _expire_cached(self, changed):
        identity_map = self.session.identity_map
        for state in changed:
            cached = identity_map.get(identity_key(Account, state.id))
            if cached is not None:
                self.session.expire(cached, list(TOTALS))


def replay(record, request_hash):
    """The original result of an idempotent retry, or IdempotencyConflict."""
    if record.request_hash != request_hash:
        raise IdempotencyConflict(key=record.idempotency_key)
    return record
