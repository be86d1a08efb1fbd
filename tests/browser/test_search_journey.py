"""A visitor searches in Traditional Chinese and in pinyin, filters by a facet and opens a result."""
import pytest
from playwright.sync_api import expect

from marketplace.extensions import db
from marketplace.search import indexer
from tests.catalog.conftest import make_listing, make_provider  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def test_search_traditional_and_pinyin_filter_and_open(live_server, page, make_provider, make_listing):  # noqa: F811
    user = make_provider()
    make_listing(user, title="发明专利申请代理", tags="专利;发明")
    make_listing(user, title="专利价值评估报告", category_slug="transfer-valuation", tags="专利;评估")
    make_listing(user, title="电磁兼容预测试", category_slug="testing-emc", tags="EMC")
    indexer.sync()
    db.session.remove()
    base = live_server.url

    page.goto(base + "/")
    box = page.get_by_role("combobox", name="搜索服务")
    box.fill("專利")
    box.press("Enter")
    expect(page.get_by_role("heading", name="“專利”共找到 2 项服务")).to_be_visible()
    expect(page.locator(".result-title mark").first).to_have_text("专利")

    box = page.locator("#search-page-q")
    box.fill("zhuan")
    expect(page.get_by_role("option", name="发明专利申请代理")).to_be_visible()  # autocomplete
    box.fill("zhuanli")
    page.get_by_role("button", name="搜索", exact=True).last.click()
    expect(page.get_by_role("heading", name="“zhuanli”共找到 2 项服务")).to_be_visible()

    page.locator(".search-facets").get_by_role("link", name="技术转移").click()
    expect(page.get_by_role("heading", name="“zhuanli”共找到 1 项服务")).to_be_visible()
    page.get_by_role("link", name="专利价值评估报告").click()
    expect(page.get_by_role("heading", name="专利价值评估报告")).to_be_visible()
