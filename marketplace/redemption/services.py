"""Redemption rules. Plain functions taking the acting user; they flush, the caller commits.

A provider claims, per order, the voucher share posted to its receivable on acceptance of
delivery (Σ OrderVoucher.posted_fen) before the program's `redeem_by` (Asia/Shanghai). Admins
review twice (初审, 终审; the same or different admins), may send a request back with reasons
or reject it; approved requests are paid in settlement batches."""
from dataclasses import dataclass

from sqlalchemy import func, select

from marketplace.audit.services import record
from marketplace.auth.services import require_operator
from marketplace.catalog import uploads
from marketplace.database import utcnow
from marketplace.errors import PermissionDenied
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.notifications import services as notifications
from marketplace.orders import lifecycle
from marketplace.orders.actions import reason_required
from marketplace.orders.models import Order, OrderStatus, OrderVoucher
from marketplace.redemption import errors, invoices
from marketplace.redemption.models import (EVIDENCE_KINDS, REQUEST_LABELS, RedemptionEvidence, RedemptionItem,
                                           RedemptionRequest, RequestStatus as R)
from marketplace.vouchers.models import EVIDENCE_CHECKLIST, Voucher, VoucherProgram
from marketplace.vouchers.rules import local_date


@dataclass(frozen=True)
class Claim:
    """One order claimed, with the invoice issued for its voucher share (see invoices.py)."""

    order_id: int
    invoice_number: str
    invoice_code: str = ""  # "" for a 数电发票
    invoice_amount_fen: int | None = None


@dataclass(frozen=True)
class Evidence:
    kind: str
    upload: uploads.Upload


def posted_shares(order_ids, program_id):
    """{order id: voucher share posted to the provider's receivable in this program}."""
    rows = db.session.execute(
        select(OrderVoucher.order_id, func.coalesce(func.sum(OrderVoucher.posted_fen - OrderVoucher.clawed_back_fen), 0))
        .join(Voucher, Voucher.id == OrderVoucher.voucher_id)
        .where(OrderVoucher.order_id.in_(list(order_ids)), Voucher.program_id == program_id)
        .group_by(OrderVoucher.order_id))
    return {order_id: int(total) for order_id, total in rows}


def claimable_orders(provider_id, program_id):
    """[(order, amount)] the provider may claim now in the program: completed (or already partly
    claimed in another program), its voucher share in this program posted, in no live request
    for this program."""
    live = select(RedemptionItem.live_order_id).where(RedemptionItem.live_order_id.is_not(None),
                                                      RedemptionItem.program_id == program_id)
    in_program = select(OrderVoucher.order_id).join(Voucher, Voucher.id == OrderVoucher.voucher_id).where(
        Voucher.program_id == program_id, OrderVoucher.posted_fen > OrderVoucher.clawed_back_fen)
    orders = db.session.scalars(
        select(Order).where(Order.provider_id == provider_id, Order.id.in_(in_program), Order.id.not_in(live),
                            Order.status.in_([OrderStatus.COMPLETED, OrderStatus.REDEEMED]))
        .order_by(Order.completed_at, Order.id)).all()
    shares = posted_shares((order.id for order in orders), program_id)
    return [(order, shares[order.id]) for order in orders if shares.get(order.id, 0) > 0]


def claimable_by_program(provider_id):
    """{program: [(order, amount)]} of everything the provider may claim, by program."""
    held = select(Voucher.program_id).join(OrderVoucher, OrderVoucher.voucher_id == Voucher.id).join(
        Order, Order.id == OrderVoucher.order_id).where(Order.provider_id == provider_id,
                                                        OrderVoucher.posted_fen > OrderVoucher.clawed_back_fen)
    programs = db.session.scalars(select(VoucherProgram).where(VoucherProgram.id.in_(held))
                                  .order_by(VoucherProgram.redeem_by, VoucherProgram.id)).all()
    found = {program: claimable_orders(provider_id, program.id) for program in programs}
    return {program: rows for program, rows in found.items() if rows}


def check_deadline(program, now=None):
    if local_date(now or utcnow()) > program.redeem_by:
        raise errors.RedemptionClosed(date=program.redeem_by.isoformat())


