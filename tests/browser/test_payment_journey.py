"""The buyer pays an order's cash share on the pay page in Chromium, against localstripe, with
the signed webhook arriving at the live server: a test card; a declined card then a retry; 3-D
Secure."""
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.ledger import Transfer, verify
from marketplace.orders import services as orders
from marketplace.orders.models import Order
from marketplace.payments import services as payments
from marketplace.payments.models import Payment, StripeEvent
from tests.browser.test_registration_journey import log_in
from tests.catalog.conftest import make_listing, make_provider  # noqa: F401  (fixtures)
from tests.conftest import PASSWORD
from tests.orders.conftest import buyer, listing, package_of, seller  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture
def placed(buyer, listing):  # noqa: F811
    """An order for the listing's ¥6,800 package, placed without vouchers: all of it is cash."""
    order = orders.place_order(buyer, orders.offer_for(listing.id, package_of(listing).id), "pay-journey")
    db.session.commit()
    number, email = order.number, buyer.email
    db.session.remove()
    return number, email


def settled_after_webhook(number, timeout=10):
    """Wait for localstripe's payment_intent.succeeded to reach the live server; the order then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        order = db.session.scalar(select(Order).where(Order.number == number))
        intents = db.session.scalars(select(Payment.intent_id).where(Payment.order_id == order.id)).all()
        delivered = db.session.scalar(select(func.count()).select_from(StripeEvent).where(
            StripeEvent.type == "payment_intent.succeeded", StripeEvent.object_id.in_(intents),
            StripeEvent.processed_at.is_not(None)))
        if delivered:
            return order
        db.session.rollback()
        time.sleep(0.2)
    raise AssertionError("the payment_intent.succeeded webhook did not arrive")


def check_books(order):
    assert order.status == "paid"
    assert db.session.scalar(select(func.count()).select_from(Transfer).where(
        Transfer.order_id == order.id, Transfer.ledger == "cash")) == 1
    assert payments.cash_reconciliation().balanced
    db.session.commit()
    assert verify(db.engine).ok


def test_pay_with_the_test_card(stripe_webhooks, page, placed):
    number, email = placed
    log_in(page, stripe_webhooks.url, email, PASSWORD)
    page.goto(f"{stripe_webhooks.url}/payments/orders/{number}/pay")
    expect(page.get_by_role("heading", name=f"支付订单 {number}")).to_be_visible()
    expect(page.locator(".pay-amount")).to_have_text("¥6,800.00")
    page.get_by_role("button", name="使用测试卡支付").click()
    expect(page.get_by_text("已收到付款 ¥6,800.00")).to_be_visible()
    assert page.url.endswith(f"/orders/{number}")
    check_books(settled_after_webhook(number))


def test_declined_card_then_retry(stripe_webhooks, page, placed):
    number, email = placed
    log_in(page, stripe_webhooks.url, email, PASSWORD)
    page.goto(f"{stripe_webhooks.url}/payments/orders/{number}/pay")
    page.get_by_role("button", name="被拒绝的卡").click()
    expect(page.get_by_text("银行卡被拒绝").first).to_be_visible()
    expect(page.get_by_text("第 2 次支付尝试")).to_be_visible()
    page.get_by_role("button", name="使用测试卡支付").click()
    expect(page.get_by_text("已收到付款 ¥6,800.00")).to_be_visible()
    order = settled_after_webhook(number)
    assert [p.status for p in payments.payments_of(order)] == ["failed", "succeeded"]
    check_books(order)


def test_three_d_secure_card(stripe_webhooks, page, placed):
    number, email = placed
    log_in(page, stripe_webhooks.url, email, PASSWORD)
    page.goto(f"{stripe_webhooks.url}/payments/orders/{number}/pay")
    page.get_by_role("button", name="需 3-D Secure 验证的卡").click()
    expect(page.get_by_role("heading", name="向银行确认本次支付")).to_be_visible()
    page.get_by_role("button", name="确认支付").click()
    expect(page.get_by_text("已收到付款 ¥6,800.00")).to_be_visible()
    check_books(settled_after_webhook(number))
