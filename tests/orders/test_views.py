import re

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.orders import services
from marketplace.orders.models import Order
from tests.catalog.conftest import PDF
from tests.orders.conftest import package_of


def checkout(client, listing, package_index=0):
    page = client.get(f"/orders/new?listing={listing.id}&package={package_of(listing, package_index).id}")
    text = page.get_data(as_text=True)
    key = re.search(r'name="request_key" type="hidden" value="([^"]+)"', text).group(1)
    return page, text, key


def test_checkout_shows_the_split_and_why(client, auth, funded_buyer, listing):
    auth.login(funded_buyer[0])
    page, text, _key = checkout(client, listing)
    assert page.status_code == 200
    assert "¥6,800.00" in text and "¥2,380.00" in text and "¥4,420.00" in text
    assert funded_buyer[2].number in text and "35%" in text


def test_confirm_twice_places_one_order(client, auth, funded_buyer, listing):
    auth.login(funded_buyer[0])
    _page, _text, key = checkout(client, listing)
    form = {"listing_id": listing.id, "package_id": package_of(listing).id, "request_key": key}
    first = client.post("/orders/", data=form)
    second = client.post("/orders/", data=form)
    assert first.status_code == second.status_code == 302 and first.location == second.location
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1


@pytest.mark.parametrize("query", ["listing=abc&package=1", "listing=999999&package=1", "package=1"])
def test_bad_checkout_links_are_404(client, auth, funded_buyer, query):
    auth.login(funded_buyer[0])
    assert client.get(f"/orders/new?{query}").status_code == 404


def test_provider_cannot_checkout(client, auth, listing, make_user):
    auth.login(make_user("provider"))
    assert client.get(f"/orders/new?listing={listing.id}&package={package_of(listing).id}").status_code == 403


@pytest.fixture
def order(funded_buyer, listing, pay_order):
    placed = services.place_order(funded_buyer[0], services.offer_for(listing.id, package_of(listing).id), "v-order")
    db.session.commit()
    return pay_order(placed)


def test_order_pages_for_each_party(client, auth, order, funded_buyer, seller):
    auth.login(seller)
    page = client.get(f"/orders/{order.number}").get_data(as_text=True)
    assert "接受订单" in page and 'data-testid="next-step"' in page
    assert order.number in client.get("/orders/").get_data(as_text=True)
    client.post(f"/orders/{order.number}/accept", data={})
    response = client.post(f"/orders/{order.number}/deliver",
                           data={"report": (__import__("io").BytesIO(PDF), "report.pdf"), "note": "见附件"},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    auth.logout()
    auth.login(funded_buyer[0])
    page = client.get(f"/orders/{order.number}").get_data(as_text=True)
    assert "验收" in page and "打开交付报告" in page
    token = re.search(r'/files/([0-9a-f]{32})', page).group(1)
    assert client.get(f"/files/{token}").status_code == 200  # the buyer may open the provider's report
    client.post(f"/orders/{order.number}/complete", data={})
    db.session.refresh(order)
    assert order.status == "completed"
    again = client.post(f"/orders/{order.number}/complete", data={})
    assert again.status_code == 422 and "当前状态" in again.get_data(as_text=True) or "已完成" in again.get_data(as_text=True)


@pytest.mark.parametrize("path", ["", "/accept", "/reject", "/complete", "/dispute", "/cancel", "/deliver",
                                  "/messages", "/review", "/reply"])
def test_strangers_get_404_everywhere(client, auth, order, make_user, path):
    for stranger in (make_user("provider"), make_user("enterprise")):
        auth.login(stranger)
        response = client.post(f"/orders/{order.number}{path}", data={"reason": "x", "body": "x"}) if path \
            else client.get(f"/orders/{order.number}")
        assert response.status_code == 404, (stranger.role, path)
        auth.logout()
    db.session.refresh(order)
    assert order.status == "paid"


def test_anonymous_is_sent_to_login(client, order):
    assert "/auth/login" in client.get(f"/orders/{order.number}").location


def test_reject_needs_a_reason_on_the_page(client, auth, order, seller):
    auth.login(seller)
    response = client.post(f"/orders/{order.number}/reject", data={"reason": ""})
    assert response.status_code == 422 and "此项为必填项" in response.get_data(as_text=True)
    db.session.refresh(order)
    assert order.status == "paid"


def test_message_thread_with_attachment(client, auth, order, funded_buyer, seller):
    import io
    auth.login(funded_buyer[0])
    client.post(f"/orders/{order.number}/messages", data={"body": "<script>x</script>请尽快",
                "attachment": (io.BytesIO(PDF), "需求说明.pdf")}, content_type="multipart/form-data")
    auth.logout()
    auth.login(seller)
    page = client.get(f"/orders/{order.number}").get_data(as_text=True)
    assert "&lt;script&gt;x&lt;/script&gt;请尽快" in page and "需求说明.pdf" in page
