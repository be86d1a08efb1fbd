"""Single operations: what they write, what they refuse, and idempotent retries."""
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.ledger import chain
from marketplace.ledger import (AccountClosed, AccountKind, AccountNotFound, AlreadyReversed,
                                HoldAlreadyResolved, HoldExpired, IdempotencyConflict,
                                InsufficientFunds, InvalidAmount, LedgerMismatch, NotAHold,
                                NotReversible, PostExceedsHold, SameAccount, TransferRequest,
                                UnknownKind, batch, close_account, expire_holds, hold, post,
                                reverse, transfer, void)
from tests.ledger.conftest import verified


def totals(books, ref):
    found = books.balance(ref)
    return found.posted, found.pending, found.available


def test_transfer_moves_posted_totals_and_chains(books):
    program = books.program(funded=50_000)
    voucher = books.voucher(10_000, program=program)
    assert totals(books, voucher) == (10_000, 0, 10_000)
    assert books.balance(program[AccountKind.PROGRAM_BUDGET]).posted == 40_000
    assert books.balance(program[AccountKind.FUNDER]).posted == 50_000
    rows = db.session.execute(text(
        "SELECT c.sequence, c.prev_hash, c.hash, t.content_hash, t.id FROM ledger_chain c "
        "JOIN ledger_transfers t ON t.id = c.transfer_id ORDER BY c.sequence")).all()
    assert [row.sequence for row in rows] == [1, 2]
    assert rows[0].prev_hash == "0" * 64 and rows[1].prev_hash == rows[0].hash
    # The database (trigger on PostgreSQL) and Python (SQLite) link with the documented formula.
    assert rows[1].hash == chain.link(2, rows[1].id, rows[0].hash, rows[1].content_hash)
    head = db.session.execute(text("SELECT sequence, hash FROM ledger_head")).one()
    assert tuple(head) == (2, rows[1].hash)
    assert verified().ok


def test_overdraft_refused_and_nothing_written(books):
    voucher, receivable = books.voucher(1_000), books.account(AccountKind.PROVIDER_RECEIVABLE)
    before = books.count()
    with pytest.raises(InsufficientFunds, match="¥10.00 available"):
        books.run(lambda: transfer(db.session, voucher, receivable, 1_001, kind="adjust"))
    assert books.count() == before
    assert totals(books, voucher) == (1_000, 0, 1_000)


def test_database_check_refuses_overdraft_written_behind_the_service(books):
    voucher = books.voucher(1_000)
    with pytest.raises(IntegrityError, match="debits_within_credits"):
        db.session.execute(text("UPDATE ledger_accounts SET debits_pending = 1001 WHERE id = :id"),
                           {"id": voucher})
    db.session.rollback()


@pytest.mark.parametrize("amount", [0, -5, 1.5, "100", True, 10**15])
def test_invalid_amounts_refused(books, amount):
    voucher, receivable = books.voucher(1_000), books.account(AccountKind.PROVIDER_RECEIVABLE)
    with pytest.raises(InvalidAmount):
        books.run(lambda: transfer(db.session, voucher, receivable, amount, kind="adjust"))


def test_refusals_name_the_problem(books):
    voucher, receivable = books.voucher(1_000), books.account(AccountKind.PROVIDER_RECEIVABLE)
    cash = books.account(AccountKind.PROVIDER_PAYABLE)
    with pytest.raises(LedgerMismatch):
        books.run(lambda: transfer(db.session, voucher, cash, 10, kind="adjust"))
    with pytest.raises(SameAccount):
        books.run(lambda: transfer(db.session, voucher, voucher, 10, kind="adjust"))
    with pytest.raises(AccountNotFound, match="voucher:nope"):
        books.run(lambda: transfer(db.session, voucher, "voucher:nope", 10, kind="adjust"))
    with pytest.raises(UnknownKind):
        books.run(lambda: transfer(db.session, voucher, receivable, 10, kind="gift"))
    with pytest.raises(UnknownKind):
        books.run(lambda: transfer(db.session, voucher, receivable, 10, kind="post"))
    books.run(lambda: close_account(db.session, receivable))
    with pytest.raises(AccountClosed):
        books.run(lambda: transfer(db.session, voucher, receivable, 10, kind="adjust"))
    assert totals(books, voucher) == (1_000, 0, 1_000)


def test_partial_post_releases_the_rest(books):
    voucher, receivable = books.voucher(10_000), books.account(AccountKind.PROVIDER_RECEIVABLE)
    held = books.run(lambda: hold(db.session, voucher, receivable, 6_000, order_id=7))
    assert totals(books, voucher) == (10_000, 6_000, 4_000)
    assert books.balance(receivable).incoming == 6_000
    posted = books.run(lambda: post(db.session, held.id, 2_500))
    assert (posted.pending_id, posted.amount, posted.order_id) == (held.id, 2_500, 7)
    assert totals(books, voucher) == (7_500, 0, 7_500)
    assert totals(books, receivable) == (2_500, 0, 2_500)
    with pytest.raises(HoldAlreadyResolved, match="posted"):
        books.run(lambda: void(db.session, held.id))
    with pytest.raises(NotAHold):
        books.run(lambda: post(db.session, posted.id))


def test_void_and_post_limits(books):
    voucher, receivable = books.voucher(10_000), books.account(AccountKind.PROVIDER_RECEIVABLE)
    held = books.run(lambda: hold(db.session, voucher, receivable, 3_000))
    with pytest.raises(PostExceedsHold):
        books.run(lambda: post(db.session, held.id, 3_001))
    books.run(lambda: void(db.session, held.id))
    assert totals(books, voucher) == (10_000, 0, 10_000)
    with pytest.raises(HoldAlreadyResolved, match="voided"):
        books.run(lambda: post(db.session, held.id))


