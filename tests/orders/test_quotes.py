"""Price on request: ask → quote → accept (an order with the voucher share worked out as usual)."""
import pytest
from sqlalchemy import select

from marketplace.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.orders import services
from marketplace.orders.models import Order, Quote


@pytest.fixture
def custom_listing(seller, make_listing):
    return make_listing(seller, title="定制化检测方案设计", category_slug="ip", packages=(), price_on_request=True)


def test_request_quote_accept_places_an_order_with_vouchers(custom_listing, funded_buyer, seller):
    buyer = funded_buyer[0]
    with pytest.raises(InvalidState):
        services.offer_for(custom_listing.id, 0)
    quote = services.request_quote(buyer, custom_listing.id, "需要为新产品设计检测方案")
    with pytest.raises(InvalidState):
        services.accept_quote(buyer, quote.id, "early")
    with pytest.raises(PermissionDenied):
        services.give_quote(buyer, quote.id, 100_000, 10, "")
    with pytest.raises(ValidationFailed):
        services.give_quote(seller, quote.id, 0, 10, "")
    services.give_quote(seller, quote.id, 1_000_000, 20, "含两轮评审")
    order = services.accept_quote(buyer, quote.id, "quote-key")
    db.session.commit()
    assert order.price_fen == 1_000_000 and order.voucher_fen == 350_000 and order.snapshot["package"] == "报价"
    assert quote.status == "accepted" and quote.order_id == order.id
    assert services.accept_quote(buyer, quote.id, "again").id == order.id
    assert db.session.scalar(select(Order.id).where(Order.id != order.id)) is None


def test_fixed_price_listings_take_no_quote_requests(listing, funded_buyer):
    with pytest.raises(InvalidState):
        services.request_quote(funded_buyer[0], listing.id, "能便宜点吗")


def test_others_cannot_see_a_quote(custom_listing, funded_buyer, make_user):
    quote = services.request_quote(funded_buyer[0], custom_listing.id, "需求")
    with pytest.raises(NotFound):
        services.get_quote(quote.id, make_user("enterprise"))
    with pytest.raises(NotFound):
        services.give_quote(make_user("provider"), quote.id, 1000, 1, "")


def test_quote_pages(client, auth, custom_listing, funded_buyer, seller):
    auth.login(funded_buyer[0])
    assert client.post(f"/orders/quotes/new?listing={custom_listing.id}", data={"request": ""}).status_code == 422
    assert client.post(f"/orders/quotes/new?listing={custom_listing.id}", data={"request": "方案设计"}).status_code == 302
    quote = db.session.scalar(select(Quote))
    auth.logout()
    auth.login(seller)
    assert "方案设计" in client.get("/orders/quotes").get_data(as_text=True)
    client.post(f"/orders/quotes/{quote.id}/quote", data={"price": "8,000", "delivery_days": "15", "note": ""})
    db.session.refresh(quote)
    assert quote.price_fen == 800_000 and quote.status == "quoted"
    auth.logout()
    auth.login(funded_buyer[0])
    response = client.post(f"/orders/quotes/{quote.id}/accept", data={"request_key": "page-key"})
    assert response.status_code == 302
    assert db.session.scalar(select(Order.price_fen)) == 800_000
