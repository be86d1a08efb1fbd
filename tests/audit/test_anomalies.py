from sqlalchemy import update

from marketplace.audit import anomalies
from marketplace.audit.models import AnomalyDismissal, AuditEntry
from marketplace.extensions import db
from marketplace.orders.models import Order, Review
from marketplace.payments.models import Payment, Refund
from marketplace.redemption import services
from tests.redemption.conftest import claim as invoice_claim, complete_order, evidence, program  # noqa: F401
from tests.orders.conftest import buyer, funded_buyer, listing, make_listing, make_provider, seller  # noqa: F401


def flagged(rule):
    return [flag for flag, _dismissal in anomalies.flags() if flag.rule == rule]


def relate(buyer, seller):
    buyer.organisation.legal_representative = seller.organisation.legal_representative
    db.session.commit()


def claim(seller, program, order):
    request = services.submit(seller, program.id, [invoice_claim(order, program)], [evidence()])
    db.session.commit()
    return request


def test_orders_between_related_parties(complete_order, buyer, seller):
    order = complete_order()
    assert flagged("related_party_order") == []
    relate(buyer, seller)
    assert [f.order_number for f in flagged("related_party_order")] == [order.number]


def test_contract_splitting(complete_order, program):
    first = complete_order("a")
    program.order_cap_fen = first.voucher_fen + 100  # each share is then just under the cap
    db.session.commit()
    assert flagged("contract_splitting") == []  # one order is no pattern
    second = complete_order("b")
    assert {f.order_number for f in flagged("contract_splitting")} == {first.number, second.number}


def test_voucher_share_above_the_terms_it_was_priced_under(complete_order, program):
    order = complete_order()
    assert flagged("share_above_ratio") == []
    program.ratio_bp = 1000  # terms changed mid-program: orders priced under 35% stay right
    db.session.commit()
    assert flagged("share_above_ratio") == []
    db.session.execute(update(Order).where(Order.id == order.id)
                       .values(voucher_fen=Order.voucher_fen + 1, cash_fen=Order.cash_fen - 1))
    db.session.commit()
    [flag] = flagged("share_above_ratio")
    assert flag.order_number == order.number and flag.params["ratio"] == "35"


def test_redemption_without_delivery_evidence(complete_order, seller, program):
    order = complete_order()
    claim(seller, program, order)
    assert flagged("redemption_without_evidence") == []
    order.delivery_file_id = None
    db.session.commit()
    assert [f.order_number for f in flagged("redemption_without_evidence")] == [order.number]


def test_refund_after_redemption(complete_order, seller, program):
    order = complete_order()
    payment = Payment(order_id=order.id, attempt=2, amount_fen=order.cash_fen, status="succeeded")
    db.session.add(payment)
    db.session.flush()
    db.session.add(Refund(payment_id=payment.id, amount_fen=100, status="sent"))
    db.session.commit()
    assert flagged("refund_after_redemption") == []  # refunded before any claim
    claim(seller, program, order)
    db.session.add(Refund(payment_id=payment.id, amount_fen=200, status="sent"))
    db.session.commit()
    [flag] = flagged("refund_after_redemption")
    assert flag.params["amount"] == "¥2.00"


def test_reviews_from_related_parties(complete_order, buyer, seller):
    order = complete_order()
    db.session.add(Review(order_id=order.id, listing_id=order.listing_id, provider_id=order.provider_id,
                          author_id=buyer.id, rating=5, body="很好"))
    db.session.commit()
    assert flagged("related_party_review") == []
    relate(buyer, seller)
    assert [f.order_number for f in flagged("related_party_review")] == [order.number]


def test_dismissing_needs_a_reason_and_is_audited(client, auth, admin, complete_order, buyer, seller):
    complete_order()
    relate(buyer, seller)
    [flag] = flagged("related_party_order")
    auth.login(admin)
    page = client.get("/admin/anomalies").get_data(as_text=True)
    assert flag.key in page
    client.post("/admin/anomalies/dismiss", data={"rule": flag.rule, "key": flag.key, "reason": ""})
    assert db.session.query(AnomalyDismissal).count() == 0
    response = client.post("/admin/anomalies/dismiss", data={"rule": flag.rule, "key": flag.key, "reason": "同一集团，已备案"})
    assert response.status_code == 302
    assert flagged("related_party_order") == []
    assert db.session.query(AuditEntry).filter_by(action="anomaly.dismiss").one().reason == "同一集团，已备案"
    assert "同一集团，已备案" in client.get("/admin/anomalies?all=1").get_data(as_text=True)


def raise_price(listing, seller, price_fen):
    from marketplace.auth.models import User
    from marketplace.catalog import listings, moderation
    from tests.catalog.conftest import listing_data

    listings.update_listing(seller, listing.id, listing_data(packages=(listings.PackageData("标准版", price_fen, 30, "x"),)))
    listings.submit_listing(seller, listing.id)
    moderation.approve_revision(db.session.query(User).filter_by(role="admin").first(), listing.working_revision_id)
    db.session.commit()


def order(user, listing, key):
    from marketplace.orders import services as orders

    placed = orders.place_order(user, orders.offer_for(listing.id, listing.published_revision.packages[0].id), key)
    db.session.commit()
    return placed


def test_higher_prices_for_voucher_holders(funded_buyer, listing, seller, make_user, admin):
    order(make_user("enterprise"), listing, "cash-1")  # no voucher: ¥6,800 in cash
    raise_price(listing, seller, 900_000)
    assert flagged("price_rise_for_vouchers") == []
    voucher_order = order(funded_buyer[0], listing, "voucher-1")  # a voucher holder now pays ¥9,000
    [flag] = flagged("price_rise_for_vouchers")
    assert flag.order_number == voucher_order.number and flag.params["cash"] == "¥6,800.00"


def test_same_prices_for_everyone_are_not_flagged(funded_buyer, listing, seller, make_user, admin):
    order(make_user("enterprise"), listing, "cash-1")
    order(funded_buyer[0], listing, "voucher-1")
    raise_price(listing, seller, 900_000)
    order(make_user("enterprise"), listing, "cash-2")  # everyone pays the new price
    order(funded_buyer[0], listing, "voucher-2")
    assert flagged("price_rise_for_vouchers") == []
