"""What the parties do to an order after it is placed. Each call is one transition; the caller
commits. Voucher holds are posted on acceptance of delivery and voided when the order ends
without it; the cash share is refunded through the payment service. Every call keeps the
order's money figures equal to the ledger and the payment rows (orders/figures.py)."""
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from marketplace import ledger
from marketplace.database import utcnow
from marketplace.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.money import format_fen
from marketplace.notifications import services as notifications
from marketplace.orders import lifecycle
from marketplace.orders.models import STATUS_LABELS, Order, OrderEvent, OrderStatus, OrderVoucher
from marketplace.vouchers.expiry import lapse_if_dead

MAX_TEXT = 2000


class BalanceDue(InvalidState):
    message = N_("Pay the balance of %(amount)s first: the voucher share lapsed when the program's "
                 "redemption period ended, so it is now paid in cash.")


# What the order page shows, read with the order: the parties in the same statement, the holds
# with their vouchers and the timeline with its actors in one statement each, instead of a lazy
# load each while the template renders.
ORDER_PAGE_READS = (joinedload(Order.enterprise), joinedload(Order.provider),
                    selectinload(Order.holds).joinedload(OrderVoucher.voucher),
                    selectinload(Order.events).joinedload(OrderEvent.actor))


def get_order(number, actor, reads=()):
    """The order if the actor is its buyer's or provider's member, or an admin; NotFound otherwise
    (someone else's order looks exactly like a missing one). `reads`: loader options, e.g.
    ORDER_PAGE_READS."""
    order = db.session.scalar(select(Order).where(Order.number == number).options(*reads))
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


def annul(order, actor, reason):
    """An operator ends an order in progress (a suspended provider, fraud found): the vouchers
    are released and the cash refunded; both parties are told."""
    reason = reason_required(reason)
    lifecycle.transition(order, "annul", actor, reason)
    release(order, actor, reason)
    for organisation_id in (order.enterprise_id, order.provider_id):
        tell(order, organisation_id, N_("Order %(number)s annulled"),
             N_("The administrators annulled order %(number)s: %(reason)s. Vouchers were released and any "
                "payment refunded."), reason=reason)


def deliver(order, actor, note, stored_file):
    note = (note or "").strip()[:MAX_TEXT]
    if stored_file is None:
        raise ValidationFailed(N_("Upload the delivery report."), field="report")
    lifecycle.transition(order, "deliver", actor, note)
    order.delivered_at, order.delivery_note, order.delivery_file_id = utcnow(), note, stored_file.id
    tell(order, order.enterprise_id, N_("Order %(number)s delivered"),
         N_("The provider delivered order %(number)s. Check the report and accept it (验收) or raise a dispute."))


def complete(order, actor, action="complete"):
    """Acceptance of delivery (验收): the voucher holds are posted to the provider's receivable.
    Raises BalanceDue while a lapsed voucher share is unpaid, InvalidState, PermissionDenied."""
    from marketplace.orders.expiry import lapse_overdue_holds

    lapse_overdue_holds(order)
    if order.balance_due_fen:
        raise BalanceDue(amount=format_fen(order.balance_due_fen))
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
    tell(order, order.provider_id, N_("Order %(number)s disputed"),
         N_("The buyer disputes order %(number)s: %(reason)s The administrators will decide; you will be told."),
         reason=reason)


def resolve(order, actor, outcome, reason, voucher_fen=None, cash_refund_fen=None):
    """An operator's decision on a dispute: refund everything, or pay the provider — all or part
    of the voucher share posted (the rest released), and part of the cash refunded if decided.
    Raises ValidationFailed, InvalidState, PermissionDenied."""
    from marketplace.orders.expiry import lapse_overdue_holds

    reason = reason_required(reason)
    lapse_overdue_holds(order)
    if outcome == "refund":
        lifecycle.transition(order, "resolve_refund", actor, reason)
        release(order, actor, reason)
        tell_both(order, N_("Dispute on order %(number)s resolved: refunded"),
                  N_("The administrators decided the dispute on order %(number)s: the buyer is refunded and the "
                     "vouchers released. Reason: %(reason)s"), reason=reason)
        return
    voucher = order.voucher_fen if voucher_fen is None else voucher_fen
    refund = cash_refund_fen or 0
    check_resolution(order, voucher, refund)
    lifecycle.transition(order, "resolve_post", actor,
                         f"{reason} ({format_fen(voucher)} / {format_fen(refund)})")
    post_holds(order, voucher)
    if refund:
        from marketplace.payments import services as payments

        payments.refund_amount(order, refund, actor, reason)
    order.cash_fen = order.cash_received_fen  # what the parties settled on: any unpaid balance is waived
    order.completed_at = utcnow()
    tell_both(order, N_("Dispute on order %(number)s resolved"),
              N_("The administrators decided the dispute on order %(number)s: %(voucher)s of the voucher share "
                 "is paid to the provider and %(refund)s of the cash refunded. Reason: %(reason)s"),
              voucher=format_fen(voucher), refund=format_fen(refund), reason=reason)


