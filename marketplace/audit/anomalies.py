"""Anomaly flags: rules computed from the data each time (nothing to keep in sync), each flag
explained; an admin may dismiss one with a reason (kept, and in the audit log).

Rules: orders between related parties; contract splitting (the same enterprise–provider pair
with several orders just under the per-order cap within 30 days); voucher share above the
program ratio; redemption requested without delivery evidence; refunds after redemption;
reviews from related parties; a provider charging voucher holders sharply more than cash buyers;
trading pairs sharing a contact phone, a company mail domain or a registered address."""
import hashlib
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from marketplace.audit.models import AnomalyDismissal
from marketplace.audit.services import record
from marketplace.auth.models import Organisation
from marketplace.auth.services import require_operator
from marketplace.database import built_once
from marketplace.errors import Duplicate, PermissionDenied
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.money import format_fen
from marketplace.orders.actions import reason_required
from marketplace.orders.models import Order, Review
from marketplace.parties.models import Affiliation
from marketplace.orders.pricing import allowed_share
from marketplace.redemption.models import RedemptionItem, RedemptionRequest
from marketplace.vouchers.models import VoucherProgram

SPLIT_WINDOW = timedelta(days=30)
LIVE_ORDER = Order.status.not_in(["cancelled", "rejected", "refunded"])
NEAR_CAP = 0.9  # "just under the cap": a voucher share of at least 90% of the per-order cap

RULES = {
    "related_party_order": N_("Order between related parties"),
    "contract_splitting": N_("Possible contract splitting"),
    "share_above_ratio": N_("Voucher share above the program ratio"),
    "redemption_without_evidence": N_("Redemption requested without delivery evidence"),
    "refund_after_redemption": N_("Refund after redemption"),
    "related_party_review": N_("Review from a related party"),
    "price_rise_for_vouchers": N_("Higher prices for voucher holders"),
    "shared_phone": N_("Enterprise and provider share a contact phone"),
    "shared_email_domain": N_("Enterprise and provider share an e-mail domain"),
    "shared_address": N_("Enterprise and provider share a registered address"),
}
PRICE_RISE_PERCENT = 20  # voucher orders paying this much more than cash-only orders of the same package


@dataclass(frozen=True)
class Flag:
    rule: str
    key: str  # what the flag is about, e.g. "order:12"
    explanation: str  # an English msgid with %(…)s parameters
    params: dict
    order_number: str | None = None

    @property
    def title(self):
        return RULES[self.rule]


def related(enterprise, provider):
    """SQL: the two organisation aliases are related parties."""
    low = case((enterprise.id < provider.id, enterprise.id), else_=provider.id)
    high = case((enterprise.id < provider.id, provider.id), else_=enterprise.id)
    affiliated = exists().where(Affiliation.organisation_a_id == low, Affiliation.organisation_b_id == high,
                                Affiliation.ended_at.is_(None))
    same_representative = and_(func.trim(enterprise.legal_representative) != "",
                               func.trim(enterprise.legal_representative) == func.trim(provider.legal_representative))
    return or_(enterprise.credit_code == provider.credit_code, same_representative, affiliated)


@built_once
def related_party_orders_query():
    enterprise, provider = aliased(Organisation), aliased(Organisation)
    return (select(Order.id, Order.number, Order.terms, enterprise.legal_name, provider.legal_name)
            .join(enterprise, enterprise.id == Order.enterprise_id)
            .join(provider, provider.id == Order.provider_id)
            .where(related(enterprise, provider)).order_by(Order.id))


def related_party_orders():
    return [related_party_flag(r) for r in db.session.execute(related_party_orders_query()).all()]


def related_party_flag(row):
    names = {"enterprise": row[3], "provider": row[4]}
    exception = (row.terms or {}).get("related_party_exception")
    if exception:  # still shown: an approved exception explains it, it does not hide it
        return Flag("related_party_order", f"order:{row.id}",
                    N_("%(enterprise)s and %(provider)s are related parties; vouchers were used under an approved exception: %(reason)s"),
                    {**names, "reason": exception.get("reason", "")}, row.number)
    return Flag("related_party_order", f"order:{row.id}",
                N_("%(enterprise)s and %(provider)s are related parties (same credit code, legal representative or a recorded affiliation)."),
                names, row.number)


@built_once
def contract_splitting_query():
    return (select(Order.id, Order.number, Order.enterprise_id, Order.provider_id, Order.created_at, Order.voucher_fen)
            .join(VoucherProgram, VoucherProgram.id == Order.program_id)
            .where(VoucherProgram.order_cap_fen.is_not(None), Order.voucher_fen > 0,
                   Order.voucher_fen * 10 >= VoucherProgram.order_cap_fen * int(NEAR_CAP * 10),
                   LIVE_ORDER)
            .order_by(Order.enterprise_id, Order.provider_id, Order.created_at))


