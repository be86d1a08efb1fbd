"""The orders feature's public operations (each module documents its errors)."""
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.orders.actions import (ORDER_PAGE_READS, BalanceDue, accept, annul, cancel, complete,  # noqa: F401
                                        deliver, dispute, get_order, payment_failed, payment_succeeded, reject,
                                        resolve)
from marketplace.orders.expiry import (due_orders, lapse_order, lapse_overdue_holds,  # noqa: F401
                                       orders_with_overdue_holds, run_timeout, thaw)
from marketplace.orders.checkout import Offer, VoucherBalanceChanged, offer_for, place_order, quote  # noqa: F401
from marketplace.orders.lifecycle import allowed, frozen  # noqa: F401
from marketplace.orders.models import Review
from marketplace.orders.quotes import accept_quote, get_quote, give_quote, quotes_for, request_quote  # noqa: F401
from marketplace.orders.thread import messages, post_message, rating_summary, reply, review, reviews_for  # noqa: F401


def reviews_for_order(order):
    return db.session.scalar(select(Review).where(Review.order_id == order.id))
