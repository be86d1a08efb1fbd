"""Stateful property test: random valid and invalid operations against an in-memory model.

All examples share one migrated database (fresh accounts per example), so the verifier and the
global invariants also see every earlier example's history."""
import itertools
from datetime import timedelta

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import text

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.ledger import (AccountKind, AlreadyReversed, HoldAlreadyResolved, HoldExpired,
                                IdempotencyConflict, InsufficientFunds, InvalidAmount,
                                NotReversible, PostExceedsHold, SameAccount, balance_as_of,
                                expire_holds, hold, open_account, post, reverse,
                                run_in_transaction, transfer, verify, void)

EXAMPLES = 200
_examples = itertools.count()
# Index 0 is an unguarded source (the funder); the others may never go below zero.
KINDS = [AccountKind.FUNDER, AccountKind.PROGRAM_BUDGET, AccountKind.VOUCHER, AccountKind.VOUCHER,
         AccountKind.PROVIDER_RECEIVABLE]
ACCOUNT = st.integers(0, len(KINDS) - 1)
AMOUNT = st.integers(-2, 3_000)
PICK = st.integers(0, 10**6)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.session = db.session
        self.prefix = f"m{next(_examples)}"
        self.keys = itertools.count()
        self.clock = utcnow()
        accounts = self.run(lambda: [
            open_account(self.session, f"{self.prefix}:{n}", kind) for n, kind in enumerate(KINDS)])
        self.ids = [account.id for account in accounts]
        self.totals = {account_id: [0, 0, 0, 0] for account_id in self.ids}
        self.holds = {}  # hold id → [debit, credit, amount, timeout_at, resolution kind or None]
        self.posted = {}  # reversible transfer id → (debit, credit, amount)
        self.reversed = set()
        self.written = []  # (operation, record) that may be retried with the same key
        self.count = self.transfer_count()

    # -- plumbing -----------------------------------------------------------------------------

    def run(self, work):
        return run_in_transaction(self.session, work)

    def attempt(self, work, expected_error):
        """Run work; it must raise exactly `expected_error` (a class) or succeed if None."""
        try:
            record = self.run(work)
        except Exception as error:
            assert expected_error is not None and isinstance(error, expected_error), error
            return None
        assert expected_error is None, f"expected {expected_error.__name__}, got {record}"
        self.count += 1
        return record

    def key(self):
        return f"{self.prefix}:{next(self.keys)}"

    def transfer_count(self):
        count = self.session.scalar(text("SELECT count(*) FROM ledger_transfers"))
        self.session.rollback()
        return count

    def available(self, index):
        debits_posted, credits_posted, debits_pending, _ = self.totals[self.ids[index]]
        return credits_posted - debits_posted - debits_pending

    def move(self, debit, credit, posted=0, pending=0):
        self.totals[debit][0] += posted
        self.totals[credit][1] += posted
        self.totals[debit][2] += pending
        self.totals[credit][3] += pending

    def refusal(self, debit, credit, amount):
        if amount <= 0:
            return InvalidAmount
        if debit == credit:
            return SameAccount
        if debit != 0 and self.available(debit) < amount:
            return InsufficientFunds
        return None

    # -- rules ----------------------------------------------------------------------------------

    @rule(debit=ACCOUNT, credit=ACCOUNT, amount=AMOUNT)
    def single_phase(self, debit, credit, amount):
        key = self.key()

        def work():
            return transfer(self.session, self.ids[debit], self.ids[credit], amount,
                            kind="adjust", key=key)

        record = self.attempt(work, self.refusal(debit, credit, amount))
        if record:
            self.move(self.ids[debit], self.ids[credit], posted=amount)
            self.posted[record.id] = (self.ids[debit], self.ids[credit], amount)
            self.written.append((work, record))

    @rule(debit=ACCOUNT, credit=ACCOUNT, amount=AMOUNT, timeout=st.none() | st.integers(1, 900))
    def place_hold(self, debit, credit, amount, timeout):
        key = self.key()
        timeout_at = None if timeout is None else self.clock + timedelta(seconds=timeout)

        def work():
            return hold(self.session, self.ids[debit], self.ids[credit], amount, key=key,
                        timeout_at=timeout_at)

        record = self.attempt(work, self.refusal(debit, credit, amount))
        if record:
            self.move(self.ids[debit], self.ids[credit], pending=amount)
            self.holds[record.id] = [self.ids[debit], self.ids[credit], amount, timeout_at, None]
            self.written.append((work, record))

    def pick_hold(self, pick):
        return sorted(self.holds)[pick % len(self.holds)] if self.holds else None

    @rule(pick=PICK, amount=st.none() | st.integers(1, 3_100))
    def post_hold(self, pick, amount):
        hold_id = self.pick_hold(pick)
        if hold_id is None:
            return
        debit, credit, held, timeout_at, resolution = self.holds[hold_id]
        expected = (HoldAlreadyResolved if resolution else
                    HoldExpired if timeout_at is not None and self.clock >= timeout_at else
                    PostExceedsHold if amount is not None and amount > held else None)
        record = self.attempt(lambda: post(self.session, hold_id, amount, key=self.key(),
                                           now=self.clock), expected)
        if record:
            self.move(debit, credit, posted=record.amount, pending=-held)
            self.holds[hold_id][4] = "post"
            self.posted[record.id] = (debit, credit, record.amount)

    @rule(pick=PICK)
    def void_hold(self, pick):
        hold_id = self.pick_hold(pick)
        if hold_id is None:
            return
        debit, credit, held, _, resolution = self.holds[hold_id]
        record = self.attempt(lambda: void(self.session, hold_id, key=self.key()),
                              HoldAlreadyResolved if resolution else None)
        if record:
            self.move(debit, credit, pending=-held)
            self.holds[hold_id][4] = "void"

    @rule(seconds=st.integers(0, 600))
    def advance_clock_and_expire(self, seconds):
        self.clock += timedelta(seconds=seconds)
        expired = self.run(lambda: expire_holds(self.session, self.clock))
        self.count += len(expired)
        mine = {record.pending_id for record in expired} & set(self.holds)
        due = {hold_id for hold_id, (_, _, _, timeout_at, resolution) in self.holds.items()
               if resolution is None and timeout_at is not None and timeout_at <= self.clock}
        assert mine == due
        for hold_id in mine:
            debit, credit, held, _, _ = self.holds[hold_id]
            self.move(debit, credit, pending=-held)
            self.holds[hold_id][4] = "expire"

    @rule(pick=PICK)
    def reverse_transfer(self, pick):
        candidates = sorted([*self.posted, *self.holds])
        if not candidates:
            return
        transfer_id = candidates[pick % len(candidates)]
        if transfer_id in self.holds:
            expected = NotReversible
        elif transfer_id in self.reversed:
            expected = AlreadyReversed
        else:
            debit, credit, amount = self.posted[transfer_id]
            guarded = credit != self.ids[0]
            expected = InsufficientFunds if guarded and self.available(self.ids.index(credit)) \
                < amount else None
        record = self.attempt(lambda: reverse(self.session, transfer_id, key=self.key()),
                              expected)
        if record:
            self.move(credit, debit, posted=amount)
            self.reversed.add(transfer_id)
            self.posted[record.id] = (credit, debit, amount)

    @rule(pick=PICK)
    def retry_with_same_key(self, pick):
        if not self.written:
            return
        work, original = self.written[pick % len(self.written)]
        assert self.run(work) == original

    @rule(pick=PICK)
    def reuse_key_for_another_request(self, pick):
        if not self.written:
            return
        _, original = self.written[pick % len(self.written)]
        self.attempt(lambda: transfer(self.session, original.debit_account_id,
                                      original.credit_account_id, original.amount + 1,
                                      kind="adjust", key=original.idempotency_key),
                     IdempotencyConflict)

    # -- invariants -----------------------------------------------------------------------------

    @invariant()
    def books_balance_and_match_the_model(self):
        sums = self.session.execute(text(
            "SELECT sum(debits_posted), sum(credits_posted), sum(debits_pending), "
            "sum(credits_pending) FROM ledger_accounts")).one()
        assert sums[0] == sums[1] and sums[2] == sums[3]
        overdrawn = self.session.scalar(text(
            "SELECT count(*) FROM ledger_accounts WHERE debits_must_not_exceed_credits AND "
            "debits_posted + debits_pending > credits_posted"))
        assert overdrawn == 0
        for account_id in self.ids:
            row = self.session.execute(text(
                "SELECT debits_posted, credits_posted, debits_pending, credits_pending "
                "FROM ledger_accounts WHERE id = :id"), {"id": account_id}).one()
            assert list(row) == self.totals[account_id]
            replayed = balance_as_of(self.session, account_id)
            assert [replayed.debits_posted, replayed.credits_posted, replayed.debits_pending,
                    replayed.credits_pending] == self.totals[account_id]

    @invariant()
    def holds_resolve_once_within_their_amount(self):
        bad = self.session.scalar(text(
            "SELECT count(*) FROM ledger_transfers r JOIN ledger_transfers h ON r.pending_id = h.id "
            "WHERE NOT h.pending OR r.amount > h.amount OR (r.kind <> 'post' AND r.amount <> h.amount)"))
        assert bad == 0
        self.session.rollback()
        assert self.transfer_count() == self.count

    @invariant()
    def verifier_passes(self):
        self.session.rollback()
        result = verify(db.engine)
        assert result.ok, result.summary()


def test_ledger_matches_model_under_random_operations(app):
    first = next(_examples)
    run_state_machine_as_test(LedgerMachine, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=12, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    assert next(_examples) - first > EXAMPLES  # every example builds one machine
