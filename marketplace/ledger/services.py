"""Ledger operations. Each works inside the caller's transaction and only flushes, so an order,
its payment record and its voucher hold can commit together; standalone callers wrap them in
`run_in_transaction`. Accounts are given by id or code; money is integer fen.
"""
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import exists, select

from marketplace.database import utcnow
from marketplace.ledger import chain
from marketplace.ledger.errors import (AccountClosed, AlreadyReversed, HoldAlreadyResolved,
                                       HoldExpired, HoldNotDue, IdempotencyConflict, InvalidAmount, NotAHold,
                                       NotReversible, PostExceedsHold, TransferNotFound,
                                       UnknownKind)
from marketplace.ledger.models import RELEASING_KINDS, TransferKind
from marketplace.ledger.posting import Posting, new_key, replay, transfers
from marketplace.money import MAX_FEN, format_fen

# Kinds only the dedicated operations may write.
OPERATION_KINDS = frozenset({TransferKind.HOLD, TransferKind.POST, TransferKind.VOID,
                             TransferKind.EXPIRE, TransferKind.REVERSE})
REFERENCE_FIELDS = ("order_id", "application_id", "settlement_id", "voucher_id")
RESOLVED_AS = {"post": "posted", "void": "voided", "expire": "expired"}


@dataclass(frozen=True)
class TransferRequest:
    """One transfer to write: single-phase, or a hold when `pending` is true."""

    debit: int | str  # account id, code, or Account
    credit: int | str
    amount: int
    kind: str
    key: str | None = None
    pending: bool = False
    timeout_at: datetime | None = None
    actor_id: int | None = None
    memo: str = ""
    order_id: int | None = None
    application_id: int | None = None
    settlement_id: int | None = None
    voucher_id: int | None = None

    def validate(self):
        check_amount(self.amount)
        expected = TransferKind.HOLD if self.pending else None
        if self.kind not in TransferKind.__members__.values() or \
                (self.kind in OPERATION_KINDS and self.kind != expected):
            raise UnknownKind(kind=self.kind)
        if self.timeout_at is not None and (not self.pending or self.timeout_at.tzinfo is None):
            raise ValueError("timeout_at must be an aware datetime on a hold")

    def by_id(self):
        """The same request with Account objects replaced by their ids."""
        if isinstance(self.debit, (int, str)) and isinstance(self.credit, (int, str)):
            return self
        return replace(self, debit=getattr(self.debit, "id", self.debit),
                       credit=getattr(self.credit, "id", self.credit))

    def columns(self, key, request_hash):
        return {"pending": self.pending, "timeout_at": self.timeout_at, "actor_id": self.actor_id,
                "memo": self.memo, "idempotency_key": key, "request_hash": request_hash,
                **{name: getattr(self, name) for name in REFERENCE_FIELDS}}

    def hash(self, debit_id, credit_id):
        return chain.request_hash(
            "transfer", debit_id, credit_id, self.amount, str(self.kind), self.pending,
            self.timeout_at, self.actor_id, self.memo,
            *(getattr(self, name) for name in REFERENCE_FIELDS))


def check_amount(amount):
    if type(amount) is not int or not 0 < amount < MAX_FEN:
        raise InvalidAmount()


def transfer(session, debit, credit, amount, *, kind, key=None, **details):
    """Move `amount` fen from `debit` to `credit` at once. Raises InsufficientFunds,
    AccountNotFound, AccountClosed, LedgerMismatch, InvalidAmount, IdempotencyConflict."""
    return batch(session, [TransferRequest(debit, credit, amount, kind, key, **details)])[0]


def hold(session, debit, credit, amount, *, key=None, timeout_at=None, **details):
    """Reserve `amount` fen (pending debit/credit) until posted, voided or expired. Raises as
    `transfer`."""
    request = TransferRequest(debit, credit, amount, TransferKind.HOLD, key, pending=True,
                              timeout_at=timeout_at, **details)
    return batch(session, [request])[0]


