"""Balances as of a point in the chain, statements with running balances, reconciliation."""
import pytest

from marketplace.extensions import db
from marketplace.ledger import (AccountKind, TransferRequest, balance_as_of, batch, find_account,
                                hold, open_receivable_account, open_voucher_account, post,
                                reconciliation, statement, transfer, void)


def test_balance_as_of_sequence_and_time(books):
    voucher, receivable = books.voucher(10_000), books.account(AccountKind.PROVIDER_RECEIVABLE)
    first = books.run(lambda: transfer(db.session, voucher, receivable, 1_000, kind="adjust"))
    held = books.run(lambda: hold(db.session, voucher, receivable, 3_000))
    books.run(lambda: post(db.session, held.id, 2_000))
    then = balance_as_of(db.session, voucher, sequence=first.id)
    assert (then.posted, then.pending, then.available) == (9_000, 0, 9_000)
    during = balance_as_of(db.session, voucher, sequence=held.id)
    assert (during.posted, during.pending, during.available) == (9_000, 3_000, 6_000)
    assert balance_as_of(db.session, receivable, sequence=held.id).incoming == 3_000
    now = balance_as_of(db.session, voucher)
    assert (now.posted, now.pending) == (7_000, 0)
    assert now == books.balance(voucher)
    assert balance_as_of(db.session, voucher, at=first.created_at).posted == 9_000


def test_statement_pages_with_running_balance(books):
    voucher, receivable = books.voucher(10_000), books.account(AccountKind.PROVIDER_RECEIVABLE)
    for n in range(5):
        books.run(lambda: transfer(db.session, voucher, receivable, 100 * (n + 1), kind="adjust"))
    held = books.run(lambda: hold(db.session, voucher, receivable, 500))
    books.run(lambda: void(db.session, held.id))
    first = statement(db.session, voucher, limit=4)
    assert first.opening.posted == 0
    assert [line.posted_balance for line in first.lines] == [10_000, 9_900, 9_700, 9_400]
    second = statement(db.session, voucher, after_id=first.next_after, limit=4)
    assert [(line.posted_change, line.pending_change, line.posted_balance, line.pending_balance)
            for line in second.lines] == [(-400, 0, 9_000, 0), (-500, 0, 8_500, 0),
                                          (0, 500, 8_500, 500), (0, -500, 8_500, 0)]
    assert second.next_after is None
    assert second.lines[-1].posted_balance == books.balance(voucher).posted
    funder_lines = statement(db.session, books.program()[AccountKind.FUNDER]).lines
    assert [line.posted_balance for line in funder_lines] == [1_000_000]  # debit-normal


def test_program_reconciles_through_its_life(books):
    program = books.program(funded=100_000, code="HJ2026")
    program_id = find_account(db.session, program[AccountKind.PROGRAM_BUDGET]).program_id
    vouchers = [books.run(lambda: open_voucher_account(db.session, program_id, n, f"HJ2026-{n:06d}-X", 50 + n)).id
                for n in range(3)]
    receivable = books.run(lambda: open_receivable_account(db.session, program_id, "HJ2026", 9)).id
    budget = program[AccountKind.PROGRAM_BUDGET]
    books.run(lambda: batch(db.session, [TransferRequest(budget, v, 20_000, "issue") for v in vouchers]))
    held = books.run(lambda: hold(db.session, vouchers[0], receivable, 7_000))
    books.run(lambda: post(db.session, books.run(lambda: hold(db.session, vouchers[1], receivable, 5_000)).id))
    books.run(lambda: transfer(db.session, receivable, program[AccountKind.SETTLED], 5_000, kind="settle"))
    books.run(lambda: transfer(db.session, vouchers[2], program[AccountKind.LAPSED], 20_000, kind="lapse"))
    result = reconciliation(db.session, program_id)
    assert (result.funded, result.budget_left, result.vouchers_available, result.held,
            result.receivable, result.settled, result.lapsed) == \
        (100_000, 40_000, 28_000, 7_000, 0, 5_000, 20_000)
    assert result.balanced
    db.session.execute(db.text("UPDATE ledger_accounts SET credits_posted = credits_posted + 1 "
                               "WHERE id = :id"), {"id": vouchers[0]})
    assert not reconciliation(db.session, program_id).balanced
    db.session.rollback()
    books.run(lambda: void(db.session, held.id))
    assert reconciliation(db.session, program_id).balanced


def test_standard_accounts_are_idempotent_and_accept_objects(books):
    first = books.run(lambda: open_voucher_account(db.session, 1, 1, "HJ2026-000001-7", 5))
    again = books.run(lambda: open_voucher_account(db.session, 1, 1, "HJ2026-000001-7", 5))
    assert first.id == again.id and first.code == "voucher:HJ2026-000001-7"
    assert first.debits_must_not_exceed_credits and first.ledger == "voucher"
    receivable = books.run(lambda: open_receivable_account(db.session, 1, "HJ2026", 5))
    assert receivable.code == "program:HJ2026:receivable:5"
    with pytest.raises(Exception, match="insufficient|less than"):
        books.run(lambda: transfer(db.session, first, receivable, 1, kind="adjust"))
