"""Payments: attempts on an order's cash share, fulfilment from Stripe's own record, refunds, and
the cash ledger behind them. Operations flush and never commit; the caller owns the transaction.

Refunds are recorded and posted in the caller's transaction and sent to Stripe after it commits
(`dispatch_refund`, run by the worker): no database lock is held during a gateway call.

Cash ledger (the platform is merchant of record, no platform fee yet):
  payment received  stripe_clearing → cash:payable:<provider>   (kind payment, key payment:<id>)
  refund            cash:payable:<provider> → stripe_clearing   (kind refund,  key refund:<id>)
so Stripe payments − refunds = provider payables + platform revenue + paid out.

Exactly-once steps are guarded twice: a conditional UPDATE claims the state change (a rival
fulfilment or refund finds nothing to claim) and the ledger transfer carries an idempotency key.
Gateway calls come after every local check and write that could refuse, so a refusal never
follows money already moved.
"""
import logging
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import func, select, update

from marketplace.database import utcnow
from marketplace.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.ledger import AccountKind, TransferKind, open_cash_account, run_in_transaction, transfer
from marketplace.orders.models import Order, OrderStatus
from marketplace.payments.gateway import TEST_METHODS, PaymentGatewayUnavailable, get_gateway
from marketplace.payments.models import Payment, PaymentStatus, Refund, RefundStatus, StripeEvent

__all__ = ["start_payment", "open_payment", "pay_with_test_method", "confirm_test_method",
           "authenticate_3ds", "answer_3ds", "apply_intent", "fulfil", "refund_payment", "refund_order",
           "refund_amount", "pending_refunds", "dispatch_refund", "handle_event", "cash_reconciliation",
           "PaymentGatewayUnavailable"]

log = logging.getLogger(__name__)

PAYABLE_STATES = (OrderStatus.PLACED, OrderStatus.ACCEPTED, OrderStatus.DELIVERED, OrderStatus.DISPUTED)
OPEN = (PaymentStatus.CREATED, PaymentStatus.REQUIRES_PAYMENT_METHOD, PaymentStatus.REQUIRES_ACTION,
        PaymentStatus.PROCESSING)
STRIPE_STATUS = {"requires_payment_method": PaymentStatus.REQUIRES_PAYMENT_METHOD,
                 "requires_confirmation": PaymentStatus.REQUIRES_PAYMENT_METHOD,
                 "requires_action": PaymentStatus.REQUIRES_ACTION,
                 "processing": PaymentStatus.PROCESSING, "requires_capture": PaymentStatus.PROCESSING,
                 "canceled": PaymentStatus.CANCELLED}
DECLINED = N_("The card was declined. No money was taken; you can try again with another card.")
AUTHENTICATION_FAILED = N_("The bank's security check (3-D Secure) failed. No money was taken; you can try again.")
PAYMENT_FAILED = N_("The payment did not go through. No money was taken; you can try again.")
DUPLICATE_REFUND = N_("Refund of a second payment for an order that was already paid.")
CLOSED_REFUND = N_("Refund of a payment that arrived after the order was closed.")
HANDLED_EVENTS = frozenset({"payment_intent.succeeded", "payment_intent.payment_failed",
                            "payment_intent.canceled", "payment_intent.processing",
                            "payment_intent.requires_action"})


class NotPayable(InvalidState):
    message = N_("This order is not awaiting payment.")


class AlreadyPaid(InvalidState):
    message = N_("This order has already been paid.")


class NothingToPay(InvalidState):
    message = N_("This order has no cash share to pay.")


class PaymentNotOpen(InvalidState):
    message = N_("This payment attempt is already finished. Please reload the payment page.")


class NotAwaitingAuthentication(InvalidState):
    message = N_("This payment is not waiting for the bank's security check.")


class TestMethodsUnavailable(PermissionDenied):
    message = N_("Test payment methods are only offered with the offline payment emulator.")


class UnknownTestMethod(ValidationFailed):
    message = N_("Choose one of the offered test payment methods.")


class NotRefundable(InvalidState):
    message = N_("Only a received payment can be refunded.")


class OverRefund(ValidationFailed):
    message = N_("At most %(remaining)s of this payment can still be refunded.")


def gateway():
    return get_gateway()


