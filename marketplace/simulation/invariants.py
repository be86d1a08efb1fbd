"""The global invariants the simulation checks after every step. Each check returns a list of
problems (empty when it holds). They read the database directly and recompute every figure from
the ledger and the payment rows, independently of the services that wrote them."""
from functools import cache

from sqlalchemy import and_, case, func, or_, select

from marketplace import ledger
from marketplace.audit import reports
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.jobs.models import JobFailure
from marketplace.ledger.models import Transfer
from marketplace.orders.expiry import TIMED_STATES, frozen_provider_ids
from marketplace.orders.lifecycle import TRANSITIONS
from marketplace.orders.models import (
    CLOSED_STATES,
    DONE_STATES,
    Order,
    OrderStatus,
    OrderVoucher,
)
from marketplace.orders.pricing import allowed_share
from marketplace.payments.models import Payment, PaymentStatus, Refund
from marketplace.payments.services import cash_reconciliation
from marketplace.vouchers.models import EnterpriseQuota, Voucher, VoucherProgram
from marketplace.vouchers.rules import local_date


def programs_reconcile():
    """funded = budget left + Σ voucher balances + Σ held + Σ receivable + settled + lapsed, for
    every program, from one grouped read of the accounts (ledger.reconciliation's identity)."""
    problems = []
    for program_id, figures in ledger.reconciliations(db.session).items():
        if not figures.balanced:
            problems.append(f"program {program_id} does not reconcile: {figures}")
    return problems


def caps_hold():
    """No enterprise above its cap, and the quota rows count every voucher issued."""
    issued = dict(((p, o), int(total)) for p, o, total in db.session.execute(
        select(Voucher.program_id, Voucher.organisation_id, func.sum(Voucher.face_value_fen))
        .group_by(Voucher.program_id, Voucher.organisation_id)))
    caps = dict(db.session.execute(select(VoucherProgram.id, VoucherProgram.enterprise_cap_fen)).all())
    quotas = {(q.program_id, q.organisation_id): q.issued_fen for q in db.session.scalars(select(EnterpriseQuota))}
    problems = [f"enterprise {o} holds {total} in program {p}, above the cap {caps[p]}"
                for (p, o), total in issued.items() if total > caps[p]]
    problems += [f"quota of enterprise {o} in program {p} says {quotas.get((p, o))}, vouchers say {total}"
                 for (p, o), total in issued.items() if quotas.get((p, o)) != total]
    return problems


@cache
def ledger_share_rows():
    """Per order, from the ledger alone: the voucher share held or posted, and open holds."""
    hold, resolution = Transfer.__table__.alias("hold"), Transfer.__table__.alias("resolution")
    share = case((resolution.c.id.is_(None), hold.c.amount), (resolution.c.kind == "post", resolution.c.amount), else_=0)
    return (select(hold.c.order_id.label("order_id"), func.sum(share).label("share"),
                   func.sum(case((resolution.c.id.is_(None), 1), else_=0)).label("open_holds"))
            .select_from(hold.outerjoin(resolution, resolution.c.pending_id == hold.c.id))
            .where(hold.c.pending.is_(True), hold.c.order_id.is_not(None)).group_by(hold.c.order_id).subquery())


def order_figures():
    """Every order's stored figures equal the ledger and the payment rows; closed orders hold and
    keep nothing; done orders keep exactly their cash share. One set-based query: only the
    orders that break a rule come back."""
    rows = db.session.execute(broken_orders()).all()
    return [f"order {r[0]} ({r[1]}): voucher {r[2]} (ledger {r[3]}), cash share {r[4]}, paid {r[5]} (rows {r[6]}), "
            f"refunded {r[7]} (rows {r[8]}), open holds {r[9]}" for r in rows]


