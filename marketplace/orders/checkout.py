"""Quote and place an order: price snapshot, voucher holds and the cash share, in one transaction."""
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from marketplace import ledger
from marketplace.catalog.models import (AdmissionStatus, Category, Listing, ListingPackage, ListingRevision,
                                        ProviderProfile)
from marketplace.catalog.queries import published_or_not_found
from marketplace.database import utcnow
from marketplace.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.orders import lifecycle
from marketplace.orders.models import Order, OrderEvent, OrderStatus, OrderVoucher
from marketplace.orders.pricing import split
from marketplace.vouchers.rules import end_of_day, local_date


class VoucherBalanceChanged(InvalidState):
    message = N_("Your voucher balance changed while you were ordering. Review the new quote and confirm again.")


UNREAD = object()


@dataclass(frozen=True)
class Offer:
    """What is being bought: a published listing's package (or an accepted quote's price)."""

    listing: Listing
    package: ListingPackage | None
    price: int
    delivery_days: int | None
    package_name: str
    provider_admitted_at: object = UNREAD  # read with the listing by offer_for, else by quote


def top_category(revision):
    category = revision.category
    return category.parent.slug if category.parent_id else category.slug


def admitted_at_of(provider_id):
    """When the provider entered the provider register (None: it is not in it)."""
    return select(ProviderProfile.admitted_at).where(
        ProviderProfile.organisation_id == provider_id, ProviderProfile.status == AdmissionStatus.ADMITTED)


# One query for the listing, its published revision, category (and parent), provider, then one
# for the packages: what quote and place_order read, instead of a lazy load each.
WHAT_AN_OFFER_READS = (
    joinedload(Listing.published_revision).joinedload(ListingRevision.category).joinedload(Category.parent),
    joinedload(Listing.published_revision).selectinload(ListingRevision.packages),
    joinedload(Listing.provider))


def offer_for(listing_id, package_id):
    """The package of a published listing. Raises NotFound (unpublished a second ago included)."""
    row = db.session.execute(select(Listing, admitted_at_of(Listing.provider_id).scalar_subquery())
                             .options(*WHAT_AN_OFFER_READS).where(Listing.id == listing_id)).first()
    listing = published_or_not_found(row[0] if row else None)
    revision = listing.published_revision
    if revision.price_on_request:
        raise InvalidState(N_("This service is priced on request: ask the provider for a quote first."))
    package = next((p for p in revision.packages if p.id == package_id), None)
    if package is None:
        raise NotFound(N_("This package is no longer offered. Choose another one on the service page."))
    return Offer(listing, package, package.price_fen, package.delivery_days, package.name, provider_admitted_at=row[1])


def require_buyer(actor, offer):
    if actor is None or actor.role != "enterprise":
        raise PermissionDenied(N_("Only enterprises can order services."))
    if not actor.can_trade:
        raise PermissionDenied(N_("Your enterprise must be verified before it can order."))
    if actor.organisation_id == offer.listing.provider_id:
        raise PermissionDenied()


def quote(actor, offer, now=None):
    """The split of the offer's price for this enterprise, without writing anything."""
    require_buyer(actor, offer)
    revision = offer.listing.published_revision
    admitted_at = offer.provider_admitted_at
    if admitted_at is UNREAD:
        admitted_at = db.session.scalar(admitted_at_of(offer.listing.provider_id))
    return split(actor.organisation, offer.listing.provider, top_category(revision), offer.price,
                 revision.voucher_eligible, admitted_at, now or utcnow())


def place_order(actor, offer, request_key, now=None):
    """Place the order with its voucher holds. A repeated request_key returns the first order.
    Raises PermissionDenied, NotFound, InvalidState, VoucherBalanceChanged, ExceptionUsed (a
    related-party exception another checkout used a moment ago)."""
    existing = db.session.scalar(select(Order).where(Order.request_key == request_key))
    if existing is not None:
        if existing.buyer_id != getattr(actor, "id", None):
            raise ValidationFailed(N_("This form was already used. Reload the page."))
        return existing
    now = now or utcnow()
    split_ = quote(actor, offer, now)
    order = new_order(actor, offer, split_, request_key, now)
    if split_.exception is not None and split_.voucher:
        from marketplace.parties.exceptions import use_exception

        use_exception(split_.exception.id, order)
    hold_vouchers(order, split_, actor)
    if order.cash_fen == 0:
        from marketplace.orders.actions import tell

        lifecycle.transition(order, "pay", None, note="voucher share covers the whole price")
        tell(order, order.provider_id, N_("New paid order %(number)s"), N_("Order %(number)s is paid. Accept or reject it."))
    return order


def new_order(actor, offer, split_, request_key, now):
    revision = offer.listing.published_revision
    order = Order(
        number="pending", request_key=request_key, enterprise_id=actor.organisation_id, buyer_id=actor.id,
        provider_id=offer.listing.provider_id, listing_id=offer.listing.id,
        package_id=offer.package.id if offer.package else None, category=top_category(revision),
        snapshot={"title": revision.title, "package": offer.package_name, "delivery_days": offer.delivery_days,
                  "provider": offer.listing.provider.legal_name, "revision_id": revision.id},
        price_fen=split_.price, voucher_fen=split_.voucher, cash_fen=split_.cash, terms=split_.terms(),
        program_id=split_.program.id if split_.voucher else None, voucher_note=reasons_text(split_),
        status=OrderStatus.PLACED, created_at=now, due_at=lifecycle.deadline(OrderStatus.PLACED))
    db.session.add(order)
    db.session.flush()
    order.number = f"TO{local_date(now):%Y%m%d}{order.id:06d}"
    db.session.add(OrderEvent(order_id=order.id, action="place", to_status=order.status, actor_id=actor.id))
    return order


def reasons_text(split_):
    """Stored as JSON lines [msgid, params] so the order page shows them in the reader's language."""
    return "\n".join(json.dumps([message, params], ensure_ascii=False) for message, params in split_.reasons)


def hold_vouchers(order, split_, actor):
    """Hold each voucher's part (voucher → the provider's receivable in the voucher's program)
    until the end of that program's redeem_by."""
    for part in split_.parts:
        program = part.program
        receivable = ledger.open_receivable_account(db.session, program.id, program.code, order.provider_id)
        for use in part.uses:
            try:
                held = ledger.hold(db.session, use.voucher.account_id, receivable.id, use.amount,
                                   key=f"order:{order.id}:hold:{use.voucher.id}",
                                   timeout_at=end_of_day(program.redeem_by), order_id=order.id,
                                   voucher_id=use.voucher.id, actor_id=actor.id,
                                   memo=f"{order.number} {order.snapshot['title']}"[:200])
            except ledger.InsufficientFunds as error:
                raise VoucherBalanceChanged() from error
            db.session.add(OrderVoucher(order_id=order.id, voucher_id=use.voucher.id, amount_fen=use.amount,
                                        hold_id=held.id))
    db.session.flush()