def order_hooks():
    """The orders feature's reactions to payment outcomes (imported late: orders imports us)."""
    from marketplace.orders import services

    return services


# --- starting and confirming ---------------------------------------------------------------

def start_payment(order, actor):
    """A new attempt for the order's cash share and its PaymentIntent. Raises NotFound (not the
    buyer), NotPayable, NothingToPay, AlreadyPaid, PaymentGatewayUnavailable."""
    _check_buyer(order, actor)
    _check_payable(order)
    attempt = db.session.scalar(select(func.coalesce(func.max(Payment.attempt), 0))
                                .where(Payment.order_id == order.id)) + 1
    payment = Payment(order_id=order.id, attempt=attempt, amount_fen=order.balance_due_fen, currency="cny",
                      status=PaymentStatus.CREATED, refunded_fen=0)
    db.session.add(payment)
    db.session.flush()
    intent = gateway().create_intent(payment.amount_fen, payment.currency, payment.idempotency_key,
                                     {"order_number": order.number, "payment_id": str(payment.id)})
    payment.intent_id, payment.client_secret = intent.id, intent.client_secret
    payment.status = STRIPE_STATUS.get(intent.status, PaymentStatus.REQUIRES_PAYMENT_METHOD)
    db.session.flush()
    return payment


def open_payment(order, actor):
    """The order's attempt still awaiting the buyer, or a new one (see start_payment)."""
    _check_buyer(order, actor)
    latest = latest_payment(order)
    if latest is not None and latest.status in OPEN and latest.intent_id:
        _check_payable(order)
        return latest
    return start_payment(order, actor)


def pay_with_test_method(payment, method, actor):
    """Confirm the attempt server-side with a test card (emulator only): success → fulfilled,
    decline → failed (the buyer may retry), 3ds → requires_action. Raises as `confirm_test_method`."""
    return apply_intent(payment, confirm_test_method(payment, method, actor))


def confirm_test_method(payment, method, actor):
    """The gateway's answer to confirming the attempt with a test card; writes nothing, so a
    caller can record it with `apply_intent` in a transaction of its own (retried safely: the
    gateway is not called again). Raises TestMethodsUnavailable, UnknownTestMethod, NotFound,
    PaymentNotOpen, NotPayable, PaymentGatewayUnavailable."""
    if not gateway().test_methods:
        raise TestMethodsUnavailable()
    if method not in TEST_METHODS:
        raise UnknownTestMethod(field="method")
    _check_buyer(payment.order, actor)
    if payment.status not in (PaymentStatus.CREATED, PaymentStatus.REQUIRES_PAYMENT_METHOD):
        raise PaymentNotOpen()
    _check_payable(payment.order)
    return gateway().set_payment_method_and_confirm(payment.intent_id, method)


def authenticate_3ds(payment, success, actor):
    """Answer the simulated 3-D Secure challenge (emulator only). Raises as `answer_3ds`."""
    return apply_intent(payment, answer_3ds(payment, success, actor))


def answer_3ds(payment, success, actor):
    """The gateway's answer to the simulated 3-D Secure challenge; writes nothing (see
    `confirm_test_method`). Raises TestMethodsUnavailable, NotFound, NotAwaitingAuthentication,
    PaymentGatewayUnavailable."""
    if not gateway().test_methods:
        raise TestMethodsUnavailable()
    _check_buyer(payment.order, actor)
    if payment.status != PaymentStatus.REQUIRES_ACTION:
        raise NotAwaitingAuthentication()
    return gateway().authenticate_3ds(payment.intent_id, payment.client_secret, bool(success))


def fulfil(payment_or_intent_id):
    """Bring a payment in line with the PaymentIntent as Stripe has it now (never the event's
    copy): succeeded → payment succeeded once, cash ledger posted once, order told; declined →
    failed once. Safe any number of times, in any order, from the webhook and the return page.
    Returns the payment, or None for an intent that is not ours. Raises PaymentGatewayUnavailable."""
    payment = payment_or_intent_id
    if not isinstance(payment, Payment):
        payment = db.session.scalar(select(Payment).where(Payment.intent_id == payment_or_intent_id))
    if payment is None or payment.intent_id is None:
        return payment
    return apply_intent(payment, gateway().retrieve_intent(payment.intent_id))


