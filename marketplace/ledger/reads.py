"""Read models: balances now and as of a point in the chain, statements with running balances
(keyset-paginated by sequence), per-program reconciliation, and transfer export rows."""
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, case, func, or_, select, union_all

from marketplace.database import built_once

from marketplace.ledger.accounts import find_account
from marketplace.ledger.models import DEBIT_NORMAL, RELEASING_KINDS, AccountKind
from marketplace.ledger.posting import TOTALS, accounts, links, transfers


@dataclass(frozen=True)
class Balance:
    """An account's four totals and what they mean on its normal side (credit for most kinds;
    debit for sources and assets such as the funder or Stripe clearing)."""

    account_id: int
    code: str
    kind: str
    debits_posted: int
    credits_posted: int
    debits_pending: int
    credits_pending: int

    @property
    def debit_normal(self):
        return self.kind in DEBIT_NORMAL

    @property
    def posted(self):
        net = self.credits_posted - self.debits_posted
        return -net if self.debit_normal else net

    @property
    def pending(self):
        """Amount held out of the account by open holds."""
        return self.credits_pending if self.debit_normal else self.debits_pending

    @property
    def incoming(self):
        """Amount held for the account by open holds, not yet posted to it."""
        return self.debits_pending if self.debit_normal else self.credits_pending

    @property
    def available(self):
        return self.posted - self.pending


def spendable(account):
    """What a credit-normal account (a voucher, a budget) can still spend: posted credits −
    posted debits − debits held by open holds. Works on an Account row and, in queries, on the
    Account class. The one formula every feature uses."""
    return account.credits_posted - account.debits_posted - account.debits_pending


def balance(session, ref):
    """Current balance of the account with this id or code (AccountNotFound otherwise)."""
    account = find_account(session, ref)
    return Balance(account.id, account.code, account.kind,
                   *(getattr(account, name) for name in TOTALS))


held_alias = transfers.alias("held")
HOLD_JOIN = transfers.outerjoin(held_alias, transfers.c.pending_id == held_alias.c.id)
POSTED_AMOUNT = case((or_(transfers.c.pending, transfers.c.kind.in_(sorted(map(str, RELEASING_KINDS)))), 0),
                     else_=transfers.c.amount)
PENDING_CHANGE = case((transfers.c.pending, transfers.c.amount), else_=0) \
    - func.coalesce(held_alias.c.amount, 0)


def balance_as_of(session, ref, *, sequence=None, at=None):
    """The account's balance after chain link `sequence`, or after everything written at or
    before `at` (an aware datetime), replayed from the transfers."""
    account = find_account(session, ref)
    conditions = []
    if sequence is not None:
        conditions.append(select(links.c.sequence).where(
            links.c.transfer_id == transfers.c.id, links.c.sequence <= sequence).exists())
    if at is not None:
        conditions.append(transfers.c.created_at <= at)
    return replayed_balance(session, account, conditions)


def replayed_balance(session, account, conditions):
    """The account's four totals over the transfers meeting `conditions`."""
    return balance_of(account, session.execute(replayed_balance_query(*conditions), {"account_id": account.id}).one())


def balance_of(account, sums):
    debits_posted, credits_posted, debits_pending, credits_pending = sums
    return Balance(account.id, account.code, account.kind, int(debits_posted),
                   int(credits_posted), int(debits_pending), int(credits_pending))


def replayed_balance_query(*conditions):
    account_id = bindparam("account_id")
    is_debit = transfers.c.debit_account_id == account_id
    sums = [func.coalesce(func.sum(case((side, amount), else_=0)), 0)
            for amount in (POSTED_AMOUNT, PENDING_CHANGE) for side in (is_debit, ~is_debit)]
    return select(*sums).select_from(HOLD_JOIN).where(
        or_(is_debit, transfers.c.credit_account_id == account_id), *conditions)


@dataclass(frozen=True)
class StatementLine:
    transfer_id: int
    created_at: object
    kind: str
    memo: str
    counterparty_id: int
    posted_change: int  # on the account's normal side
    pending_change: int  # held out (+) or released (−)
    posted_balance: int
    pending_balance: int


@dataclass(frozen=True)
class StatementPage:
    opening: Balance
    lines: list
    next_after: int | None  # pass as after_id for the next page; None on the last page


def statement(session, ref, *, after_id=0, limit=50):
    """One page of the account's transfers after transfer `after_id`, with running balances.

    Paged by transfer id: two transfers touching the same account cannot overlap (the second
    waits for the first's account lock and takes its id after the first commits), so on any one
    account id order is commit order."""
    account = find_account(session, ref)
    values = {"account_id": account.id, "after_id": after_id, "count": limit + 1}
    opening = balance_of(account, session.execute(_opening_query(), values).one())
    rows = session.execute(_statement_query(), values).all()
    lines = statement_lines(opening, rows[:limit])
    return StatementPage(opening, lines, lines[-1].transfer_id if len(rows) > limit else None)


@built_once
def _opening_query():
    return replayed_balance_query(transfers.c.id <= bindparam("after_id"))


@built_once
def _statement_query():
    """The page: transfers among the first :count after :after_id on :account_id."""
    return (select(transfers.c.id, transfers.c.created_at, transfers.c.kind, transfers.c.memo,
                   transfers.c.debit_account_id, transfers.c.credit_account_id,
                   POSTED_AMOUNT.label("posted"), PENDING_CHANGE.label("pending_change"))
            .select_from(HOLD_JOIN).where(transfers.c.id.in_(first_ids_on()))
            .order_by(transfers.c.id).limit(bindparam("count")))