def require_provider(actor):
    from marketplace.catalog.providers import is_suspended

    if actor is None or actor.role != "provider" or not actor.can_trade:
        raise PermissionDenied()
    if is_suspended(actor.organisation_id):
        raise errors.ProviderSuspended()


def submit(actor, program_id, claims, evidence, note="", now=None):
    """A provider's new redemption request. Raises RedemptionClosed, NotClaimable, NothingSelected,
    InvoiceInvalid, InvoiceUsed, EvidenceIncomplete, EvidenceMissing, ValidationFailed (uploads),
    PermissionDenied."""
    require_provider(actor)
    program = db.session.get(VoucherProgram, program_id)
    if program is None:
        raise errors.RequestNotFound()
    check_deadline(program, now)
    request = RedemptionRequest(provider_id=actor.organisation_id, program_id=program.id,
                                created_by_id=actor.id, note=(note or "").strip()[:2000])
    db.session.add(request)
    db.session.flush()
    add_items(request, actor, claims)
    add_evidence(request, actor, evidence)
    after_submission(request, actor)
    return request


def add_items(request, actor, claims):
    if not claims:
        raise errors.NothingSelected(field="orders")
    available = {order.id: (order, amount) for order, amount in claimable_orders(actor.organisation_id, request.program_id)}
    seen = set()
    for claim in claims:
        if claim.order_id not in available:
            order = db.session.get(Order, claim.order_id)
            raise errors.NotClaimable(number=getattr(order, "number", "?"), field="orders")
        order, amount = available[claim.order_id]
        invoice = checked_invoice(request, order, amount, claim, seen)
        db.session.add(RedemptionItem(request_id=request.id, order_id=order.id, live_order_id=order.id,
                                      program_id=request.program_id, provider_id=request.provider_id,
                                      invoice_code=invoice.code, invoice_number=invoice.number,
                                      invoice_amount_fen=invoice.amount_fen, live_invoice=invoice.key, amount_fen=amount))
        if order.status == OrderStatus.COMPLETED:
            lifecycle.transition(order, "request_redemption", actor, invoice.display)
    db.session.flush()


def checked_invoice(request, order, amount, claim, seen, item_id=None):
    """The claim's invoice, well formed, for exactly `amount`, backing no other live claim of the
    provider (nor another order of this request). Raises InvoiceInvalid, InvoiceUsed."""
    invoice = invoices.parse(order.number, claim.invoice_code, claim.invoice_number, claim.invoice_amount_fen,
                             amount, local_date(utcnow()).year)
    if invoice.key in seen:
        raise invoices.InvoiceUsed(number=order.number, invoice=invoice.display, field="orders")
    seen.add(invoice.key)
    invoices.check_unused(request.provider_id, invoice, order.number, except_item_id=item_id)
    return invoice


def add_evidence(request, actor, evidence):
    for item in evidence:
        kind = item.kind if item.kind in EVIDENCE_KINDS else "other"
        stored = uploads.store_document(actor.organisation, item.upload, "redemption", field="evidence")
        db.session.add(RedemptionEvidence(request_id=request.id, file_id=stored.id, kind=kind))
    db.session.flush()
    check_evidence(request)


def check_evidence(request):
    """The program's checklist (every kind it requires), or at least one document when it has none.
    Raises EvidenceIncomplete, EvidenceMissing."""
    kinds = set(db.session.scalars(select(RedemptionEvidence.kind).where(RedemptionEvidence.request_id == request.id)))
    required = [kind for kind in EVIDENCE_CHECKLIST if kind in (request.program.required_evidence or [])]
    missing = [kind for kind in required if kind not in kinds]
    if missing:
        raise errors.EvidenceIncomplete([EVIDENCE_CHECKLIST[kind] for kind in missing])
    if not kinds:
        raise errors.EvidenceMissing(field="evidence")


def after_submission(request, actor):
    request.status, request.submitted_at = R.SUBMITTED, utcnow()
    request.first_reviewer_id = request.first_reviewed_at = None
    request.final_reviewer_id = request.final_reviewed_at = None
    db.session.flush()


