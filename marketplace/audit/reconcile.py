"""Reconciliation for auditors: per program (the ledger identity, each figure with the explorer
filter that lists its transfers), per provider (receivable vs requested vs settled, against the
orders' posted voucher shares) and the cash side (from the payment service)."""
from dataclasses import dataclass

from sqlalchemy import func, select

from marketplace import ledger
from marketplace.extensions import db
from marketplace.ledger.models import Account, AccountKind
from marketplace.orders.models import Order, OrderStatus, OrderVoucher
from marketplace.redemption.models import RedemptionItem, RedemptionRequest, RequestStatus
from marketplace.vouchers.models import VoucherProgram


def program_figures(program):
    """[(label msgid, fen, explorer args)] and the Reconciliation itself."""
    from marketplace.i18n import N_

    figures = ledger.reconciliation(db.session, program.id)
    code = program.code
    rows = [
        (N_("Funded"), figures.funded, {"account": f"program:{code}:funder"}),
        (N_("Budget left"), figures.budget_left, {"account": f"program:{code}:budget"}),
        (N_("Voucher balances"), figures.vouchers_available, {"account": f"voucher:{code}-*"}),
        (N_("Held on orders"), figures.held, {"program": program.id, "kind": "hold"}),
        (N_("Provider receivables"), figures.receivable, {"account": f"program:{code}:receivable:"}),
        (N_("Settled"), figures.settled, {"account": f"program:{code}:settled"}),
        (N_("Lapsed"), figures.lapsed, {"account": f"program:{code}:lapsed"}),
    ]
    return figures, rows


def programs():
    return db.session.scalars(select(VoucherProgram).where(VoucherProgram.opened_at.is_not(None))
                              .order_by(VoucherProgram.code)).all()


@dataclass(frozen=True)
class ProviderLine:
    account_id: int
    code: str
    organisation_id: int
    receivable: int  # posted balance of the receivable account
    unsettled_shares: int  # Σ posted voucher shares of its completed/redeemed orders
    requested: int  # in live requests not yet settled
    settled: int  # in settled requests

    @property
    def balanced(self):
        return self.receivable == self.unsettled_shares


def provider_lines(program):
    accounts = db.session.scalars(select(Account).where(Account.program_id == program.id,
                                                        Account.kind == AccountKind.PROVIDER_RECEIVABLE)
                                  .order_by(Account.organisation_id)).all()
    shares = dict(db.session.execute(
        select(Order.provider_id, func.coalesce(func.sum(OrderVoucher.posted_fen), 0))
        .join(OrderVoucher, OrderVoucher.order_id == Order.id)
        .where(Order.program_id == program.id, Order.status.in_([OrderStatus.COMPLETED, OrderStatus.REDEEMED]))
        .group_by(Order.provider_id)).all())
    claimed = db.session.execute(
        select(RedemptionRequest.provider_id, RedemptionRequest.status, func.sum(RedemptionItem.amount_fen))
        .join(RedemptionItem, RedemptionItem.request_id == RedemptionRequest.id)
        .where(RedemptionRequest.program_id == program.id, RedemptionRequest.status != RequestStatus.REJECTED)
        .group_by(RedemptionRequest.provider_id, RedemptionRequest.status)).all()
    requested, settled = {}, {}
    for provider_id, status, amount in claimed:
        target = settled if status == RequestStatus.SETTLED else requested
        target[provider_id] = target.get(provider_id, 0) + int(amount)
    return [ProviderLine(a.id, a.code, a.organisation_id, a.credits_posted - a.debits_posted,
                         int(shares.get(a.organisation_id, 0)), requested.get(a.organisation_id, 0),
                         settled.get(a.organisation_id, 0)) for a in accounts]


def cash():
    """The payment service's cash reconciliation, or None while it is not available."""
    try:
        from marketplace.payments.services import cash_reconciliation
    except ImportError:
        return None
    return cash_reconciliation()