def apply_intent(payment, intent):
    if intent.status == "succeeded":
        _succeed(payment, intent)
    elif intent.status == "requires_payment_method" and intent.error_code:
        _fail(payment, intent)
    elif intent.status in STRIPE_STATUS:
        _set_status(payment, STRIPE_STATUS[intent.status], OPEN)
    return payment


def _succeed(payment, intent):
    if intent.amount != payment.amount_fen or intent.currency != payment.currency:
        log.error("intent %s: %s %s does not match payment %s", intent.id, intent.amount,
                  intent.currency, payment.id)
        return
    claimed = _claim(payment, exclude=(PaymentStatus.SUCCEEDED,), status=PaymentStatus.SUCCEEDED,
                     succeeded_at=utcnow(), last_error=None)
    if not claimed:
        return
    # Lock the order so a cancellation running now either sees it paid (and refunds) or is seen
    # here as cancelled (and we refund); never both sides thinking the other will.
    order = db.session.scalar(select(Order).where(Order.id == payment.order_id).with_for_update()
                              .execution_options(populate_existing=True))
    _post_payment(payment, order)
    if order_hooks().payment_succeeded(order.id, payment.id) is False:
        refund_payment(payment, payment.amount_fen, None, CLOSED_REFUND)
        return
    excess = order.cash_received_fen - order.cash_fen
    if excess > 0:  # a second attempt for the same share (two tabs, a retried confirm)
        refund_payment(payment, min(excess, payment.amount_fen), None, DUPLICATE_REFUND)