def resubmit(request_id, actor, corrected, evidence, note="", now=None):
    """Send a returned request back for review with corrected invoices ({order id: Claim}; orders
    left out keep theirs, checked again) and any further evidence. Raises WrongState,
    RedemptionClosed, InvoiceInvalid, InvoiceUsed, EvidenceIncomplete, …"""
    request = get_request(request_id, actor)
    require_provider(actor)
    if request.status != R.RETURNED:
        raise errors.WrongState(state=REQUEST_LABELS[request.status])
    check_deadline(request.program, now)
    seen = set()
    for item in request.items:
        claim = corrected.get(item.order_id) or Claim(item.order_id, item.invoice_number, item.invoice_code,
                                                      item.invoice_amount_fen)
        invoice = checked_invoice(request, item.order, item.amount_fen, claim, seen, item_id=item.id)
        item.invoice_code, item.invoice_number = invoice.code, invoice.number
        item.invoice_amount_fen, item.live_invoice = invoice.amount_fen, invoice.key
    if note:
        request.note = note.strip()[:2000]
    add_evidence(request, actor, evidence)
    after_submission(request, actor)
    return request


def claim_for(order, program_id, serial, year):
    """A claim of the order's whole share in the program with a well-formed 数电发票 for it (demo
    data, the simulation and tests; a provider types its real invoice)."""
    amount = posted_shares([order.id], program_id).get(order.id, 0)
    return Claim(order.id, invoices.sample_number(serial, year), "", amount)


def live_items(order_id):
    return db.session.scalars(select(RedemptionItem).where(RedemptionItem.live_order_id == order_id)).all()


def get_request(request_id, actor):
    """The request if the actor is an admin or a member of its provider; RequestNotFound otherwise."""
    request = db.session.get(RedemptionRequest, request_id)
    if request is None or not (actor.is_admin or actor.organisation_id == request.provider_id):
        raise errors.RequestNotFound()
    return request


def snapshot(request):
    return {"status": request.status, "total_fen": request.total_fen}


def review(request_id, actor, decision, reason=""):
    """An admin decision on a request: 'first_approve' (初审), 'final_approve' (终审), 'return'
    (send back with reasons) or 'reject' (final). Raises WrongState, ValidationFailed."""
    require_operator(actor)
    request = get_request(request_id, actor)
    allowed = {"first_approve": {R.SUBMITTED}, "final_approve": {R.FIRST_APPROVED},
               "return": {R.SUBMITTED, R.FIRST_APPROVED, R.APPROVED}, "reject": {R.SUBMITTED, R.FIRST_APPROVED, R.APPROVED}}
    if request.status not in allowed[decision] or request.batch_id is not None:
        raise errors.WrongState(state=REQUEST_LABELS[request.status])
    before, now = snapshot(request), utcnow()
    if decision in ("return", "reject"):
        request.reason = reason_required(reason)
    if decision == "final_approve":  # 终审 by another operator than 初审 (four eyes)
        from marketplace.approvals.services import require_second_operator

        require_second_operator(actor, request.first_reviewer_id)
    if decision == "first_approve":
        request.status, request.first_reviewer_id, request.first_reviewed_at = R.FIRST_APPROVED, actor.id, now
    elif decision == "final_approve":
        request.status, request.final_reviewer_id, request.final_reviewed_at = R.APPROVED, actor.id, now
    elif decision == "return":
        request.status = R.RETURNED
    else:
        request.status = R.REJECTED
        for item in request.items:
            item.live_order_id = item.live_invoice = None
            db.session.flush()
            if not live_items(item.order_id):  # no other program's claim still holds the order
                lifecycle.transition(item.order, "reject_redemption", actor, request.reason)
    db.session.flush()
    record(actor, f"redemption.{decision}", request, before=before, after=snapshot(request), reason=request.reason if decision in ("return", "reject") else None)
    tell_provider(request)
    return request


DECIDED = {
    R.FIRST_APPROVED: N_("Redemption request %(number)s passed first review"),
    R.APPROVED: N_("Redemption request %(number)s approved"),
    R.RETURNED: N_("Redemption request %(number)s returned for changes"),
    R.REJECTED: N_("Redemption request %(number)s rejected"),
    R.SETTLED: N_("Redemption request %(number)s paid"),
}


def tell_provider(request):
    subject = DECIDED.get(request.status)
    if subject is None:
        return
    notifications.notify(db.session, notifications.members(db.session, request.provider_id), "redemption",
                         subject, N_("Open redemption request %(number)s to see the decision. %(reason)s"),
                         link=f"/redemption/{request.id}", number=request.number, reason=request.reason or "")