@cache
def clawed_back_rows():
    """Per order: what the ledger took back (reversed posts, clawbacks) and what its holds say."""
    taken = (select(Transfer.order_id.label("order_id"), func.sum(Transfer.amount).label("ledger"))
             .where(Transfer.ledger == "voucher", Transfer.kind.in_(("reverse", "clawback")),
                    Transfer.order_id.is_not(None)).group_by(Transfer.order_id).subquery())
    noted = (select(OrderVoucher.order_id.label("order_id"), func.sum(OrderVoucher.clawed_back_fen).label("noted"))
             .group_by(OrderVoucher.order_id).subquery())
    return taken, noted


@cache
def broken_orders():
    shares = ledger_share_rows()
    taken, noted = clawed_back_rows()
    paid = (select(Payment.order_id, func.sum(Payment.amount_fen).label("paid")).where(
        Payment.status == PaymentStatus.SUCCEEDED).group_by(Payment.order_id).subquery())
    refunded = (select(Payment.order_id, func.sum(Refund.amount_fen).label("refunded"))
                .join(Payment, Payment.id == Refund.payment_id).group_by(Payment.order_id).subquery())
    share = func.coalesce(shares.c.share, 0) - func.coalesce(taken.c.ledger, 0)
    holds = func.coalesce(shares.c.open_holds, 0)
    cash_paid, cash_refunded = func.coalesce(paid.c.paid, 0), func.coalesce(refunded.c.refunded, 0)
    received = cash_paid - cash_refunded
    broken = or_(
        Order.voucher_fen != share, func.coalesce(taken.c.ledger, 0) != func.coalesce(noted.c.noted, 0), Order.cash_paid_fen != cash_paid, Order.cash_refunded_fen != cash_refunded,
        and_(Order.status.in_(CLOSED_STATES), or_(share != 0, received != 0, holds != 0)),
        and_(Order.status.in_(DONE_STATES), or_(holds != 0, received != Order.cash_fen)),
        and_(Order.status == OrderStatus.PLACED, received != 0),
        and_(Order.status == OrderStatus.PAID, received != Order.cash_fen),
        and_(Order.status.not_in(CLOSED_STATES), or_(received < 0, received > Order.cash_fen)))
    return (select(Order.number, Order.status, Order.voucher_fen, share, Order.cash_fen, Order.cash_paid_fen, cash_paid,
                   Order.cash_refunded_fen, cash_refunded, holds)
            .outerjoin(shares, shares.c.order_id == Order.id).outerjoin(paid, paid.c.order_id == Order.id)
            .outerjoin(refunded, refunded.c.order_id == Order.id).outerjoin(taken, taken.c.order_id == Order.id)
            .outerjoin(noted, noted.c.order_id == Order.id).where(broken).limit(20))


class TermsCheck:
    """No order's voucher share above what the terms it was priced under allow. Terms never
    change after placement, so each order's allowance is read once."""

    def __init__(self):
        self.allowed = {}

    def __call__(self):
        shares = ledger_share_rows()
        rows = db.session.execute(select(Order.id, Order.number, shares.c.share)
                                  .join(shares, shares.c.order_id == Order.id).where(shares.c.share > 0)).all()
        missing = [order_id for order_id, _number, _share in rows if order_id not in self.allowed]
        for order_id, terms in db.session.execute(select(Order.id, Order.terms).where(Order.id.in_(missing))):
            self.allowed[order_id] = sum(allowed_share(part) for part in (terms or {}).get("parts", []))
        return [f"order {number}: voucher share {share} above its terms' {self.allowed[order_id]}"
                for order_id, number, share in rows if share > self.allowed[order_id]]


