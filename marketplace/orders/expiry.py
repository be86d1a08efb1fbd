"""Time on orders: the deadline of each waiting state, and the end of a program's redeem_by.

Deadlines: an unpaid order is cancelled after ORDER_PAY_DAYS, a paid one the provider has not
accepted after ORDER_ACCEPT_DAYS; delivered work is accepted automatically after
ORDER_AUTO_ACCEPT_DAYS (or, while a balance is unpaid, goes to an operator as a dispute).
Orders of a suspended provider are frozen: no deadline runs until it is reinstated.

The end of redeem_by (the rule, also in docs/architecture.md): a voucher share still held on an
open order can no longer be redeemed. Each such hold expires in the ledger and its money lapses
(the voucher is past use_by by then). An order not yet started — placed or paid — is cancelled
and any cash refunded. Work in progress, delivered or disputed goes on in cash: the lapsed share
is added to the cash share, owed by the enterprise and paid on the pay page before it can accept
the delivery. Both parties are told. The worker applies this to each order in its own
transaction; every action that posts holds applies it first, so the outcome never depends on
when the worker last ran."""
from sqlalchemy import select

from marketplace import ledger
from marketplace.catalog.models import AdmissionStatus, ProviderProfile
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.money import format_fen
from marketplace.orders import lifecycle
from marketplace.orders.actions import complete, open_holds, release, tell, tell_both
from marketplace.orders.models import Order, OrderEvent, OrderStatus, OrderVoucher
from marketplace.vouchers.expiry import lapse_if_dead

TIMED_STATES = (OrderStatus.PLACED, OrderStatus.PAID, OrderStatus.DELIVERED)
NOT_STARTED = (OrderStatus.PLACED, OrderStatus.PAID)


def frozen_provider_ids():
    """Providers whose orders are frozen (suspended: only an operator may end their orders)."""
    return select(ProviderProfile.organisation_id).where(ProviderProfile.status == AdmissionStatus.SUSPENDED)


# -- redeem_by ---------------------------------------------------------------------------------
def overdue_holds(order, now):
    hold = ledger.Transfer
    return [held for held in open_holds(order)
            if (timeout := db.session.scalar(select(hold.timeout_at).where(hold.id == held.hold_id))) is not None
            and timeout <= now]


def lapse_overdue_holds(order, now=None):
    """Apply the redeem_by rule to this order's holds that have timed out; returns fen lapsed."""
    now = now or utcnow()
    overdue = overdue_holds(order, now)
    if not overdue:
        return 0
    lapsed = 0
    for held in overdue:
        ledger.expire(db.session, held.hold_id, now=now)
        held.posted_fen, lapsed = 0, lapsed + held.amount_fen
        lapse_if_dead(held.voucher, now=now)
    order.voucher_fen -= lapsed
    reason = "the voucher program's redemption period ended"
    if order.status in NOT_STARTED:
        lifecycle.transition(order, "expire", None, reason)
        release(order, None, reason)
        tell_both(order, N_("Order %(number)s cancelled"),
                  N_("Order %(number)s was cancelled: the redemption period of its voucher program ended before "
                     "work started, so its voucher share lapsed. Any payment is refunded."))
    else:
        order.cash_fen += lapsed
        db.session.add(OrderEvent(order_id=order.id, action="voucher_lapsed", from_status=order.status,
                                  to_status=order.status, note=f"{format_fen(lapsed)}: {reason}"))
        tell_both(order, N_("Voucher share of order %(number)s lapsed"),
                  N_("The redemption period of the voucher program ended while order %(number)s was in progress: "
                     "its voucher share of %(amount)s lapsed and is now paid in cash by the buyer."),
                  amount=format_fen(lapsed))
    db.session.flush()
    return lapsed


def orders_with_overdue_holds(now=None, limit=500):
    hold = ledger.Transfer
    return list(db.session.scalars(
        select(OrderVoucher.order_id).join(hold, hold.id == OrderVoucher.hold_id)
        .where(OrderVoucher.posted_fen.is_(None), hold.timeout_at <= (now or utcnow()))
        .distinct().order_by(OrderVoucher.order_id).limit(limit)))


def lapse_order(order_id, now=None):
    """The worker's step for one order (its own transaction)."""
    order = locked(order_id)
    return 0 if order is None else lapse_overdue_holds(order, now)


# -- state deadlines -----------------------------------------------------------------------------
def due_orders(now=None, limit=200):
    """Ids of orders past the deadline of their state (frozen orders wait)."""
    return list(db.session.scalars(
        select(Order.id).where(Order.due_at <= (now or utcnow()), Order.status.in_(TIMED_STATES),
                               Order.provider_id.not_in(frozen_provider_ids()))
        .order_by(Order.id).limit(limit)))


def run_timeout(order_id, now=None):
    """The worker's step for one order past its deadline: returns what was done, or None when
    a rival (another worker, the user a moment ago) already moved it."""
    now = now or utcnow()
    order = locked(order_id)
    if order is None or order.status not in TIMED_STATES or order.due_at is None or order.due_at > now:
        return None
    lapse_overdue_holds(order, now)
    if order.status == OrderStatus.DELIVERED:
        return auto_accept(order)
    if order.status in NOT_STARTED:
        lifecycle.transition(order, "expire", None, "deadline passed")
        release(order, None, "deadline passed")
        tell(order, order.enterprise_id, N_("Order %(number)s expired"),
             N_("Order %(number)s was cancelled because its deadline passed. Vouchers were released and any payment refunded."))
        return "expired"
    return None


def auto_accept(order):
    if order.balance_due_fen:
        lifecycle.transition(order, "escalate", None, "balance unpaid at the acceptance deadline")
        from marketplace.notifications import services as notifications

        notifications.notify(db.session, notifications.admins(db.session), "order_disputed",
                             N_("Order %(number)s needs a decision"),
                             N_("Order %(number)s was delivered but its balance of %(amount)s is unpaid at the "
                                "acceptance deadline."), link=f"/orders/{order.number}", number=order.number,
                             amount=format_fen(order.balance_due_fen))
        return "escalated"
    complete(order, None, "auto_complete")
    return "accepted"


def locked(order_id):
    """The order re-read under a row lock; None when another worker holds it (PostgreSQL)."""
    return db.session.scalar(select(Order).where(Order.id == order_id)
                             .with_for_update(skip_locked=True).execution_options(populate_existing=True))


def thaw(provider_id, now=None):
    """A reinstated provider's open orders run again: each waiting state's deadline restarts."""
    now = now or utcnow()
    orders = db.session.scalars(select(Order).where(Order.provider_id == provider_id,
                                                    Order.status.in_(TIMED_STATES))).all()
    for order in orders:
        order.due_at = lifecycle.deadline(order.status, now)
    return orders
