"""An enterprise applies for vouchers, an admin approves, the wallet shows the voucher."""
import pytest
from playwright.sync_api import expect

from marketplace.extensions import db
from tests.browser.test_registration_journey import log_in, log_out
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_apply_approve_and_see_the_voucher_in_the_wallet(live_server, page, make_program, make_user, admin):
    enterprise = make_user("enterprise", email="buyer@example.com")
    make_program(code="HJ2077", name="2077年度火炬创新券")
    admin_email = admin.email
    legal_name = enterprise.organisation.legal_name
    db.session.remove()
    base = live_server.url

    log_in(page, base, "buyer@example.com", PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="申领创新券").click()
    page.get_by_test_id("program-HJ2077").get_by_role("link", name="申领").click()
    page.get_by_label("金额（元）").fill("abc")
    page.get_by_label("创新券用途").fill("新产品的电磁兼容（EMC）检测和发明专利申请")
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_text("请输入以元为单位、最多两位小数的金额")).to_be_visible()
    page.get_by_label("金额（元）").fill("60000")
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_text("申请已提交")).to_be_visible()
    log_out(page)

    log_in(page, base, admin_email, PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="申领审核").click()
    page.get_by_role("row", name=legal_name).get_by_role("link", name="审核").click()
    page.get_by_label("发放金额（元）").fill("50000")
    page.get_by_role("button", name="通过并发放").click()
    expect(page.get_by_text("已通过：创新券已发放")).to_be_visible()
    log_out(page)

    log_in(page, base, "buyer@example.com", PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="我的创新券").click()
    wallet = page.get_by_test_id("wallet")
    expect(wallet).to_contain_text("HJ2077-000001-")
    expect(wallet).to_contain_text("¥50,000.00")
    expect(wallet).to_contain_text("可用")
    wallet.get_by_role("link").first.click()
    expect(page.get_by_test_id("available")).to_have_text("¥50,000.00")
    expect(page.get_by_test_id("statement")).to_contain_text("发放")