def contract_splitting():
    rows = db.session.execute(contract_splitting_query()).all()
    flags, by_pair = [], {}
    for row in rows:
        by_pair.setdefault((row.enterprise_id, row.provider_id), []).append(row)
    for orders in by_pair.values():
        for row in orders:
            close = [o for o in orders if o.id != row.id and abs(o.created_at - row.created_at) <= SPLIT_WINDOW]
            if close:
                flags.append(Flag("contract_splitting", f"order:{row.id}",
                                  N_("%(count)d orders of the same enterprise with the same provider within 30 days, each with a voucher share just under the per-order cap."),
                                  {"count": len(close) + 1}, row.number))
    return flags


def share_above_ratio():
    """An order's voucher share above what the terms it was priced under allow (each program's
    part: its ratio × its part of the price, within its per-order cap). Orders keep those terms,
    so a ratio edited later flags nothing that was priced right under the old one."""
    rows = db.session.execute(select(Order.id, Order.number, Order.voucher_fen, Order.price_fen, Order.terms)
                              .where(Order.voucher_fen > 0).order_by(Order.id)).all()
    flags = []
    for row in rows:
        parts = (row.terms or {}).get("parts", [])
        allowed = sum(allowed_share(part) for part in parts)
        if row.voucher_fen > allowed:
            ratios = "/".join(f"{part['ratio_bp'] / 100:g}" for part in parts) or "0"
            flags.append(Flag("share_above_ratio", f"order:{row.id}",
                              N_("Voucher share %(share)s is above %(ratio)s%% of the price (%(allowed)s)."),
                              {"share": format_fen(row.voucher_fen), "ratio": ratios, "allowed": format_fen(allowed)},
                              row.number))
    return flags


@built_once
def redemption_without_evidence_query():
    return (select(RedemptionItem.id, Order.number, RedemptionRequest.id.label("request_id"))
            .join(Order, Order.id == RedemptionItem.order_id)
            .join(RedemptionRequest, RedemptionRequest.id == RedemptionItem.request_id)
            .where(RedemptionItem.live_order_id.is_not(None), Order.delivery_file_id.is_(None))
            .order_by(RedemptionItem.id))


def redemption_without_evidence():
    rows = db.session.execute(redemption_without_evidence_query()).all()
    return [Flag("redemption_without_evidence", f"redemption_item:{r.id}",
                 N_("Redemption request RD%(request)06d claims an order that has no delivery report."),
                 {"request": r.request_id}, r.number) for r in rows]


@built_once
def refund_after_redemption_query():
    from marketplace.payments.models import Payment, Refund

    return (select(Refund.id, Order.number, Refund.amount_fen)
            .join(Payment, Payment.id == Refund.payment_id).join(Order, Order.id == Payment.order_id)
            .join(RedemptionItem, and_(RedemptionItem.order_id == Order.id, RedemptionItem.live_order_id.is_not(None)))
            .join(RedemptionRequest, RedemptionRequest.id == RedemptionItem.request_id)
            .where(Refund.created_at >= RedemptionRequest.created_at, Refund.status != "failed")
            .order_by(Refund.id))


def refund_after_redemption():
    rows = db.session.execute(refund_after_redemption_query()).all()
    return [Flag("refund_after_redemption", f"refund:{r.id}",
                 N_("A refund of %(amount)s was made after the voucher share of the order was claimed."),
                 {"amount": format_fen(r.amount_fen)}, r.number) for r in rows]


@built_once
def related_party_reviews_query():
    enterprise, provider = aliased(Organisation), aliased(Organisation)
    return (select(Review.id, Order.number, provider.legal_name)
            .join(Order, Order.id == Review.order_id)
            .join(enterprise, enterprise.id == Order.enterprise_id)
            .join(provider, provider.id == Review.provider_id)
            .where(related(enterprise, provider)).order_by(Review.id))


def related_party_reviews():
    rows = db.session.execute(related_party_reviews_query()).all()
    return [Flag("related_party_review", f"review:{r.id}",
                 N_("The reviewer's enterprise and %(provider)s are related parties."), {"provider": r[2]}, r.number)
            for r in rows]