def related_parties_without_vouchers():
    """No order priced with a voucher share while its enterprise and provider were related (an
    affiliation recorded before the order and not ended until after it) unless the order used an
    approved exception, the one its terms name. (Same-instant cases are left out: the simulated
    clock stands still between clock steps, so the order of the two is not in the timestamps.)"""
    from marketplace.parties.models import Affiliation, PartyException

    same_pair = or_(and_(Affiliation.organisation_a_id == Order.enterprise_id, Affiliation.organisation_b_id == Order.provider_id),
                    and_(Affiliation.organisation_a_id == Order.provider_id, Affiliation.organisation_b_id == Order.enterprise_id))
    rows = db.session.execute(
        select(Order.number, Order.terms, PartyException.id, Affiliation.id)
        .join(Affiliation, same_pair).outerjoin(PartyException, PartyException.used_order_id == Order.id)
        .where(Affiliation.created_at < Order.created_at,
               or_(Affiliation.ended_at.is_(None), Affiliation.ended_at > Order.created_at))).all()
    problems = []
    for number, terms, exception_id, affiliation_id in rows:
        terms = terms or {}
        named = (terms.get("related_party_exception") or {}).get("id")
        if terms.get("voucher_fen", 0) > 0 and (exception_id is None or named != exception_id):
            problems.append(f"order {number}: voucher share {terms['voucher_fen']} between parties related by "
                            f"affiliation {affiliation_id}, exception used {exception_id}, named {named}")
    return problems


def holds_match_orders():
    """Each order's hold rows agree with the ledger's holds (posted_fen set once resolved)."""
    resolution = Transfer.__table__.alias("resolution")
    expected = case((resolution.c.id.is_(None), None), (resolution.c.kind == "post", resolution.c.amount), else_=0)
    rows = db.session.execute(select(OrderVoucher.id, OrderVoucher.posted_fen, resolution.c.kind, resolution.c.amount)
                              .outerjoin(resolution, resolution.c.pending_id == OrderVoucher.hold_id)
                              .where(OrderVoucher.posted_fen.is_distinct_from(expected)).limit(20)).all()
    return [f"order hold {held_id}: posted_fen {posted}, ledger says {kind} {amount}"
            for held_id, posted, kind, amount in rows]


def dead_vouchers_empty():
    """No money on a revoked voucher, nor on an expired one once expiry has run."""
    today = local_date(utcnow())
    rows = db.session.execute(select(Voucher.number, Voucher.revoked_at, Voucher.lapsed_at, VoucherProgram.use_by,
                                     ledger.spendable(ledger.Account))
                              .join(VoucherProgram).join(ledger.Account, ledger.Account.id == Voucher.account_id)
                              .where(ledger.spendable(ledger.Account) > 0))
    return [f"voucher {number} keeps {left} after being {'revoked' if revoked else 'expired'}"
            for number, revoked, lapsed, use_by, left in rows
            if revoked is not None or (lapsed is not None and use_by < today)]


def every_order_can_move():
    """Every order is terminal or someone may act on it: no state without a way out, and after a
    worker pass no deadline lies in the past (frozen orders excepted)."""
    states_with_moves = {state for state, _action in TRANSITIONS}
    terminal = set(CLOSED_STATES) | {OrderStatus.SETTLED}
    stuck = db.session.scalars(select(Order.number).where(Order.status.not_in(states_with_moves | terminal))).all()
    return [f"order {number} has no legal next step" for number in stuck]


def deadlines_honoured(now):
    """Right after a full worker pass: no order of an active provider sits past its deadline."""
    late = db.session.scalars(select(Order.number).where(
        Order.status.in_(TIMED_STATES), Order.due_at <= now,
        Order.provider_id.not_in(frozen_provider_ids()))).all()
    return [f"order {number} is past its deadline after the worker ran" for number in late]


def worker_clean():
    failures = db.session.scalars(select(JobFailure).where(JobFailure.resolved_at.is_(None))).all()
    return [f"worker job {f.job} failed on {f.item}: {f.error}" for f in failures]


def cash_reconciles():
    figures = cash_reconciliation()
    return [] if figures.balanced else [f"cash does not reconcile: {figures}"]


