"""A provider registers, uploads a qualification, is admitted, lists a service with packages and an
image, submits it; an admin approves it and it appears on its category page."""
import pytest
from playwright.sync_api import expect

from marketplace.extensions import db
from tests.browser.test_registration_journey import log_in, log_out
from tests.catalog.conftest import PDF, png_bytes
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def register_provider(page, base):
    page.goto(f"{base}/auth/register")
    page.get_by_label("服务机构（发布并提供服务）").check()
    page.get_by_label("机构名称（与营业执照一致）").fill("厦门浏览器检测技术有限公司")
    page.get_by_label("统一社会信用代码").fill("9144030071526726XG")
    page.get_by_label("法定代表人").fill("周九")
    page.get_by_label("所在城市").fill("厦门")
    page.get_by_label("您的姓名（联系人）").fill("吴十")
    page.get_by_label("联系电话").fill("0592-8888888")
    page.get_by_label("电子邮箱").fill("lab@example.com")
    page.get_by_label("密码", exact=True).fill("browser-pass-1")
    page.get_by_label("再次输入密码").fill("browser-pass-1")
    page.get_by_role("button", name="提交注册").click()
    log_in(page, base, "lab@example.com", "browser-pass-1")  # registering no longer logs in
    expect(page.get_by_test_id("org-status")).to_contain_text("待审核")


def admin_approves_registration(page, base):
    log_in(page, base, "admin@example.com", PASSWORD)
    page.get_by_role("link", name="注册审核").click()
    page.get_by_role("row", name="厦门浏览器检测技术有限公司").get_by_role("link", name="审核").click()
    page.get_by_role("button", name="审核通过").click()
    log_out(page)


def provider_applies_for_admission(page, base, tmp_path):
    log_in(page, base, "lab@example.com", "browser-pass-1")
    page.get_by_role("link", name="入库申请").click()
    page.get_by_label("机构简介").fill("CNAS 认可的第三方检测实验室，提供电磁兼容与可靠性检测。")
    page.get_by_label("检验检测认证").check()
    page.get_by_role("button", name="保存资料").click()
    expect(page.get_by_text("资料已保存。")).to_be_visible()
    (tmp_path / "cnas.pdf").write_bytes(PDF)
    page.get_by_label("类型").select_option("cnas")
    page.get_by_label("证书编号").fill("CNAS L99999")
    page.get_by_label("发证机关").fill("中国合格评定国家认可委员会")
    page.get_by_label("有效期至").fill("2030-12-31")
    page.get_by_label("证书扫描件").set_input_files(str(tmp_path / "cnas.pdf"))
    page.get_by_role("button", name="上传资质").click()
    expect(page.get_by_text("资质已添加。")).to_be_visible()
    page.get_by_role("button", name="申请入库").click()
    expect(page.get_by_test_id("admission-status")).to_contain_text("入库审核中")
    log_out(page)


def admin_admits(page, base):
    log_in(page, base, "admin@example.com", PASSWORD)
    page.get_by_role("link", name="入库审核").click()
    page.get_by_role("row", name="厦门浏览器检测技术有限公司").get_by_role("link", name="审核").click()
    page.get_by_role("button", name="准予入库").click()
    expect(page.get_by_text("厦门浏览器检测技术有限公司 已入库。")).to_be_visible()
    log_out(page)


def provider_lists_a_service(page, base, tmp_path):
    log_in(page, base, "lab@example.com", "browser-pass-1")
    page.get_by_role("link", name="我的服务").click()
    page.get_by_role("link", name="发布服务").first.click()
    page.get_by_label("标题").fill("浏览器测试：EMC 预测试")
    page.get_by_label("服务类别").select_option("testing-emc")
    page.get_by_label("简介").fill("3 米法暗室，半天出结果")
    page.get_by_label("服务详情").fill("**辐射发射** 与 *传导发射* 摸底\n\n- 含整改建议")
    page.get_by_label("可使用创新券").check()
    page.get_by_label("套餐名称").nth(0).fill("半天")
    page.get_by_label("价格（元）").nth(0).fill("3500")
    page.get_by_label("套餐名称").nth(1).fill("全天")
    page.get_by_label("价格（元）").nth(1).fill("6,000.50")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_text("服务已保存")).to_be_visible()
    (tmp_path / "chamber.png").write_bytes(png_bytes((800, 600), "steelblue"))
    page.get_by_label("添加图片").set_input_files(str(tmp_path / "chamber.png"))
    page.get_by_role("button", name="上传图片").click()
    expect(page.get_by_text("图片已添加。")).to_be_visible()
    page.get_by_role("button", name="提交审核").click()
    expect(page.get_by_test_id("listing-status")).to_have_text("待审核")
    log_out(page)


def admin_approves_listing(page, base):
    log_in(page, base, "admin@example.com", PASSWORD)
    page.get_by_role("link", name="服务审核").click()
    page.get_by_role("row", name="浏览器测试：EMC 预测试").get_by_role("link", name="审核").click()
    expect(page.get_by_text("新服务：全部内容均为新增。")).to_be_visible()
    page.get_by_role("button", name="审核通过并上架").click()
    expect(page.get_by_text("已审核通过并上架")).to_be_visible()
    log_out(page)


def test_provider_is_admitted_and_its_listing_reaches_the_category_page(live_server, page, make_user, tmp_path):
    make_user("admin", email="admin@example.com")
    db.session.remove()
    base = live_server.url
    register_provider(page, base)
    log_out(page)
    admin_approves_registration(page, base)
    provider_applies_for_admission(page, base, tmp_path)
    admin_admits(page, base)
    provider_lists_a_service(page, base, tmp_path)
    admin_approves_listing(page, base)

    page.goto(base)
    page.get_by_role("link", name="检验检测认证").first.click()
    card = page.get_by_role("link", name="浏览器测试：EMC 预测试")
    expect(card).to_contain_text("¥3,500.00 起")
    expect(card.locator("img")).to_be_visible()
    card.click()
    expect(page.get_by_role("heading", name="浏览器测试：EMC 预测试")).to_be_visible()
    expect(page.get_by_text("已入库认证")).to_be_visible()
    expect(page.locator(".prose strong")).to_have_text("辐射发射")
    expect(page.get_by_text("¥6,000.50")).to_be_visible()