def _fail(payment, intent):
    message = AUTHENTICATION_FAILED if intent.error_code == "payment_intent_authentication_failure" \
        else DECLINED if intent.error_code == "card_declined" else PAYMENT_FAILED
    if _set_status(payment, PaymentStatus.FAILED, OPEN, last_error=intent.error_message or intent.error_code):
        # The orders feature puts the reason into the buyer's notice as given: in the buyer's words.
        buyer = payment.order.buyer
        with force_locale(buyer.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            reason = gettext(message)
        order_hooks().payment_failed(payment.order_id, payment.id, reason)


def _set_status(payment, status, allowed_from, **values):
    if payment.status == status:
        return False
    return _claim(payment, only=allowed_from, status=status, **values)


def _claim(payment, only=None, exclude=None, **values):
    """Change the payment only if no rival changed it first (the row lock on PostgreSQL,
    BEGIN IMMEDIATE on SQLite): True if this call made the change."""
    db.session.flush()
    statement = update(Payment).where(Payment.id == payment.id).values(**values)
    if only is not None:
        statement = statement.where(Payment.status.in_([str(s) for s in only]))
    if exclude is not None:
        statement = statement.where(Payment.status.not_in([str(s) for s in exclude]))
    claimed = db.session.execute(statement, execution_options={"synchronize_session": False}).rowcount == 1
    db.session.refresh(payment)
    return claimed


def _check_buyer(order, actor):
    if actor is None or order.buyer_id != actor.id:
        raise NotFound()


def _check_payable(order):
    """Payable: a placed order's cash share, or the balance of an order in progress whose voucher
    share lapsed into cash (orders/expiry.py)."""
    if order.status not in PAYABLE_STATES or (order.status != OrderStatus.PLACED and not order.balance_due_fen):
        raise AlreadyPaid() if order.status == OrderStatus.PAID else NotPayable()
    if order.cash_fen <= 0:
        raise NothingToPay()
    if order.balance_due_fen <= 0:
        raise AlreadyPaid()


def latest_payment(order):
    return db.session.scalar(select(Payment).where(Payment.order_id == order.id)
                             .order_by(Payment.attempt.desc()).limit(1))


def payments_of(order):
    return db.session.scalars(select(Payment).where(Payment.order_id == order.id)
                              .order_by(Payment.attempt)).all()


# --- refunds ----------------------------------------------------------------------------------

def refund_payment(payment, amount_fen, actor, reason):
    """Refund `amount_fen` of a received payment: recorded once and posted to the cash ledger
    now; Stripe is asked after the transaction commits (`dispatch_refund`, run by the worker), so
    no database lock is held while it answers and a rolled-back decision never reaches it.
    Raises NotRefundable, OverRefund, InsufficientFunds (the provider's payable was paid out)."""
    if type(amount_fen) is not int or amount_fen <= 0:
        raise ValidationFailed(N_("The amount must be a whole number of fen greater than zero."))
    if payment.status != PaymentStatus.SUCCEEDED:
        raise NotRefundable()
    db.session.flush()
    db.session.refresh(payment)
    before = payment.refunded_fen
    claimed = db.session.execute(
        update(Payment).where(Payment.id == payment.id, Payment.status == PaymentStatus.SUCCEEDED,
                              Payment.refunded_fen == before,
                              Payment.refunded_fen + amount_fen <= Payment.amount_fen)
        .values(refunded_fen=Payment.refunded_fen + amount_fen),
        execution_options={"synchronize_session": False}).rowcount == 1
    db.session.refresh(payment)
    if not claimed:
        raise OverRefund(remaining=_yuan(payment.amount_fen - payment.refunded_fen))
    order = payment.order
    refund = Refund(payment_id=payment.id, amount_fen=amount_fen, reason=reason or "",
                    actor_id=getattr(actor, "id", None), status=RefundStatus.PENDING)
    db.session.add(refund)
    db.session.flush()
    transfer(db.session, open_cash_account(db.session, AccountKind.PROVIDER_PAYABLE, order.provider_id),
             open_cash_account(db.session, AccountKind.STRIPE_CLEARING), amount_fen,
             kind=TransferKind.REFUND, key=f"refund:{refund.id}", order_id=order.id,
             actor_id=refund.actor_id, memo=f"{order.number} refund of payment attempt {payment.attempt}")
    add_to_order(order, cash_refunded_fen=amount_fen)
    return refund


def refund_order(order, actor, reason):
    """Refund whatever is still unrefunded on the order's received payments; a second call
    refunds nothing. Returns the new Refund rows. Raises as refund_payment."""
    return refund_amount(order, None, actor, reason)


def refund_amount(order, amount_fen, actor, reason):
    """Refund `amount_fen` (None: everything unrefunded) of the order's received payments, the
    latest payment first. Returns the new Refund rows. Raises OverRefund, as refund_payment."""
    refunds, left = [], amount_fen
    db.session.flush()
    for payment in reversed(payments_of(order)):
        db.session.refresh(payment)
        remaining = payment.amount_fen - payment.refunded_fen
        if payment.status != PaymentStatus.SUCCEEDED or remaining <= 0 or left == 0:
            continue
        part = remaining if left is None else min(remaining, left)
        try:
            refunds.append(refund_payment(payment, part, actor, reason))
        except OverRefund:
            continue  # a rival refund got there first
        left = None if left is None else left - part
    if left:
        raise OverRefund(remaining=_yuan(order.cash_received_fen))
    return refunds


def add_to_order(order, **deltas):
    """Add to the order's cash figures in the database itself (col = col + delta), so rival
    payments and refunds of one order never overwrite each other's sums."""
    db.session.flush()
    db.session.execute(update(Order).where(Order.id == order.id)
                       .values(**{name: getattr(Order, name) + delta for name, delta in deltas.items()}),
                       execution_options={"synchronize_session": False})
    db.session.refresh(order)


def pending_refunds(limit=200):
    return list(db.session.scalars(select(Refund.id).where(Refund.status == RefundStatus.PENDING)
                                   .order_by(Refund.id).limit(limit)))


def dispatch_refund(refund_id):
    """Ask Stripe for one recorded refund (the worker, after the refund's transaction committed).
    The key names our refund row, so asking again returns Stripe's first refund. The call is made
    with no transaction open; the answer is recorded in a new one. Returns the refund's status.
    Raises PaymentGatewayUnavailable (the refund stays pending and is asked again later)."""
    refund = db.session.get(Refund, refund_id)
    if refund is None or refund.status != RefundStatus.PENDING:
        return None
    call = (refund.payment.intent_id, refund.amount_fen, f"refund-{refund.id}",
            {"order_number": refund.payment.order.number, "payment_id": str(refund.payment_id),
             "refund_id": str(refund.id)})
    db.session.rollback()  # end the read: nothing is held while Stripe answers
    result = gateway().refund(*call)

    def record():
        row = db.session.get(Refund, refund_id)
        if row.status == RefundStatus.PENDING:
            row.stripe_refund_id = result.id
            row.status = RefundStatus.FAILED if result.status in ("failed", "canceled") else RefundStatus.SENT
            db.session.flush()
        return row.status

    return run_in_transaction(db.session, record)


def _yuan(fen):
    from marketplace.money import format_fen

    return format_fen(fen)


def _post_payment(payment, order):
    transfer(db.session, open_cash_account(db.session, AccountKind.STRIPE_CLEARING),
             open_cash_account(db.session, AccountKind.PROVIDER_PAYABLE, order.provider_id),
             payment.amount_fen, kind=TransferKind.PAYMENT, key=f"payment:{payment.id}",
             order_id=order.id, memo=f"{order.number} payment attempt {payment.attempt}")
    add_to_order(order, cash_paid_fen=payment.amount_fen)


# --- webhook ----------------------------------------------------------------------------------

def handle_event(event):
    """Record a verified webhook event once and act on it: True if handled now, False for a
    duplicate. Raises PaymentGatewayUnavailable (nothing recorded: Stripe delivers again)."""
    if db.session.scalar(select(StripeEvent.id).where(StripeEvent.event_id == event.id)):
        return False
    row = StripeEvent(event_id=event.id, type=event.type[:60], object_id=event.object_id)
    db.session.add(row)
    db.session.flush()  # a concurrent duplicate fails here; run_in_transaction retries into the check
    if event.type in HANDLED_EVENTS and event.object_id:
        fulfil(event.object_id)
    row.processed_at = utcnow()
    db.session.flush()
    return True


# --- reconciliation ---------------------------------------------------------------------------

@dataclass(frozen=True)
class CashReconciliation:
    """payments − refunds = provider payables + platform revenue + paid out, from the cash
    ledger, and the same payments and refunds as recorded in our payment tables."""

    payments: int  # cash ledger: received through Stripe
    refunds: int
    paid_out: int
    provider_payables: int
    platform_revenue: int
    stripe_clearing: int
    recorded_payments: int  # payment and refund rows
    recorded_refunds: int

    @property
    def net(self):
        return self.payments - self.refunds

    @property
    def balanced(self):
        return (self.net == self.provider_payables + self.platform_revenue + self.paid_out
                and self.stripe_clearing == self.net - self.paid_out
                and self.recorded_payments == self.payments and self.recorded_refunds == self.refunds)


def cash_reconciliation():
    """The cash side's figures (see CashReconciliation)."""
    from marketplace.ledger import Account, Transfer

    def moved(kind):
        return db.session.scalar(select(func.coalesce(func.sum(Transfer.amount), 0)).where(
            Transfer.ledger == "cash", Transfer.kind == kind)) or 0

    def net(kind, debit_normal=False):
        credits, debits = db.session.execute(select(
            func.coalesce(func.sum(Account.credits_posted), 0),
            func.coalesce(func.sum(Account.debits_posted), 0)).where(Account.kind == kind)).one()
        return int(debits - credits) if debit_normal else int(credits - debits)

    recorded_payments = db.session.scalar(select(func.coalesce(func.sum(Payment.amount_fen), 0))
                                          .where(Payment.status == PaymentStatus.SUCCEEDED))
    recorded_refunds = db.session.scalar(select(func.coalesce(func.sum(Refund.amount_fen), 0))
                                         .where(Refund.status != "failed"))
    return CashReconciliation(
        payments=int(moved(TransferKind.PAYMENT)), refunds=int(moved(TransferKind.REFUND)),
        paid_out=int(moved(TransferKind.PAYOUT)), provider_payables=net(AccountKind.PROVIDER_PAYABLE),
        platform_revenue=net(AccountKind.PLATFORM_REVENUE),
        stripe_clearing=net(AccountKind.STRIPE_CLEARING, debit_normal=True),
        recorded_payments=int(recorded_payments), recorded_refunds=int(recorded_refunds))


def order_for_buyer(number, user):
    """The order with this number if `user` bought it; NotFound otherwise (no hint it exists)."""
    order = db.session.scalar(select(Order).where(Order.number == number))
    if order is None or user is None or order.buyer_id != user.id:
        raise NotFound()
    return order