def first_ids_on():
    """The first :count transfer ids after :after_id on either side of :account_id: the first
    :count of each side, each read in order from its (side, id) index, then merged. An OR of the
    two sides would read every transfer of the account and sort them."""
    sides = [select(transfers.c.id).where(column == bindparam("account_id"), transfers.c.id > bindparam("after_id"))
             .order_by(transfers.c.id).limit(bindparam("count")).subquery()
             for column in (transfers.c.debit_account_id, transfers.c.credit_account_id)]
    return union_all(*(select(side.c.id) for side in sides))


def statement_lines(opening, rows):
    posted, pending, lines = opening.posted, opening.pending, []
    for row in rows:
        outgoing = row.debit_account_id == opening.account_id
        sign = -1 if outgoing != opening.debit_normal else 1
        held = row.pending_change if outgoing != opening.debit_normal else 0
        posted += sign * row.posted
        pending += held
        counterparty = row.credit_account_id if outgoing else row.debit_account_id
        lines.append(StatementLine(row.id, row.created_at, row.kind, row.memo, counterparty,
                                   sign * row.posted, held, posted, pending))
    return lines


@dataclass(frozen=True)
class Reconciliation:
    """funded = budget left + Σ voucher balances + Σ held + Σ receivable + settled + lapsed
    − recovery claims. `funded` is net of what year-end close returned to the funder; a recovery
    claim is what providers owe back for settled redemptions that were clawed back."""

    program_id: int
    funded: int
    budget_left: int
    vouchers_available: int
    held: int
    receivable: int
    settled: int
    lapsed: int
    receivable_incoming: int  # pending credits on receivables; must equal `held`
    recovery: int = 0

    @property
    def accounted(self):
        return (self.budget_left + self.vouchers_available + self.held + self.receivable
                + self.settled + self.lapsed - self.recovery)

    @property
    def balanced(self):
        return self.funded == self.accounted and self.receivable_incoming == self.held


def reconciliation(session, program_id):
    """Reconcile a program from the accounts tagged with its id."""
    rows = session.execute(
        select(accounts.c.kind, *(func.coalesce(func.sum(accounts.c[name]), 0) for name in TOTALS))
        .where(accounts.c.program_id == program_id).group_by(accounts.c.kind)).all()
    return reconciled(program_id, {kind: [int(value) for value in sums] for kind, *sums in rows})


TOTALS_BY_PROGRAM = (select(accounts.c.program_id, accounts.c.kind, *(func.sum(accounts.c[name]) for name in TOTALS))
                     .where(accounts.c.program_id.is_not(None)).group_by(accounts.c.program_id, accounts.c.kind))


def reconciliations(session):
    """{program id: Reconciliation} for every program, from one grouped read."""
    totals = {}
    for program_id, kind, *sums in session.execute(TOTALS_BY_PROGRAM):
        totals.setdefault(program_id, {})[kind] = [int(value or 0) for value in sums]
    return {program_id: reconciled(program_id, kinds) for program_id, kinds in totals.items()}


def reconciled(program_id, totals):
    """A Reconciliation from {account kind: [debits posted, credits posted, debits pending, credits pending]}."""
    def net(kind, pending_out=False):
        dp, cp, dpend, _ = totals.get(kind, [0, 0, 0, 0])
        return cp - dp - (dpend if pending_out else 0)

    vouchers = totals.get(AccountKind.VOUCHER, [0, 0, 0, 0])
    return Reconciliation(
        program_id=program_id, funded=-net(AccountKind.FUNDER),
        budget_left=net(AccountKind.PROGRAM_BUDGET),
        vouchers_available=net(AccountKind.VOUCHER, pending_out=True), held=vouchers[2],
        receivable=net(AccountKind.PROVIDER_RECEIVABLE), settled=net(AccountKind.SETTLED),
        lapsed=net(AccountKind.LAPSED), recovery=-net(AccountKind.RECOVERY),
        receivable_incoming=totals.get(AccountKind.PROVIDER_RECEIVABLE, [0, 0, 0, 0])[3])


def transfers_since(session, since, *, chunk_size=5_000):
    """Transfers written at or after `since` (aware datetime), in sequence order, as rows with
    the debit and credit account codes; streamed."""
    debit, credit = accounts.alias("debit"), accounts.alias("credit")
    statement = (
        select(links.c.sequence, transfers.c.id.label("transfer_id"), transfers.c.created_at, transfers.c.ledger,
               transfers.c.kind, debit.c.code.label("debit"), credit.c.code.label("credit"),
               transfers.c.amount, transfers.c.pending, transfers.c.pending_id,
               transfers.c.reverses_id, transfers.c.order_id, transfers.c.application_id,
               transfers.c.settlement_id, transfers.c.voucher_id, transfers.c.actor_id,
               transfers.c.memo, transfers.c.idempotency_key, links.c.hash)
        .join_from(transfers, debit, and_(debit.c.id == transfers.c.debit_account_id))
        .join(credit, credit.c.id == transfers.c.credit_account_id)
        .join(links, links.c.transfer_id == transfers.c.id)
        .where(transfers.c.created_at >= since).order_by(links.c.sequence))
    return session.execute(statement, execution_options={"yield_per": chunk_size})
