"""Files attached to orders (delivery reports, thread attachments) are visible to both parties."""
from sqlalchemy import or_, select

from marketplace.extensions import db
from marketplace.orders.models import Order, OrderMessage


def shared_with(stored, viewer):
    order_ids = select(OrderMessage.order_id).where(OrderMessage.file_id == stored.id)
    query = select(Order.id).where(or_(Order.delivery_file_id == stored.id, Order.id.in_(order_ids)),
                                   or_(Order.enterprise_id == viewer.organisation_id,
                                       Order.provider_id == viewer.organisation_id))
    return db.session.scalar(query.limit(1)) is not None
