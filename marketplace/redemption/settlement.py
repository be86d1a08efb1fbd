"""Settlement batches (结算批次): approved requests grouped, exported for the finance system, and
marked paid with the bank reference, which posts receivable → settled for every item in one
ledger batch (keys `settle:<reference>:<item>`: a retried payment changes nothing)."""
from sqlalchemy import select

from marketplace import ledger
from marketplace.audit.exports import csv_bytes, xlsx_bytes  # noqa: F401  (re-exported for callers)
from marketplace.audit.services import record
from marketplace.auth.services import require_operator
from marketplace.database import utcnow
from marketplace.errors import ValidationFailed
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.money import yuan
from marketplace.ledger.accounts import program_account_code, receivable_account_code
from marketplace.ledger.models import AccountKind
from marketplace.orders import lifecycle
from marketplace.redemption import errors
from marketplace.orders.models import OrderStatus, OrderVoucher
from marketplace.money import yuan
from marketplace.redemption.models import (BATCH_LABELS, BatchStatus as B, RedemptionItem, RedemptionRequest,
                                           RequestStatus as R, SettlementBatch)
from marketplace.vouchers.models import Voucher
from marketplace.redemption.services import tell_provider

EXPORT_HEADER = (N_("Batch"), N_("Request"), N_("Provider"), N_("Unified social credit code"), N_("Program"),
                 N_("Order"), N_("Invoice number"), N_("Amount (yuan)"), N_("Amount (fen)"))


def approved_unbatched():
    return db.session.scalars(select(RedemptionRequest).where(RedemptionRequest.status == R.APPROVED,
                                                              RedemptionRequest.batch_id.is_(None))
                              .order_by(RedemptionRequest.id)).all()


def create_batch(actor, request_ids, note=""):
    """Group approved requests not yet in a batch. Raises ValidationFailed, PermissionDenied."""
    require_operator(actor)
    wanted = set(request_ids)
    requests = [r for r in approved_unbatched() if r.id in wanted]
    if not requests or len(requests) != len(wanted):
        raise ValidationFailed(N_("Select approved requests that are not yet in a batch."), field="requests")
    batch = SettlementBatch(created_by_id=actor.id, note=(note or "").strip()[:2000])
    db.session.add(batch)
    db.session.flush()
    for request in requests:
        request.batch_id = batch.id
    db.session.flush()
    record(actor, "settlement.create", batch, after={"requests": sorted(wanted), "total_fen": batch.total_fen})
    return batch


def approve_batch(actor, batch_id):
    """A second operator approves the batch for payment (four eyes). Raises SameOperator, BatchWrongState."""
    from marketplace.approvals.services import require_second_operator

    require_operator(actor)
    batch = get_batch(batch_id)
    if batch.status == B.PAID or batch.approved_at is not None:
        raise errors.BatchWrongState(state=BATCH_LABELS[batch.status])
    require_second_operator(actor, batch.created_by_id)
    batch.approved_by_id, batch.approved_at = actor.id, utcnow()
    db.session.flush()
    record(actor, "settlement.approve", batch, after={"total_fen": batch.total_fen})
    return batch


def get_batch(batch_id):
    batch = db.session.get(SettlementBatch, batch_id)
    if batch is None:
        raise errors.BatchNotFound()
    return batch


def export_rows(batch):
    """The rows finance needs to pay the batch, one per order."""
    for request in batch.requests:
        for item in request.items:
            yield (batch.id, request.number, request.provider.legal_name, request.provider.credit_code,
                   request.program.code, item.order.number, item.invoice_display,
                   yuan(item.amount_fen), item.amount_fen)


def mark_exported(batch, actor):
    if batch.status == B.OPEN:
        batch.status, batch.exported_at = B.EXPORTED, utcnow()
        record(actor, "settlement.export", batch, before={"status": "open"}, after={"status": "exported"})
        db.session.flush()


def mark_paid(batch_id, actor, bank_reference):
    """Record the bank's payment of a batch: settle transfers, requests and orders settled.
    Paying again with the same reference is a no-op. Raises ReferenceUsed, BatchWrongState, …"""
    require_operator(actor)
    batch = get_batch(batch_id)
    reference = (bank_reference or "").strip()
    if not reference or len(reference) > 60:
        raise ValidationFailed(N_("Enter the bank reference (at most 60 characters)."), field="reference")
    if batch.status == B.PAID and batch.bank_reference == reference:
        return batch
    other = db.session.scalar(select(SettlementBatch.id).where(SettlementBatch.bank_reference == reference))
    if other is not None:
        raise errors.ReferenceUsed(reference=reference, field="reference")
    if batch.status == B.PAID or not batch.requests:
        raise errors.BatchWrongState(state=BATCH_LABELS[batch.status])
    if batch.approved_at is None:
        raise errors.BatchNotApproved()
    ledger.batch(db.session, list(settle_requests(batch, actor, reference)))
    batch.status, batch.bank_reference, batch.paid_by_id, batch.paid_at = B.PAID, reference, actor.id, utcnow()
    for request in batch.requests:
        request.status = R.SETTLED
        tell_provider(request)
    db.session.flush()
    for order in {item.order for request in batch.requests for item in request.items}:
        if order.status == OrderStatus.REDEEMED and fully_settled(order):
            lifecycle.transition(order, "settle", actor, reference)
    db.session.flush()
    record(actor, "settlement.paid", batch, before={"status": "unpaid"},
           after={"status": "paid", "bank_reference": reference, "total_fen": batch.total_fen})
    return batch


def fully_settled(order):
    """True when every program share posted on the order has been paid in a settlement (an order
    paid from two programs is settled once both claims are)."""
    posted = set(db.session.scalars(select(Voucher.program_id).join(OrderVoucher, OrderVoucher.voucher_id == Voucher.id)
                                    .where(OrderVoucher.order_id == order.id, OrderVoucher.posted_fen > 0)))
    settled = set(db.session.scalars(select(RedemptionItem.program_id).join(RedemptionRequest).where(
        RedemptionItem.order_id == order.id, RedemptionRequest.status == R.SETTLED)))
    return posted <= settled


def settle_requests(batch, actor, reference):
    for request in batch.requests:
        code = request.program.code
        for item in request.items:
            yield ledger.TransferRequest(
                receivable_account_code(code, request.provider_id), program_account_code(code, AccountKind.SETTLED),
                item.amount_fen, ledger.TransferKind.SETTLE, key=f"settle:{reference}:{item.id}",
                actor_id=actor.id, memo=f"{request.number} {item.invoice_display}"[:200],
                order_id=item.order_id, settlement_id=batch.id)
