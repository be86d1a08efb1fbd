"""The pay, 3-D Secure and return pages through the Flask client, against real localstripe."""
import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.payments.gateway import StripeGateway
from marketplace.payments.models import Payment


def pay_url(order, page="pay"):
    return f"/payments/orders/{order.number}/{page}"


def text(response):
    return response.get_data(as_text=True)


def payments_of(order):
    db.session.rollback()
    return db.session.scalars(select(Payment).where(Payment.order_id == order.id).order_by(Payment.attempt)).all()


@pytest.fixture
def buyer_order(make_order, auth):
    order = make_order(cash_fen=476_000, voucher_fen=204_000)
    auth.login(order.buyer)
    return order


def test_pay_page_shows_the_amount_due_and_the_test_cards(client, buyer_order):
    page = text(client.get(pay_url(buyer_order)))
    assert "支付订单 " + buyer_order.number in page
    assert "¥4,760.00" in page and "¥2,040.00" in page and "¥6,800.00" in page
    assert "使用测试卡支付" in page and "被拒绝的卡" in page and "3-D Secure" in page
    assert "js.stripe.com" not in page
    [payment] = payments_of(buyer_order)
    assert payment.status == "requires_payment_method"
    client.get(pay_url(buyer_order))
    assert len(payments_of(buyer_order)) == 1  # reloading reuses the open attempt


@pytest.mark.parametrize("who", ["other enterprise", "colleague", "provider", "admin"])
def test_only_the_buyer_can_open_the_payment_pages(client, auth, make_order, make_user, who):
    order = make_order()
    user = {"other enterprise": lambda: make_user("enterprise"),
            "colleague": lambda: make_user("enterprise", organisation=order.buyer.organisation),
            "provider": lambda: make_user("provider", organisation=order.provider),
            "admin": lambda: make_user("admin")}[who]()
    auth.login(user)
    for page in ("pay", "authenticate", "return"):
        assert client.get(pay_url(order, page)).status_code == 404
    assert client.post(pay_url(order), data={"method": "success"}).status_code == 404
    assert payments_of(order) == []


def test_anonymous_visitors_are_sent_to_log_in(client, make_order):
    order = make_order()
    response = client.get(pay_url(order))
    assert response.status_code == 302 and "/auth/login" in response.location
    assert client.get("/payments/orders/NO-SUCH/pay").status_code == 302


def test_unknown_order_is_404(client, buyer_order):
    assert client.get("/payments/orders/NO-SUCH/pay").status_code == 404


def test_paying_with_the_test_card(client, buyer_order):
    client.get(pay_url(buyer_order))
    response = client.post(pay_url(buyer_order), data={"method": "success"})
    assert response.status_code == 302 and response.location.endswith(f"/orders/{buyer_order.number}")
    [payment] = payments_of(buyer_order)
    assert payment.status == "succeeded" and db.session.get(type(buyer_order), buyer_order.id).status == "paid"
    again = client.get(pay_url(buyer_order))  # nothing left to pay
    assert again.status_code == 302 and again.location.endswith(f"/orders/{buyer_order.number}")


def test_declined_card_then_retry_with_a_new_attempt(client, buyer_order):
    client.get(pay_url(buyer_order))
    response = client.post(pay_url(buyer_order), data={"method": "decline"}, follow_redirects=True)
    page = text(response)
    assert "银行卡被拒绝" in page and "使用测试卡支付" in page
    assert [p.status for p in payments_of(buyer_order)] == ["failed", "requires_payment_method"]
    assert "第 2 次支付尝试" in page
    client.post(pay_url(buyer_order), data={"method": "success"})
    assert [p.status for p in payments_of(buyer_order)] == ["failed", "succeeded"]


@pytest.mark.parametrize("outcome, status, message", [("approve", "succeeded", "已收到付款"),
                                                      ("fail", "failed", "安全验证")])
def test_three_d_secure_challenge(client, buyer_order, outcome, status, message):
    client.get(pay_url(buyer_order))
    response = client.post(pay_url(buyer_order), data={"method": "3ds"})
    assert response.location.endswith(pay_url(buyer_order, "authenticate"))
    page = text(client.get(response.location))
    assert "向银行确认本次支付" in page and "¥4,760.00" in page
    response = client.post(pay_url(buyer_order, "authenticate"), data={"outcome": outcome}, follow_redirects=True)
    assert message in text(response)
    assert payments_of(buyer_order)[0].status == status


