"""Whole order journeys in real Chromium against the app, paying through localstripe."""
import re

import pytest
from playwright.sync_api import expect

from marketplace import ledger
from marketplace.extensions import db
from marketplace.payments.models import Refund
from tests.catalog.conftest import PDF
from tests.browser.journeys import log_in, log_out

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(stripe_webhooks, funded_buyer, listing, seller, tmp_path):
    """A live server (webhooks registered) with a funded buyer, an admitted seller and a listing
    that search finds."""
    from marketplace.search import indexer

    indexer.rebuild()
    report = tmp_path / "交付报告.pdf"
    report.write_bytes(PDF)
    people = {"buyer": funded_buyer[0].email, "seller": seller.email, "report": str(report)}
    db.session.remove()
    return stripe_webhooks.url, people


def order_from_search(page, base):
    page.locator("#header-search-q").fill("專利")  # Traditional: the search folds it to 专利
    page.keyboard.press("Enter")
    page.get_by_role("link", name=re.compile("发明专利申请代理")).first.click()
    page.get_by_test_id("order-package").first.click()
    expect(page.get_by_test_id("voucher-share")).to_contain_text("¥2,380.00")
    expect(page.get_by_test_id("cash-share")).to_have_text("¥4,420.00")
    page.get_by_test_id("confirm-order").click()


def test_search_order_pay_deliver_accept(shop, page):
    base, people = shop
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, base, people["buyer"])
    order_from_search(page, base)
    page.locator("button[value=success]").click()
    expect(page.locator(".badge").first).to_contain_text("已付款")
    number = re.search(r"TO\d{14}", page.url + page.content()).group(0)
    log_out(page)

    log_in(page, base, people["seller"])
    page.goto(f"{base}/orders/")
    page.get_by_role("link", name=number).click()
    page.get_by_role("button", name="接受订单").click()
    page.get_by_label("交付报告（PDF 或图片）").set_input_files(people["report"])
    page.get_by_role("button", name="提交交付").click()
    expect(page.get_by_text("已交付：已请企业验收")).to_be_visible()
    log_out(page)

    log_in(page, base, people["buyer"])
    page.goto(f"{base}/orders/{number}")
    page.get_by_test_id("accept-delivery").click()
    expect(page.locator("h1 .badge")).to_have_text("已完成")
    expect(page.get_by_test_id("timeline")).to_contain_text("已验收")
    log_out(page)
    log_in(page, base, people["seller"])
    page.goto(f"{base}/orders/{number}")
    expect(page.locator("h1 .badge")).to_have_text("已完成")
    assert ledger.verify(db.engine).ok


def test_declined_card_then_pay_then_cancel_with_refund(shop, page):
    base, people = shop
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, base, people["buyer"])
    order_from_search(page, base)
    page.locator("button[value=decline]").click()
    expect(page.get_by_text("拒绝", exact=False).first).to_be_visible()
    page.goto(page.url.split("/payments/")[0] + "/orders/")
    number = page.get_by_test_id("orders").get_by_role("link").first.inner_text()
    page.goto(f"{base}/payments/orders/{number}/pay")
    page.locator("button[value=success]").click()
    expect(page.locator(".badge").first).to_contain_text("已付款")
    page.get_by_text("取消订单").first.click()
    page.get_by_role("button", name="取消订单").click()
    expect(page.locator("h1 .badge")).to_have_text("已取消")
    assert db.session.query(Refund).filter_by(status="pending").count() == 1  # recorded; Stripe is asked next
    from marketplace.worker import run_job

    assert run_job("refunds").results == {"sent": 1}
    assert db.session.query(Refund).filter_by(status="sent").count() == 1
    db.session.commit()  # release SQLite's write lock before the verifier takes it
    assert ledger.verify(db.engine).ok