def batch(session, requests):
    """Write many transfers (and/or holds) atomically, in order, with one head update; a retry of
    the whole batch returns the originals. Raises as `transfer` for any item."""
    for request in requests:
        request.validate()
    posting = Posting(session)
    requests = [request.by_id() for request in requests]
    states = posting.lock([ref for r in requests for ref in (r.debit, r.credit)],
                          key=requests[0].key if len(requests) == 1 else None)
    keyed = [(r, r.key or new_key(), r.hash(states[r.debit].id, states[r.credit].id))
             for r in requests]
    given = [r.key for r in requests if r.key is not None]
    if len(set(given)) != len(given):
        raise IdempotencyConflict(key=next(k for k in given if given.count(k) > 1))
    found = posting.existing(given)
    if found:
        return replay_batch(keyed, found)
    for request, key, request_hash in keyed:
        debit, credit = states[request.debit], states[request.credit]
        for state in (debit, credit):
            if state.closed:
                raise AccountClosed(code=state.code)
        posting.append(debit, credit, request.amount, request.kind,
                       **request.columns(key, request_hash))
    return posting.write()


def replay_batch(keyed, found):
    if len(found) != len(keyed):
        some = next(iter(found))
        raise IdempotencyConflict(key=some)
    return [replay(found[key], request_hash) for _, key, request_hash in keyed]


def post(session, hold_id, amount=None, *, key=None, actor_id=None, memo="", now=None):
    """Post all (default) or part of a hold; the rest is released. Raises TransferNotFound,
    NotAHold, HoldAlreadyResolved, HoldExpired, PostExceedsHold, IdempotencyConflict."""
    if amount is not None:
        check_amount(amount)
    request_hash = chain.request_hash("post", hold_id, amount, actor_id, memo)
    return _resolve(session, hold_id, TransferKind.POST, key, request_hash, amount=amount,
                    actor_id=actor_id, memo=memo, now=now or utcnow())


def void(session, hold_id, *, key=None, actor_id=None, memo=""):
    """Release a hold entirely. Raises TransferNotFound, NotAHold, HoldAlreadyResolved,
    IdempotencyConflict."""
    request_hash = chain.request_hash("void", hold_id, actor_id, memo)
    return _resolve(session, hold_id, TransferKind.VOID, key, request_hash, actor_id=actor_id,
                    memo=memo)


def expire(session, hold_id, *, now=None, actor_id=None):
    """Release a hold whose timeout has passed (the same transfer `expire_holds` would write:
    key `expire:<hold>`). Raises TransferNotFound, NotAHold, HoldAlreadyResolved, InvalidState
    (not yet due)."""
    posting = Posting(session)
    held = _hold(posting, hold_id)
    found = posting.existing([f"expire:{hold_id}"])
    if found:
        return replay(found[f"expire:{hold_id}"], chain.request_hash("expire", hold_id))
    _check_unresolved(posting, hold_id)
    if held.timeout_at is None or (now or utcnow()) < held.timeout_at:
        raise HoldNotDue(transfer_id=hold_id)
    _append_resolution(posting, held, TransferKind.EXPIRE, held.amount, idempotency_key=f"expire:{hold_id}",
                       request_hash=chain.request_hash("expire", hold_id), actor_id=actor_id, memo="")
    return posting.write()[0]


def _resolve(session, hold_id, kind, key, request_hash, *, amount=None, now=None, **columns):
    posting = Posting(session)
    held = _hold(posting, hold_id)
    key = key or new_key()
    found = posting.existing([key])
    if found:
        return replay(found[key], request_hash)
    _check_unresolved(posting, hold_id)
    if kind == TransferKind.POST:
        amount = _postable(held, amount, now)
    _append_resolution(posting, held, kind, amount or held.amount, idempotency_key=key,
                       request_hash=request_hash, **columns)
    return posting.write()[0]


def _hold(posting, hold_id):
    """The hold, with its accounts locked (which also serialises rival resolutions)."""
    held = posting.transfer(hold_id)
    if held is None:
        raise TransferNotFound(transfer_id=hold_id)
    if not held.pending:
        raise NotAHold(transfer_id=hold_id)
    posting.lock([held.debit_account_id, held.credit_account_id])
    return held