@pytest.mark.parametrize("challenge", [False, True])
def test_a_refused_commit_records_the_gateways_answer_once(client, buyer_order, refuse_next_commit, challenge):
    """The bank answers before anything is written; a busy database at commit is retried with
    that answer (the card is not confirmed twice) and the buyer sees the order paid, not a 500."""
    client.get(pay_url(buyer_order))
    if challenge:
        client.post(pay_url(buyer_order), data={"method": "3ds"})
    calls = refuse_next_commit()
    response = client.post(pay_url(buyer_order, "authenticate") if challenge else pay_url(buyer_order),
                           data={"outcome": "approve"} if challenge else {"method": "success"})
    assert response.status_code == 302 and response.location.endswith(f"/orders/{buyer_order.number}")
    [payment] = payments_of(buyer_order)
    assert calls == ["commit", "commit"] and payment.status == "succeeded"
    assert db.session.get(type(buyer_order), buyer_order.id).status == "paid"


def test_authenticate_page_without_a_challenge_goes_back(client, buyer_order):
    response = client.get(pay_url(buyer_order, "authenticate"))
    assert response.status_code == 302 and response.location.endswith(pay_url(buyer_order))


def test_unknown_test_method_changes_nothing(client, buyer_order):
    client.get(pay_url(buyer_order))
    response = client.post(pay_url(buyer_order), data={"method": "free"}, follow_redirects=True)
    assert "请选择页面提供的一种测试支付方式" in text(response)
    assert [p.status for p in payments_of(buyer_order)] == ["requires_payment_method"]


def test_pay_form_needs_its_csrf_token(app, client, buyer_order):
    client.get(pay_url(buyer_order))
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(pay_url(buyer_order), data={"method": "success", "csrf_token": None}).status_code in (302, 400)
    assert payments_of(buyer_order)[0].status == "requires_payment_method"


def test_paying_an_order_that_expired_meanwhile(client, buyer_order):
    client.get(pay_url(buyer_order))
    buyer_order.status = "cancelled"
    db.session.commit()
    response = client.post(pay_url(buyer_order), data={"method": "success"}, follow_redirects=True)
    assert "该订单当前无需支付" in text(response)
    assert payments_of(buyer_order)[0].status == "requires_payment_method"
    assert client.get(pay_url(buyer_order)).status_code == 302


def test_gateway_down_shows_a_clear_message_and_writes_nothing(app, client, buyer_order):
    app.config.update(STRIPE_API_BASE="http://127.0.0.1:9", STRIPE_MAX_NETWORK_RETRIES=0)
    app.extensions.pop("payment_gateway", None)
    response = client.get(pay_url(buyer_order))
    assert response.status_code == 503
    assert "支付服务暂时不可用" in text(response) and "重试" in text(response)
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_production_pay_page_uses_the_payment_element(app, client, buyer_order, localstripe_server):
    gateway = StripeGateway("sk_test_marketplace", "whsec_x", api_base=localstripe_server, publishable_key="pk_test_123")
    gateway.test_methods = False  # as with real Stripe, where the browser confirms
    app.extensions["payment_gateway"] = gateway
    page = text(client.get(pay_url(buyer_order)))
    [payment] = payments_of(buyer_order)
    assert '<script src="https://js.stripe.com/v3/"></script>' in page
    assert f'data-client-secret="{payment.client_secret}"' in page and 'data-publishable-key="pk_test_123"' in page
    assert f"/payments/orders/{buyer_order.number}/return" in page
    assert "使用测试卡支付" not in page
    assert client.get(pay_url(buyer_order, "authenticate")).status_code == 404
    assert client.post(pay_url(buyer_order), data={"method": "success"}).status_code == 302
    assert payments_of(buyer_order)[0].status == "requires_payment_method"


def test_return_page_without_any_attempt_goes_to_the_order(client, buyer_order):
    response = client.get(pay_url(buyer_order, "return"))
    assert response.status_code == 302 and response.location.endswith(f"/orders/{buyer_order.number}")
