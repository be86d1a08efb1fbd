"""What the parties do to an order after it is placed. Each call is one transition; the caller
commits. Voucher holds are posted on acceptance of delivery and voided when the order ends
without it; the cash share is refunded through the payment service."""
from sqlalchemy import select

from marketplace import ledger
from marketplace.database import utcnow
from marketplace.errors import NotFound, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.money import format_fen
from marketplace.notifications import services as notifications
from marketplace.orders import lifecycle
from marketplace.orders.models import STATUS_LABELS, Order, OrderStatus, OrderVoucher

MAX_TEXT = 2000


def get_order(number, actor):
    """The order if the actor is its buyer's or provider's member, or an admin; NotFound otherwise
    (someone else's order looks exactly like a missing one)."""
    order = db.session.scalar(select(Order).where(Order.number == number))
    if order is None:
        raise NotFound(N_("This order does not exist."))
    try:
        lifecycle.role_of(actor, order)
    except PermissionDenied:
        raise NotFound(N_("This order does not exist.")) from None
    return order


def reason_required(text, field="reason"):
    text = (text or "").strip()
    if not text or len(text) > MAX_TEXT:
        raise ValidationFailed(N_("Give a reason (at most 2,000 characters)."), field=field)
    return text


def accept(order, actor):
    lifecycle.transition(order, "accept", actor)
    tell(order, order.enterprise_id, N_("Order %(number)s accepted"),
         N_("The provider accepted order %(number)s and has started work."))


def reject(order, actor, reason):
    reason = reason_required(reason)
    lifecycle.transition(order, "reject", actor, reason)
    release(order, actor, reason)
    tell(order, order.enterprise_id, N_("Order %(number)s rejected"),
         N_("The provider could not take order %(number)s: %(reason)s. Any payment is refunded."), reason=reason)


def cancel(order, actor, reason=""):
    lifecycle.transition(order, "cancel", actor, reason)
    release(order, actor, reason or "cancelled")
    tell(order, order.provider_id, N_("Order %(number)s cancelled"), N_("The buyer cancelled order %(number)s."))


def deliver(order, actor, note, stored_file):
    note = (note or "").strip()[:MAX_TEXT]
    if stored_file is None:
        raise ValidationFailed(N_("Upload the delivery report."), field="report")
    lifecycle.transition(order, "deliver", actor, note)
    order.delivered_at, order.delivery_note, order.delivery_file_id = utcnow(), note, stored_file.id
    tell(order, order.enterprise_id, N_("Order %(number)s delivered"),
         N_("The provider delivered order %(number)s. Check the report and accept it (验收) or raise a dispute."))


def complete(order, actor, action="complete"):
    """Acceptance of delivery (验收): the voucher holds are posted to the provider's receivable."""
    lifecycle.transition(order, action, actor)
    post_holds(order, order.voucher_fen)
    order.completed_at = utcnow()
    tell(order, order.provider_id, N_("Order %(number)s completed"),
         N_("The buyer accepted the delivery of order %(number)s. You can request redemption of the voucher share."))


def dispute(order, actor, reason):
    reason = reason_required(reason)
    lifecycle.transition(order, "dispute", actor, reason)
    notifications.notify(db.session, notifications.admins(db.session), "order_disputed",
                         N_("Order %(number)s disputed"), N_("The buyer disputes order %(number)s: %(reason)s"),
                         link=f"/orders/{order.number}", number=order.number, reason=reason)


def resolve(order, actor, outcome, reason, voucher_fen=None):
    """Admin decision on a dispute: pay the provider (all or part of the voucher share) or refund."""
    reason = reason_required(reason)
    if outcome == "refund":
        lifecycle.transition(order, "resolve_refund", actor, reason)
        release(order, actor, reason)
        return
    amount = order.voucher_fen if voucher_fen is None else voucher_fen
    if not 0 <= amount <= order.voucher_fen:
        raise ValidationFailed(N_("Post between ¥0.00 and the voucher share of %(share)s."), field="voucher",
                               share=format_fen(order.voucher_fen))
    lifecycle.transition(order, "resolve_post", actor, f"{reason} ({format_fen(amount)})")
    post_holds(order, amount)
    order.completed_at = utcnow()


def post_holds(order, amount):
    """Post `amount` of the held voucher share, oldest hold first; the rest of each hold is released."""
    for held in db.session.scalars(select(OrderVoucher).where(OrderVoucher.order_id == order.id).order_by(OrderVoucher.id)):
        part = min(amount, held.amount_fen)
        if part > 0:
            ledger.post(db.session, held.hold_id, amount=part, key=f"order:{order.id}:post:{held.hold_id}")
        else:
            ledger.void(db.session, held.hold_id, key=f"order:{order.id}:void:{held.hold_id}")
        held.posted_fen, amount = part, amount - part


def release(order, actor, reason):
    """Void the voucher holds and refund whatever cash was paid."""
    for held in db.session.scalars(select(OrderVoucher).where(OrderVoucher.order_id == order.id)):
        ledger.void(db.session, held.hold_id, key=f"order:{order.id}:void:{held.hold_id}",
                    actor_id=getattr(actor, "id", None), memo=reason[:200])
        held.posted_fen = 0
    if paid_cash(order):
        from marketplace.payments import services as payments

        payments.refund_order(order, actor, reason)


def paid_cash(order):
    from marketplace.payments.models import Payment, PaymentStatus

    return db.session.scalar(select(Payment.id).where(Payment.order_id == order.id,
                                                      Payment.status == PaymentStatus.SUCCEEDED).limit(1)) is not None


def tell(order, organisation_id, subject, body, **params):
    notifications.notify(db.session, notifications.members(db.session, organisation_id), "order_update",
                         subject, body, link=f"/orders/{order.number}", number=order.number,
                         state=STATUS_LABELS[order.status], **params)


def payment_succeeded(order_id, payment_id):
    """Called by the payment service once a payment has really succeeded (any number of times).
    Returns False when the order can no longer be paid (cancelled or expired): then refund."""
    order = db.session.get(Order, order_id)
    if order.status == OrderStatus.PLACED:
        lifecycle.transition(order, "pay", None, note=f"payment {payment_id}")
        tell(order, order.provider_id, N_("New paid order %(number)s"),
             N_("Order %(number)s is paid. Accept or reject it."))
        return True
    return order.status not in (OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.REFUNDED)


def payment_failed(order_id, payment_id, message):
    order = db.session.get(Order, order_id)
    tell(order, order.enterprise_id, N_("Payment for order %(number)s failed"),
         N_("The payment for order %(number)s did not go through: %(reason)s. You can try again or cancel the order."),
         reason=message or "")


def run_timeouts(now=None):
    """Cancel unpaid and unaccepted orders past their deadline; accept delivered work automatically."""
    now = now or utcnow()
    due = db.session.scalars(select(Order).where(Order.due_at <= now, Order.status.in_(
        (OrderStatus.PLACED, OrderStatus.PAID, OrderStatus.DELIVERED))).order_by(Order.id).limit(200)).all()
    for order in due:
        if order.status == OrderStatus.DELIVERED:
            complete(order, None, "auto_complete")
        else:
            lifecycle.transition(order, "expire", None, "deadline passed")
            release(order, None, "deadline passed")
            tell(order, order.enterprise_id, N_("Order %(number)s expired"),
                 N_("Order %(number)s was cancelled because its deadline passed. Vouchers were released and any payment refunded."))
    return len(due)
