"""The checkout works by keyboard alone: from the login form to a paid order with a voucher
share, every step reached with Tab and pressed with Enter, and every control showing where the
focus is (no mouse, no clicks)."""
import pytest
from playwright.sync_api import expect

from marketplace.extensions import db
from marketplace.orders.models import Order
from tests.catalog.conftest import make_listing, make_provider  # noqa: F401  (fixtures)
from tests.conftest import PASSWORD
from tests.orders.conftest import buyer, funded_buyer, listing, seller  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
MAX_TABS = 80

FOCUS_SHOWN = """el => {
  const style = getComputedStyle(el);
  return (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
}"""


def tab_to(page, target):
    """Press Tab until the target has the focus; it must show a focus indicator. Returns the presses."""
    handle = target.element_handle()
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press("Tab")
        if handle.evaluate("el => el === document.activeElement"):
            assert handle.evaluate(FOCUS_SHOWN), f"{target} has the focus but does not show it"
            return presses
    raise AssertionError(f"{target} not reached with {MAX_TABS} presses of Tab")


def test_checkout_and_payment_by_keyboard_alone(stripe_webhooks, page, funded_buyer, listing):  # noqa: F811
    buyer, _program, _voucher = funded_buyer
    base, email, listing_id = stripe_webhooks.url, buyer.email, listing.id
    db.session.remove()

    page.goto(f"{base}/auth/login")
    tab_to(page, page.get_by_label("电子邮箱"))
    page.keyboard.type(email)
    tab_to(page, page.get_by_label("密码"))
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()

    page.goto(f"{base}/listings/{listing_id}")
    tab_to(page, page.get_by_test_id("order-package").first)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="确认订单")).to_be_visible()
    expect(page.get_by_test_id("voucher-share")).to_have_text("− ¥2,380.00")

    tab_to(page, page.get_by_test_id("confirm-order"))
    page.keyboard.press("Enter")
    pay = page.get_by_role("button", name="使用测试卡支付")
    expect(pay).to_be_visible()
    tab_to(pay.page, pay)
    page.keyboard.press("Enter")
    expect(page.get_by_text("已收到付款 ¥4,420.00")).to_be_visible()
    number = page.url.rsplit("/", 1)[-1]
    order = db.session.query(Order).filter_by(number=number).one()
    assert (order.voucher_fen, order.cash_fen) == (238_000, 442_000)


def test_the_skip_link_is_the_first_stop_and_jumps_to_the_content(live_server, page):
    page.goto(f"{live_server.url}/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到正文")
    assert skip.evaluate("el => el === document.activeElement") and skip.is_visible()
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
