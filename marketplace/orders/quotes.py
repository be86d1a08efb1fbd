"""Price on request: the enterprise asks, the provider quotes, the enterprise accepts the quote."""
from sqlalchemy import select

from marketplace.catalog.queries import public_listing
from marketplace.database import utcnow
from marketplace.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.money import format_fen
from marketplace.notifications import services as notifications
from marketplace.orders.checkout import Offer, place_order
from marketplace.orders.models import Order, Quote


def request_quote(actor, listing_id, text):
    listing = public_listing(listing_id)
    if not listing.published_revision.price_on_request:
        raise InvalidState(N_("This service has fixed prices: order a package instead."))
    if actor.role != "enterprise" or not actor.can_trade:
        raise PermissionDenied(N_("Only verified enterprises can ask for quotes."))
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(N_("Describe what you need."), field="request")
    item = Quote(listing_id=listing.id, enterprise_id=actor.organisation_id, provider_id=listing.provider_id,
                 requester_id=actor.id, request=text[:2000])
    db.session.add(item)
    db.session.flush()
    notifications.notify(db.session, notifications.members(db.session, listing.provider_id), "quote_requested",
                         N_("Quote requested: %(title)s"), N_("%(company)s asks for a quote: %(request)s"),
                         link="/orders/quotes", title=listing.published_revision.title,
                         company=actor.organisation.legal_name, request=text[:140])
    return item


def get_quote(quote_id, actor):
    item = db.session.get(Quote, quote_id)
    if item is None or actor.organisation_id not in (item.enterprise_id, item.provider_id):
        raise NotFound(N_("This quote does not exist."))
    return item


def give_quote(actor, quote_id, price_fen, delivery_days, note):
    item = get_quote(quote_id, actor)
    if actor.organisation_id != item.provider_id:
        raise PermissionDenied()
    if item.status not in ("requested", "quoted"):
        raise InvalidState(N_("This quote can no longer be changed."))
    if not price_fen or price_fen <= 0:
        raise ValidationFailed(N_("The amount must be greater than zero."), field="price")
    item.price_fen, item.delivery_days, item.provider_note = price_fen, delivery_days, (note or "")[:2000]
    item.status, item.quoted_at = "quoted", utcnow()
    notifications.notify(db.session, notifications.members(db.session, item.enterprise_id), "quote_given",
                         N_("Quote received"), N_("The provider quoted %(price)s. Accept it to place the order."),
                         link="/orders/quotes", price=format_fen(price_fen))
    return item


def accept_quote(actor, quote_id, request_key):
    """Place an order at the quoted price (voucher share computed as for any order)."""
    item = get_quote(quote_id, actor)
    if actor.organisation_id != item.enterprise_id:
        raise PermissionDenied()
    if item.status == "accepted":
        return db.session.get(Order, item.order_id)
    if item.status != "quoted":
        raise InvalidState(N_("The provider has not quoted a price yet."))
    listing = public_listing(item.listing_id)
    order = place_order(actor, Offer(listing, None, item.price_fen, item.delivery_days, "报价"), request_key)
    item.status, item.order_id = "accepted", order.id
    return order


def quotes_for(actor):
    column = Quote.provider_id if actor.role == "provider" else Quote.enterprise_id
    return select(Quote).where(column == actor.organisation_id).order_by(Quote.created_at.desc(), Quote.id.desc())