def check_resolution(order, voucher, refund):
    if not 0 <= voucher <= order.voucher_fen:
        raise ValidationFailed(N_("Post between ¥0.00 and the voucher share of %(share)s."), field="voucher",
                               share=format_fen(order.voucher_fen))
    if not 0 <= refund <= order.cash_received_fen:
        raise ValidationFailed(N_("Refund between ¥0.00 and the cash received of %(cash)s."), field="cash_refund",
                               cash=format_fen(order.cash_received_fen))


def open_holds(order):
    """The order's holds not yet posted, voided or expired, oldest first."""
    return db.session.scalars(select(OrderVoucher).where(OrderVoucher.order_id == order.id,
                                                         OrderVoucher.posted_fen.is_(None))
                              .order_by(OrderVoucher.id)).all()


def post_holds(order, amount, actor=None):
    """Post `amount` of the held voucher share, oldest hold first; the rest of each hold goes back
    to its voucher (and lapses there if the voucher is revoked or expired)."""
    for held in open_holds(order):
        part = min(amount, held.amount_fen)
        if part > 0:
            ledger.post(db.session, held.hold_id, amount=part, key=f"order:{order.id}:post:{held.hold_id}")
        else:
            ledger.void(db.session, held.hold_id, key=f"order:{order.id}:void:{held.hold_id}")
        held.posted_fen, amount = part, amount - part
        if part < held.amount_fen:
            lapse_if_dead(held.voucher, actor)
    order.voucher_fen = posted_share(order)


def posted_share(order):
    db.session.flush()
    return sum(held.posted_fen or 0 for held in db.session.scalars(
        select(OrderVoucher).where(OrderVoucher.order_id == order.id)))


def release(order, actor, reason):
    """Void the holds still open (money back to each voucher, lapsing at once on a revoked or
    expired one) and refund whatever cash was received: the order keeps nothing."""
    for held in open_holds(order):
        ledger.void(db.session, held.hold_id, key=f"order:{order.id}:void:{held.hold_id}",
                    actor_id=getattr(actor, "id", None), memo=reason[:200])
        held.posted_fen = 0
        lapse_if_dead(held.voucher, actor)
    order.voucher_fen = order.cash_fen = 0
    if order.cash_received_fen > 0:
        from marketplace.payments import services as payments

        payments.refund_order(order, actor, reason)


def tell(order, organisation_id, subject, body, **params):
    notifications.notify(db.session, notifications.members(db.session, organisation_id), "order_update",
                         subject, body, link=f"/orders/{order.number}", number=order.number,
                         state=STATUS_LABELS[order.status], **params)


def tell_both(order, subject, body, **params):
    for organisation_id in (order.enterprise_id, order.provider_id):
        tell(order, organisation_id, subject, body, **params)


def payment_succeeded(order_id, payment_id):
    """Called by the payment service once a payment has really succeeded (any number of times).
    Returns False when the order can no longer be paid (closed): then refund it all."""
    order = db.session.get(Order, order_id)
    if order.status == OrderStatus.PLACED:
        lifecycle.transition(order, "pay", None, note=f"payment {payment_id}")
        tell(order, order.provider_id, N_("New paid order %(number)s"),
             N_("Order %(number)s is paid. Accept or reject it."))
        return True
    if order.status in (OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.REFUNDED):
        return False
    if order.balance_due_fen == 0 and order.cash_paid_fen:
        tell(order, order.provider_id, N_("Balance of order %(number)s paid"),
             N_("The buyer paid the balance of order %(number)s in cash."))
    return True


def payment_failed(order_id, payment_id, message):
    order = db.session.get(Order, order_id)
    tell(order, order.enterprise_id, N_("Payment for order %(number)s failed"),
         N_("The payment for order %(number)s did not go through: %(reason)s"), reason=message or "")
