"""What an enterprise holds: its vouchers with balances and status, and each one's statement."""
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from marketplace import ledger
from marketplace.extensions import db
from marketplace.ledger.models import TransferKind
from marketplace.vouchers.errors import VoucherNotFound
from marketplace.vouchers.models import Voucher
from marketplace.vouchers.rules import local_date, voucher_status

EXPIRY_WARNING_DAYS = 30


@dataclass(frozen=True)
class WalletRow:
    voucher: Voucher
    available: int
    held: int
    used: int
    lapsed: int
    status: str
    expiring_soon: bool


def lapsed_by_account(account_ids):
    """{voucher account id: posted debits that lapsed or revoked it} for many vouchers in one query."""
    if not account_ids:
        return {}
    rows = db.session.execute(
        select(ledger.Transfer.debit_account_id, func.sum(ledger.Transfer.amount))
        .where(ledger.Transfer.debit_account_id.in_(account_ids), ledger.Transfer.pending.is_(False),
               ledger.Transfer.kind.in_((TransferKind.LAPSE, TransferKind.REVOKE)))
        .group_by(ledger.Transfer.debit_account_id))
    return {account_id: int(total) for account_id, total in rows}


def used_and_lapsed(voucher, lapsed=None):
    """Posted debits of the voucher split into redeemed on orders and lapsed/revoked."""
    if lapsed is None:
        lapsed = lapsed_by_account([voucher.account_id]).get(voucher.account_id, 0)
    return voucher.account.debits_posted - lapsed, lapsed


def wallet_row(voucher, today, lapsed=None):
    """`lapsed`: the voucher's lapsed/revoked total when the caller read it for many (wallet)."""
    account = voucher.account
    held = account.debits_pending
    available = ledger.spendable(account)
    used, lapsed = used_and_lapsed(voucher, lapsed)
    status = voucher_status(voucher, available, held, today, used)
    soon = status in ("active", "partly_used") and available > 0 and \
        voucher.program.use_by - today <= timedelta(days=EXPIRY_WARNING_DAYS)
    return WalletRow(voucher, available, held, used, lapsed, status, soon)


def wallet(organisation_id, now):
    today = local_date(now)
    vouchers = db.session.scalars(select(Voucher).where(Voucher.organisation_id == organisation_id)
                                  .options(selectinload(Voucher.account), selectinload(Voucher.program))
                                  .order_by(Voucher.issued_at.desc(), Voucher.id.desc())).all()
    lapsed = lapsed_by_account([voucher.account_id for voucher in vouchers])
    return [wallet_row(voucher, today, lapsed.get(voucher.account_id, 0)) for voucher in vouchers]


def voucher_for(actor, number):
    """The voucher with this number if the actor may see it (its holder or an admin)."""
    voucher = db.session.scalar(select(Voucher).where(Voucher.number == number))
    # Someone else's voucher looks exactly like a missing one: numbers are not to be probed.
    if voucher is None or not (actor.is_admin or voucher.organisation_id == actor.organisation_id):
        raise VoucherNotFound()
    return voucher


def statement(voucher, after_id=0, limit=50):
    return ledger.statement(db.session, voucher.account_id, after_id=after_id, limit=limit)