def price_rise_for_vouchers():
    """Per listing and package: the lowest price voucher holders paid against the lowest price
    cash-only buyers paid; flagged when voucher holders always paid ≥ 20% more. The lowest prices
    are aggregated by the database (every order is read otherwise: issue 18, the dashboard counts
    these flags); only the flagged listings' voucher orders are read, for the order to link."""
    package, with_vouchers = Order.snapshot["package"].as_string(), Order.voucher_fen > 0
    lowest = {}  # (listing, package) → {True: lowest price with vouchers, False: lowest cash-only}
    for listing_id, name, voucher, price in db.session.execute(
            select(Order.listing_id, package, with_vouchers, func.min(Order.price_fen))
            .where(LIVE_ORDER).group_by(Order.listing_id, package, with_vouchers)):
        lowest.setdefault((listing_id, name), {})[bool(voucher)] = price
    risen = {pair: side for pair, side in lowest.items()
             if True in side and False in side and side[True] * 100 >= side[False] * (100 + PRICE_RISE_PERCENT)}
    if not risen:
        return []
    first_at_lowest = {}  # (listing, package) → number of the first voucher order at the lowest price
    for listing_id, name, price, number in db.session.execute(
            select(Order.listing_id, package, Order.price_fen, Order.number)
            .where(LIVE_ORDER, with_vouchers, Order.listing_id.in_({listing for listing, _ in risen}))
            .order_by(Order.id)):
        if (listing_id, name) in risen and price == risen[(listing_id, name)][True]:
            first_at_lowest.setdefault((listing_id, name), number)
    return [Flag("price_rise_for_vouchers", f"listing:{listing_id}:{hashlib.sha1((name or '').encode()).hexdigest()[:8]}",
                 N_("Voucher holders paid at least %(voucher)s for “%(package)s”, cash buyers %(cash)s."),
                 {"voucher": format_fen(side[True]), "package": name or "", "cash": format_fen(side[False])},
                 first_at_lowest.get((listing_id, name)))
            for (listing_id, name), side in sorted(risen.items(), key=lambda item: (item[0][0], item[0][1] or ""))]


SHARED = {  # rule → (Organisation attribute, how it is compared, what the flag says)
    "shared_phone": ("contact_phone", "phone_key",
                     N_("%(enterprise)s and %(provider)s, which have orders between them, give the same contact phone (%(value)s).")),
    "shared_email_domain": ("contact_email", "email_domain_key",
                            N_("%(enterprise)s and %(provider)s, which have orders between them, use the same e-mail domain (%(value)s).")),
    "shared_address": ("registered_address", "address_key",
                       N_("%(enterprise)s and %(provider)s, which have orders between them, give the same registered address (%(value)s).")),
}


@built_once
def trading_pairs_query():
    enterprise, provider = aliased(Organisation), aliased(Organisation)
    latest = (select(Order.enterprise_id, Order.provider_id, func.max(Order.id).label("order_id"))
              .group_by(Order.enterprise_id, Order.provider_id).subquery())
    return (select(enterprise, provider, Order.number)
            .join(latest, latest.c.enterprise_id == enterprise.id)
            .join(provider, provider.id == latest.c.provider_id)
            .join(Order, Order.id == latest.c.order_id)
            .order_by(latest.c.order_id))


def trading_pairs():
    """[(enterprise, provider, latest order number)] of every pair with at least one order."""
    return db.session.execute(trading_pairs_query()).all()


def shared_contacts():
    """Pairs that trade and share a phone, a company mail domain or a registered address: not
    proof of a relationship, but where an operator should look (and record one if it is real)."""
    from marketplace.parties import contacts

    flags = []
    for enterprise, provider, number in trading_pairs():
        for rule, (attribute, key_name, message) in SHARED.items():
            key = getattr(contacts, key_name)
            value = key(getattr(enterprise, attribute))
            if value is not None and value == key(getattr(provider, attribute)):
                flags.append(Flag(rule, f"pair:{enterprise.id}:{provider.id}", message,
                                  {"enterprise": enterprise.legal_name, "provider": provider.legal_name,
                                   "value": getattr(provider, attribute)}, number))
    return flags


CHECKS = (related_party_orders, contract_splitting, share_above_ratio, redemption_without_evidence,
          refund_after_redemption, related_party_reviews, price_rise_for_vouchers, shared_contacts)


def flags(include_dismissed=False):
    """[(flag, dismissal or None)] for every rule."""
    dismissed = {(d.rule, d.object_key): d for d in db.session.scalars(select(AnomalyDismissal))}
    found = [(flag, dismissed.get((flag.rule, flag.key))) for check in CHECKS for flag in check()]
    return found if include_dismissed else [(f, d) for f, d in found if d is None]


def dismiss(actor, rule, key, reason):
    """Record that a flag is explained. Raises ValidationFailed, Duplicate, PermissionDenied."""
    require_operator(actor)
    if rule not in RULES or not key or len(key) > 60:
        raise PermissionDenied()
    reason = reason_required(reason)
    if db.session.scalar(select(AnomalyDismissal.id).where(AnomalyDismissal.rule == rule, AnomalyDismissal.object_key == key)):
        raise Duplicate()
    dismissal = AnomalyDismissal(rule=rule, object_key=key, reason=reason, actor_id=actor.id)
    db.session.add(dismissal)
    db.session.flush()
    record(actor, "anomaly.dismiss", dismissal, after={"rule": rule, "object": key}, reason=reason)
    return dismissal
