"""The message thread of an order, and the review after completion (with one provider reply)."""
from sqlalchemy import func, select

from marketplace.catalog.models import Listing, OutboxAction
from marketplace.catalog.outbox import record_change
from marketplace.database import utcnow
from marketplace.errors import InvalidState, ValidationFailed
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.notifications import services as notifications
from marketplace.orders import lifecycle
from marketplace.orders.models import DONE_STATES, Order, OrderMessage, OrderStatus, Review

MAX_MESSAGE = 4000
REVIEWABLE = (OrderStatus.COMPLETED, OrderStatus.REDEEMED, OrderStatus.SETTLED)


def post_message(order, actor, body, stored_file=None):
    """Add a message (and optional attachment) and tell the other party."""
    role = lifecycle.role_of(actor, order)
    body = (body or "").strip()
    if not body and stored_file is None:
        raise ValidationFailed(N_("Write a message or attach a file."), field="body")
    if len(body) > MAX_MESSAGE:
        raise ValidationFailed(N_("A message has at most 4,000 characters."), field="body")
    message = OrderMessage(order_id=order.id, author_id=actor.id, body=body,
                           file_id=stored_file.id if stored_file else None)
    db.session.add(message)
    other = order.provider_id if role == lifecycle.ENTERPRISE else order.enterprise_id
    recipients = notifications.members(db.session, other) if role != lifecycle.ADMIN else \
        [*notifications.members(db.session, order.provider_id), *notifications.members(db.session, order.enterprise_id)]
    notifications.notify(db.session, recipients, "order_message", N_("New message on order %(number)s"),
                         N_("%(author)s wrote: %(excerpt)s"), link=f"/orders/{order.number}#thread",
                         number=order.number, author=actor.name, excerpt=body[:140])
    db.session.flush()
    return message


def messages(order):
    return db.session.scalars(select(OrderMessage).where(OrderMessage.order_id == order.id)
                              .order_by(OrderMessage.id)).all()


def review(order, actor, rating, body):
    """The buyer's one review of a completed order. Raises InvalidState, ValidationFailed."""
    if lifecycle.role_of(actor, order) != lifecycle.ENTERPRISE:
        raise InvalidState(N_("Only the buyer can review an order."))
    if order.status not in REVIEWABLE:
        raise InvalidState(N_("An order can be reviewed once its delivery is accepted."))
    if db.session.scalar(select(Review.id).where(Review.order_id == order.id)):
        raise InvalidState(N_("This order has already been reviewed."))
    if rating not in range(1, 6):
        raise ValidationFailed(N_("Choose 1 to 5 stars."), field="rating")
    body = (body or "").strip()[:MAX_MESSAGE]
    item = Review(order_id=order.id, listing_id=order.listing_id, provider_id=order.provider_id,
                  author_id=actor.id, rating=rating, body=body)
    db.session.add(item)
    db.session.flush()
    record_change(db.session.get(Listing, order.listing_id), OutboxAction.UPDATE)  # the rating feeds search ranking
    return item


def reply(order, actor, text):
    """The provider's one public reply to the review."""
    if lifecycle.role_of(actor, order) != lifecycle.PROVIDER:
        raise InvalidState(N_("Only the provider can reply to a review."))
    item = db.session.scalar(select(Review).where(Review.order_id == order.id))
    if item is None:
        raise InvalidState(N_("There is no review to reply to yet."))
    if item.reply is not None:
        raise InvalidState(N_("You have already replied to this review."))
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(N_("Write your reply."), field="reply")
    item.reply, item.replied_at = text[:MAX_MESSAGE], utcnow()
    return item


def rating_summary(listing_id=None, provider_id=None):
    """(average rating ×100 as an int, count) for a listing or a provider; (0, 0) without reviews."""
    query = select(func.avg(Review.rating), func.count(Review.id))
    query = query.where(Review.listing_id == listing_id) if listing_id else query.where(Review.provider_id == provider_id)
    average, count = db.session.execute(query).one()
    return (round(float(average) * 100) if average else 0), count


def listing_track_records(listing_ids):
    """{listing id: (average rating ×100, reviews, completed orders)} in two grouped queries,
    whatever the number of listings; listings without either are left out."""
    ids = list(listing_ids)
    if not ids:
        return {}
    ratings = db.session.execute(select(Review.listing_id, func.avg(Review.rating), func.count(Review.id))
                                 .where(Review.listing_id.in_(ids)).group_by(Review.listing_id)).all()
    completed = dict(db.session.execute(select(Order.listing_id, func.count(Order.id))
                                        .where(Order.listing_id.in_(ids), Order.status.in_(DONE_STATES))
                                        .group_by(Order.listing_id)).all())
    records = {listing_id: (round(float(average) * 100), count, completed.get(listing_id, 0))
               for listing_id, average, count in ratings}
    records.update({listing_id: (0, 0, count) for listing_id, count in completed.items() if listing_id not in records})
    return records


def reviews_for(listing_id=None, provider_id=None, limit=20):
    query = select(Review).order_by(Review.created_at.desc()).limit(limit)
    query = query.where(Review.listing_id == listing_id) if listing_id else query.where(Review.provider_id == provider_id)
    return db.session.scalars(query).all()