def test_expiry_releases_due_holds_only(books):
    voucher, receivable = books.voucher(10_000), books.account(AccountKind.PROVIDER_RECEIVABLE)
    now = utcnow()
    due = books.run(lambda: hold(db.session, voucher, receivable, 1_000,
                                 timeout_at=now + timedelta(minutes=5)))
    later = books.run(lambda: hold(db.session, voucher, receivable, 2_000,
                                   timeout_at=now + timedelta(hours=5)))
    with pytest.raises(HoldExpired):
        books.run(lambda: post(db.session, due.id, now=now + timedelta(minutes=5)))
    expired = books.run(lambda: expire_holds(db.session, now + timedelta(minutes=10)))
    assert [(e.pending_id, e.kind, e.amount) for e in expired] == [(due.id, "expire", 1_000)]
    assert books.run(lambda: expire_holds(db.session, now + timedelta(minutes=10))) == []
    assert totals(books, voucher) == (10_000, 2_000, 8_000)
    books.run(lambda: post(db.session, later.id, now=now))
    assert totals(books, voucher) == (8_000, 0, 8_000)


def test_reverse_once_and_only_posted_transfers(books):
    voucher, receivable = books.voucher(10_000), books.account(AccountKind.PROVIDER_RECEIVABLE)
    moved = books.run(lambda: transfer(db.session, voucher, receivable, 4_000, kind="adjust"))
    held = books.run(lambda: hold(db.session, voucher, receivable, 1_000))
    undo = books.run(lambda: reverse(db.session, moved.id, memo="clawback"))
    assert (undo.debit_account_id, undo.credit_account_id, undo.reverses_id) == \
        (receivable, voucher, moved.id)
    assert totals(books, voucher) == (10_000, 1_000, 9_000)
    with pytest.raises(AlreadyReversed):
        books.run(lambda: reverse(db.session, moved.id))
    with pytest.raises(NotReversible):
        books.run(lambda: reverse(db.session, held.id))


def test_reversal_cannot_overdraw(books):
    voucher, receivable = books.voucher(10_000), books.account(AccountKind.PROVIDER_RECEIVABLE)
    moved = books.run(lambda: transfer(db.session, voucher, receivable, 4_000, kind="adjust"))
    books.run(lambda: transfer(db.session, receivable, books.account(AccountKind.SETTLED),
                               4_000, kind="settle"))
    with pytest.raises(InsufficientFunds):
        books.run(lambda: reverse(db.session, moved.id))


def test_batch_is_all_or_nothing(books):
    program = books.program(funded=5_000)
    vouchers = [books.account(AccountKind.VOUCHER) for _ in range(3)]
    budget = program[AccountKind.PROGRAM_BUDGET]
    before = books.count()
    too_much = [TransferRequest(budget, v, 2_000, "issue", key=f"b{i}") for i, v in enumerate(vouchers)]
    with pytest.raises(InsufficientFunds):
        books.run(lambda: batch(db.session, too_much))
    assert books.count() == before
    fits = [TransferRequest(budget, v, 1_500, "issue", key=f"b{i}") for i, v in enumerate(vouchers)]
    written = books.run(lambda: batch(db.session, fits))
    assert [w.id for w in written] == [before + 1, before + 2, before + 3]
    assert books.run(lambda: batch(db.session, fits)) == written
    assert books.count() == before + 3
    assert books.balance(budget).posted == 500
    assert verified().ok


def test_idempotent_retry_and_conflicting_reuse(books):
    voucher, receivable = books.voucher(10_000), books.account(AccountKind.PROVIDER_RECEIVABLE)
    first = books.run(lambda: hold(db.session, voucher, receivable, 1_000, key="order-1:hold"))
    again = books.run(lambda: hold(db.session, voucher, receivable, 1_000, key="order-1:hold"))
    assert again == first
    assert totals(books, voucher) == (10_000, 1_000, 9_000)
    with pytest.raises(IdempotencyConflict, match="order-1:hold"):
        books.run(lambda: hold(db.session, voucher, receivable, 1_001, key="order-1:hold"))
    posted = books.run(lambda: post(db.session, first.id, key="order-1:post"))
    assert books.run(lambda: post(db.session, first.id, key="order-1:post")) == posted
    with pytest.raises(IdempotencyConflict):
        books.run(lambda: void(db.session, first.id, key="order-1:post"))
    batch_conflict = [TransferRequest(voucher, receivable, 5, "adjust", key="order-1:post"),
                      TransferRequest(voucher, receivable, 5, "adjust", key="fresh")]
    with pytest.raises(IdempotencyConflict):
        books.run(lambda: batch(db.session, batch_conflict))
    assert totals(books, voucher) == (9_000, 0, 9_000)


def test_operations_join_the_callers_transaction(books):
    voucher, receivable = books.voucher(10_000), books.account(AccountKind.PROVIDER_RECEIVABLE)
    before = books.count()
    hold(db.session, voucher, receivable, 1_000, key="joined")
    transfer(db.session, voucher, receivable, 500, kind="adjust")
    db.session.rollback()  # the caller's order failed: nothing of the ledger work remains
    assert books.count() == before
    assert totals(books, voucher) == (10_000, 0, 10_000)
    assert verified().ok