def reports_match_ledger():
    """The audit console's voucher-use figures equal the ledger's posted voucher money, net of
    clawbacks (reversed posts and recovery claims)."""
    def moved(*kinds):
        return int(db.session.scalar(select(func.coalesce(func.sum(Transfer.amount), 0)).where(
            Transfer.ledger == "voucher", Transfer.kind.in_(kinds))))

    posted = moved("post") - moved("reverse", "clawback")
    by_category = sum(row[3] for row in reports.by_category().rows)
    by_program = sum(row[4] for row in reports.by_program().rows)
    if posted == by_category == by_program:
        return []
    return [f"reports say voucher use {by_category} (categories) / {by_program} (programs), ledger posts {posted}"]


def payouts_match():
    """Paid out ≤ received: no order's payout items exceed the cash ever paid for it; each
    provider's payouts in the ledger equal its paid batch lines; its payable equals the cash
    received for its orders less what was paid out (negative: a refund after payout, carried)."""
    from marketplace.payouts.models import PayoutBatch, PayoutItem, PayoutLine

    over = db.session.execute(select(Order.number, func.sum(PayoutItem.amount_fen), Order.cash_paid_fen)
                              .join(PayoutItem, PayoutItem.order_id == Order.id)
                              .group_by(Order.id, Order.number, Order.cash_paid_fen)
                              .having(func.sum(PayoutItem.amount_fen) > Order.cash_paid_fen)).all()
    problems = [f"order {number}: paid out {paid_out} of {received} received" for number, paid_out, received in over]
    lines = dict(db.session.execute(select(PayoutLine.provider_id, func.sum(PayoutLine.amount_fen)).join(PayoutBatch)
                                    .where(PayoutBatch.status == "paid").group_by(PayoutLine.provider_id)).all())
    received = dict(db.session.execute(select(Order.provider_id, func.sum(Order.cash_paid_fen - Order.cash_refunded_fen))
                                       .group_by(Order.provider_id)).all())
    for account in db.session.scalars(select(ledger.Account).where(ledger.Account.kind == "provider_payable")):
        paid_out = account.debits_posted - int(db.session.scalar(
            select(func.coalesce(func.sum(Refund.amount_fen), 0)).join(Payment).join(Order)
            .where(Order.provider_id == account.organisation_id)))
        expected = int(received.get(account.organisation_id, 0)) - int(lines.get(account.organisation_id, 0))
        if paid_out != int(lines.get(account.organisation_id, 0)) or \
                account.credits_posted - account.debits_posted != expected:
            problems.append(f"provider {account.organisation_id}: payable {account.credits_posted - account.debits_posted}, "
                            f"expected {expected}; ledger payouts {paid_out}, paid lines {lines.get(account.organisation_id, 0)}")
    return problems


def final_programs_frozen():
    """After the year-end close a program's accounts hold nothing but its final state, all are
    closed, and its stored final account still equals its ledger."""
    from marketplace.vouchers import final_account

    problems = []
    for program in db.session.scalars(select(VoucherProgram).where(VoucherProgram.status == "final")):
        figures = ledger.reconciliation(db.session, program.id)
        left = (figures.budget_left, figures.vouchers_available, figures.held, figures.receivable, figures.lapsed)
        if any(left):
            problems.append(f"final program {program.code} still holds budget/vouchers/held/receivable/lapsed {left}")
        if db.session.scalar(select(func.count()).select_from(ledger.Account).where(
                ledger.Account.program_id == program.id, ledger.Account.closed.is_(False))):
            problems.append(f"final program {program.code} has open accounts")
        if final_account.compute(program) != program.final_account:
            problems.append(f"final program {program.code}: its ledger no longer matches its final account")
    return problems


def every_step():
    """The checks run after each step (a fresh TermsCheck per simulation keeps its cache)."""
    return (programs_reconcile, caps_hold, order_figures, TermsCheck(), holds_match_orders, dead_vouchers_empty,
            every_order_can_move, final_programs_frozen, related_parties_without_vouchers)


# Sums over every transfer and report (what `payments reconcile` and the audit console read):
# every 20 steps and at the end, so their cost does not grow every step with the ledger.
SOMETIMES = (cash_reconciles, reports_match_ledger, payouts_match)
