"""Races: threads with their own sessions hit the same accounts and keys at the same moment."""
from datetime import timedelta

from marketplace.database import utcnow
from marketplace.ledger import (AccountKind, HoldAlreadyResolved, InsufficientFunds,
                                expire_holds, hold, post, transfer, void)
from tests.ledger.conftest import verified


def test_double_spend_twenty_holds_on_one_voucher(books, race):
    voucher, receivable = books.voucher(1_000_000), books.account(AccountKind.PROVIDER_RECEIVABLE)
    outcomes = race(20, lambda session, i: hold(session, voucher, receivable, 100_000,
                                                key=f"order-{i}:hold"))
    won = [o for o in outcomes if not isinstance(o, Exception)]
    refused = [o for o in outcomes if isinstance(o, InsufficientFunds)]
    assert (len(won), len(refused)) == (10, 10), outcomes
    found = books.balance(voucher)
    assert (found.posted, found.pending, found.available) == (1_000_000, 1_000_000, 0)
    assert books.balance(receivable).incoming == 1_000_000
    assert verified().ok


def test_post_void_and_expiry_race_on_one_hold(books, race):
    voucher, receivable = books.voucher(10_000), books.account(AccountKind.PROVIDER_RECEIVABLE)
    deadline = utcnow() + timedelta(hours=1)
    held = books.run(lambda: hold(books.session, voucher, receivable, 4_000, timeout_at=deadline))
    contenders = [
        lambda session: post(session, held.id, key="race:post"),
        lambda session: void(session, held.id, key="race:void"),
        lambda session: expire_holds(session, deadline + timedelta(seconds=1)),
    ] * 3
    outcomes = race(len(contenders), lambda session, i: contenders[i](session))
    winners = [o for o in outcomes if not isinstance(o, (Exception, list))]
    winners += [e for o in outcomes if isinstance(o, list) for e in o]
    assert len({w.id for w in winners}) == 1, outcomes
    losers = [o for o in outcomes if isinstance(o, Exception)]
    assert all(isinstance(o, HoldAlreadyResolved) for o in losers), losers
    found = books.balance(voucher)
    expected_posted = 10_000 - (4_000 if winners[0].kind == "post" else 0)
    assert (found.posted, found.pending) == (expected_posted, 0)
    assert verified().ok


def test_opposite_direction_storm_never_surfaces_deadlocks(books, race):
    left, right = books.voucher(50_000), books.voucher(50_000)

    def storm(session, i):
        debit, credit = (left, right) if i % 2 else (right, left)
        for n in range(10):
            transfer(session, debit, credit, 100 + n, kind="adjust", key=f"storm-{i}-{n}")
            transfer(session, credit, debit, 100, kind="adjust", key=f"storm-back-{i}-{n}")
        return i

    outcomes = race(8, storm)
    assert outcomes == list(range(8))
    assert books.balance(left).posted + books.balance(right).posted == 100_000
    assert books.count() >= 160
    assert verified().ok


def test_concurrent_duplicates_write_one_transfer(books, race):
    voucher, receivable = books.voucher(10_000), books.account(AccountKind.PROVIDER_RECEIVABLE)
    before = books.count()
    outcomes = race(8, lambda session, i: hold(session, voucher, receivable, 2_500,
                                               key="order-42:hold"))
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert len({o.id for o in outcomes}) == 1
    assert books.count() == before + 1
    assert books.balance(voucher).available == 7_500
    assert verified().ok
