"""A visitor registers an enterprise in Chinese, an admin approves it, the user sees the change."""
import pytest
from playwright.sync_api import expect

from marketplace.extensions import db
from tests.browser.journeys import log_in, log_out
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_enterprise_registers_is_approved_and_sees_the_new_state(live_server, page, make_user):
    make_user("admin", email="admin@example.com")
    db.session.remove()  # the server threads open their own sessions
    base = live_server.url

    page.goto(base)
    page.get_by_role("navigation").get_by_role("link", name="注册", exact=True).click()
    page.get_by_label("企业（购买服务）").check()
    page.get_by_label("机构名称（与营业执照一致）").fill("厦门浏览器测试科技有限公司")
    page.get_by_label("统一社会信用代码").fill("91330100716105852A")  # wrong check character first
    page.get_by_label("法定代表人").fill("周九")
    page.get_by_label("所在城市").fill("厦门")
    page.get_by_label("您的姓名（联系人）").fill("吴十")
    page.get_by_label("联系电话").fill("0592-8888888")
    page.get_by_label("电子邮箱").fill("browser@example.com")
    page.get_by_label("密码", exact=True).fill("browser-pass-1")
    page.get_by_label("再次输入密码").fill("browser-pass-1")
    page.get_by_role("button", name="提交注册").click()
    expect(page.get_by_text("校验码（最后一位）不匹配")).to_be_visible()

    page.get_by_label("统一社会信用代码").fill("91330100716105852F")
    page.get_by_label("密码", exact=True).fill("browser-pass-1")
    page.get_by_label("再次输入密码").fill("browser-pass-1")
    page.get_by_role("button", name="提交注册").click()
    expect(page.get_by_text("已向 browser@example.com 发送邮件")).to_be_visible()  # no longer logged in at once
    log_in(page, base, "browser@example.com", "browser-pass-1")
    expect(page.get_by_test_id("org-status")).to_contain_text("待审核")
    log_out(page)

    log_in(page, base, "admin@example.com", PASSWORD)
    page.get_by_role("link", name="注册审核").click()
    page.get_by_role("row", name="厦门浏览器测试科技有限公司").get_by_role("link", name="审核").click()
    page.get_by_role("button", name="审核通过").click()
    expect(page.get_by_text("厦门浏览器测试科技有限公司 已审核通过")).to_be_visible()
    log_out(page)

    log_in(page, base, "browser@example.com", "browser-pass-1")
    expect(page.get_by_test_id("org-status")).to_contain_text("已审核")
    expect(page.get_by_test_id("org-status")).to_contain_text("可以申领创新券")
