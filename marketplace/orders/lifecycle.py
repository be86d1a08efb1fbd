"""The order state machine as a table: (state, action) → (next state, who may do it).

Every transition is recorded on the order's timeline with actor and time; anything not in the
table is refused with a message naming the state."""
from datetime import timedelta

from flask import current_app

from marketplace.database import utcnow
from marketplace.errors import InvalidState, PermissionDenied
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.orders.models import STATUS_LABELS, OrderEvent, OrderStatus as S

ENTERPRISE, PROVIDER, ADMIN, SYSTEM = "enterprise", "provider", "admin", "system"

TRANSITIONS = {
    (S.PLACED, "pay"): (S.PAID, {SYSTEM}),
    (S.PLACED, "cancel"): (S.CANCELLED, {ENTERPRISE, ADMIN}),
    (S.PLACED, "expire"): (S.CANCELLED, {SYSTEM}),
    (S.PAID, "accept"): (S.ACCEPTED, {PROVIDER}),
    (S.PAID, "reject"): (S.REJECTED, {PROVIDER}),
    (S.PAID, "cancel"): (S.CANCELLED, {ENTERPRISE, ADMIN}),
    (S.PAID, "expire"): (S.CANCELLED, {SYSTEM}),
    (S.ACCEPTED, "deliver"): (S.DELIVERED, {PROVIDER}),
    (S.DELIVERED, "complete"): (S.COMPLETED, {ENTERPRISE}),
    (S.DELIVERED, "auto_complete"): (S.COMPLETED, {SYSTEM}),
    (S.DELIVERED, "dispute"): (S.DISPUTED, {ENTERPRISE}),
    (S.DELIVERED, "escalate"): (S.DISPUTED, {SYSTEM}),  # balance unpaid at the acceptance deadline
    **{(state, "annul"): (S.CANCELLED, {ADMIN}) for state in (S.PLACED, S.PAID, S.ACCEPTED, S.DELIVERED)},
    (S.DISPUTED, "resolve_post"): (S.COMPLETED, {ADMIN}),
    (S.DISPUTED, "resolve_refund"): (S.REFUNDED, {ADMIN}),
    (S.COMPLETED, "request_redemption"): (S.REDEEMED, {PROVIDER}),
    (S.REDEEMED, "reject_redemption"): (S.COMPLETED, {ADMIN}),
    (S.REDEEMED, "settle"): (S.SETTLED, {ADMIN, SYSTEM}),
}

ACTION_LABELS = {
    "place": N_("Order placed"), "pay": N_("Paid"), "cancel": N_("Cancelled"), "expire": N_("Expired"),
    "accept": N_("Accepted by the provider"), "reject": N_("Rejected by the provider"),
    "deliver": N_("Delivered"), "complete": N_("Delivery accepted (验收)"), "auto_complete": N_("Accepted automatically"),
    "dispute": N_("Dispute raised"), "resolve_post": N_("Dispute resolved: paid to the provider"),
    "resolve_refund": N_("Dispute resolved: refunded"), "request_redemption": N_("Redemption requested"),
    "reject_redemption": N_("Redemption request rejected"),
    "settle": N_("Settled"), "annul": N_("Annulled by the administrators"),
    "escalate": N_("Sent to the administrators: balance unpaid"),
    "voucher_lapsed": N_("Voucher share lapsed (redemption period ended): now paid in cash"),
}


class OrderFrozen(InvalidState):
    message = N_("The provider of this order is suspended: the order is on hold until it is reinstated. "
                 "Only the administrators can act on it now.")


def role_of(actor, order):
    """The actor's part in this order; PermissionDenied if it has none."""
    if actor is None:
        return SYSTEM
    if actor.is_admin:
        return ADMIN
    if actor.organisation_id == order.enterprise_id:
        return ENTERPRISE
    if actor.organisation_id == order.provider_id:
        return PROVIDER
    raise PermissionDenied()


def allowed(order, action, actor):
    key = (order.status, action)
    return key in TRANSITIONS and role_of(actor, order) in TRANSITIONS[key][1]


def transition(order, action, actor, note=""):
    """Move the order on; returns the previous state. Raises InvalidState or PermissionDenied.

    The order row is re-read under a row lock first (PostgreSQL; SQLite serialises writers), so
    a cancel racing a payment's fulfilment sees the other's outcome instead of overwriting it."""
    if order.id is not None:
        db.session.flush()  # keep this transaction's own pending changes; the refresh re-reads the row
        db.session.refresh(order, with_for_update=True)
    key = (order.status, action)
    if key not in TRANSITIONS:
        raise InvalidState(N_("This cannot be done while the order is “%(state)s”."), state=STATUS_LABELS[order.status])
    target, roles = TRANSITIONS[key]
    role = role_of(actor, order)
    if role not in roles or getattr(actor, "is_auditor", False):
        raise PermissionDenied()  # auditors read everything and change nothing
    if role in (ENTERPRISE, PROVIDER) and frozen(order):
        raise OrderFrozen()
    previous, order.status, order.updated_at = order.status, target, utcnow()
    order.due_at = deadline(target)
    db.session.add(OrderEvent(order_id=order.id, action=action, from_status=previous, to_status=target,
                              actor_id=getattr(actor, "id", None), note=(note or "")[:2000]))
    db.session.flush()
    return previous


def deadline(state, now=None):
    """When the worker acts on an order left in `state` (unpaid, unaccepted, not yet accepted)."""
    days = {S.PLACED: "ORDER_PAY_DAYS", S.PAID: "ORDER_ACCEPT_DAYS", S.DELIVERED: "ORDER_AUTO_ACCEPT_DAYS"}.get(state)
    return (now or utcnow()) + timedelta(days=current_app.config[days]) if days else None


def frozen(order):
    """True while the order's provider is suspended (its open orders wait for an operator)."""
    from marketplace.catalog.providers import is_suspended

    return is_suspended(order.provider_id)
