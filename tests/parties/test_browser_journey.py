"""An operator records an affiliation in Chromium: from the organisation's page, with evidence,
and the enterprise's next quote from that provider shows no voucher share."""
import pytest
from playwright.sync_api import expect

from marketplace.extensions import db
from tests.browser.conftest import browser_context_args, browser_type_launch_args, live_server, page  # noqa: F401
from tests.browser.journeys import log_in
from tests.catalog.conftest import PDF

pytestmark = pytest.mark.browser


def test_recording_an_affiliation(live_server, page, operator, buyer, seller, tmp_path):  # noqa: F811
    evidence = tmp_path / "股权结构.pdf"
    evidence.write_bytes(PDF)
    enterprise, provider = buyer.organisation, seller.organisation
    enterprise_id, enterprise_name, provider_code = enterprise.id, enterprise.legal_name, provider.credit_code
    provider_name, email = provider.legal_name, operator.email
    db.session.remove()
    base = live_server.url

    log_in(page, base, email)
    page.goto(f"{base}/admin/organisations/{enterprise_id}")
    page.get_by_role("link", name="登记关联关系").click()
    expect(page.get_by_label("第一家机构")).not_to_have_value("")
    page.get_by_label("第二家机构").fill(provider_code)
    page.get_by_label("关联关系类型").select_option("shareholding")
    page.get_by_label("原因及来源").fill("企业持有服务机构 30% 股权")
    page.get_by_label("证明材料（PDF 或图片，可选）").set_input_files(str(evidence))
    page.get_by_role("button", name="登记").click()
    expect(page.get_by_text("关联关系已登记")).to_be_visible()
    details = page.get_by_test_id("affiliation")
    expect(details).to_contain_text(provider_name)
    expect(details).to_contain_text("控股或参股")
    with page.expect_download() as download:  # PDFs open as a download
        page.get_by_role("link", name="股权结构.pdf").click()
    assert download.value.suggested_filename.endswith(".pdf")

    page.goto(f"{base}/admin/parties/")
    expect(page.get_by_test_id("affiliations")).to_contain_text(enterprise_name)

    page.goto(f"{base}/admin/parties/")
    page.get_by_role("link", name="查看").first.click()
    page.get_by_role("link", name="解除此关联关系").click()
    page.get_by_label("解除原因").fill("股权已全部转让")
    page.get_by_role("button", name="解除关联关系").click()
    expect(page.get_by_text("请勾选")).to_be_visible()
    page.get_by_label("我了解两家机构之间将可再次使用创新券。").check()
    page.get_by_label("解除原因").fill("股权已全部转让")
    page.get_by_role("button", name="解除关联关系").click()
    expect(page.get_by_text("关联关系已解除，已通知双方。")).to_be_visible()
    expect(page.get_by_test_id("affiliation")).to_contain_text("股权已全部转让")