def _check_unresolved(posting, hold_id):
    resolution = posting.connection.execute(
        select(transfers.c.kind).where(transfers.c.pending_id == hold_id)).scalar()
    if resolution is not None:
        raise HoldAlreadyResolved(transfer_id=hold_id, resolution=RESOLVED_AS[resolution])


def _postable(held, amount, now):
    if held.timeout_at is not None and now >= held.timeout_at:
        raise HoldExpired(transfer_id=held.id)
    if amount is not None and amount > held.amount:
        raise PostExceedsHold(amount=format_fen(amount), held=format_fen(held.amount))
    return amount or held.amount


def _append_resolution(posting, held, kind, amount, **columns):
    # Closed accounts still resolve their holds: a lapsed voucher's orders in progress go on.
    states = posting.lock([held.debit_account_id, held.credit_account_id])
    references = {name: getattr(held, name) for name in REFERENCE_FIELDS}
    posting.append(states[held.debit_account_id], states[held.credit_account_id], amount, kind,
                   release=held.amount, pending_id=held.id, **references, **columns)


def expire_holds(session, now=None, *, limit=1000, actor_id=None):
    """Expire (release) every unresolved hold whose timeout is at or before `now`; returns the
    expiry transfers written (at most `limit`)."""
    now = now or utcnow()
    posting = Posting(session)
    resolution = transfers.alias("resolution")
    unresolved = ~exists().where(resolution.c.pending_id == transfers.c.id)
    due = [posting.transfer(hold_id) for hold_id in posting.connection.execute(
        select(transfers.c.id).where(transfers.c.pending, transfers.c.timeout_at <= now,
                                     unresolved)
        .order_by(transfers.c.id).limit(limit)).scalars()]
    posting.lock([ref for held in due for ref in (held.debit_account_id, held.credit_account_id)])
    # A rival may have resolved some of them while we waited for the locks.
    still_open = set(posting.connection.execute(
        select(transfers.c.id).where(transfers.c.id.in_([held.id for held in due]), unresolved)
    ).scalars()) if due else set()
    for held in due:
        if held.id in still_open:
            _append_resolution(posting, held, TransferKind.EXPIRE, held.amount,
                               idempotency_key=f"expire:{held.id}",
                               request_hash=chain.request_hash("expire", held.id),
                               actor_id=actor_id, memo="")
    return posting.write()


def reverse(session, transfer_id, *, key=None, actor_id=None, memo=""):
    """Post the compensating transfer of a posted transfer (once). Raises TransferNotFound,
    NotReversible, AlreadyReversed, InsufficientFunds, AccountClosed, IdempotencyConflict."""
    request_hash = chain.request_hash("reverse", transfer_id, actor_id, memo)
    posting = Posting(session)
    original = posting.transfer(transfer_id)
    if original is None:
        raise TransferNotFound(transfer_id=transfer_id)
    states = posting.lock([original.credit_account_id, original.debit_account_id])
    key = key or new_key()
    found = posting.existing([key])
    if found:
        return replay(found[key], request_hash)
    _check_reversible(posting, original)
    debit, credit = states[original.credit_account_id], states[original.debit_account_id]
    for state in (debit, credit):
        if state.closed:
            raise AccountClosed(code=state.code)
    references = {name: getattr(original, name) for name in REFERENCE_FIELDS}
    posting.append(debit, credit, original.amount, TransferKind.REVERSE, reverses_id=original.id,
                   idempotency_key=key, request_hash=request_hash, actor_id=actor_id, memo=memo,
                   **references)
    return posting.write()[0]


def _check_reversible(posting, original):
    if original.pending or original.kind in RELEASING_KINDS:
        raise NotReversible(transfer_id=original.id, kind=original.kind)
    already = posting.connection.execute(
        select(transfers.c.id).where(transfers.c.reverses_id == original.id)).scalar()
    if already is not None:
        raise AlreadyReversed(transfer_id=original.id)
