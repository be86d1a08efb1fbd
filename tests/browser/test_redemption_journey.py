"""A provider requests redemption (兑付); two admins review (初审, 终审); a batch is paid; the
ledger settles the voucher share, reconciles and verifies."""
import pytest
from playwright.sync_api import expect

from marketplace import ledger
from marketplace.extensions import db
from marketplace.orders.models import Order
from tests.browser.test_registration_journey import log_in, log_out
from tests.catalog.conftest import PDF
from tests.conftest import PASSWORD
from tests.redemption.conftest import complete_order, program  # noqa: F401
from tests.orders.conftest import buyer, funded_buyer, listing, make_listing, make_provider, seller  # noqa: F401

pytestmark = pytest.mark.browser


def test_request_review_twice_and_settle(live_server, page, complete_order, seller, program, admin, make_user, tmp_path):
    order = complete_order()
    number, share, code, program_id = order.number, order.voucher_fen, program.code, program.id
    first, second = admin.email, make_user("admin").email
    provider_email = seller.email
    db.session.remove()
    base = live_server.url
    contract = tmp_path / "合同.pdf"
    contract.write_bytes(PDF)

    log_in(page, base, provider_email, PASSWORD)
    page.goto(f"{base}/redemption/")
    page.get_by_test_id("claimable").get_by_role("link", name="申请兑付").click()
    page.get_by_label(f"订单 {number} 的发票号码").fill("2635 0200 0000 0001 2345")  # a 数电发票: no code
    page.get_by_label(f"订单 {number} 的发票金额（元）").fill(f"{share / 100:.2f}")
    page.get_by_label("合同（PDF 或图片）").set_input_files(str(contract))
    page.get_by_role("button", name="提交审核").click()
    expect(page.get_by_text("已提交初审")).to_be_visible()
    expect(page.get_by_test_id("redemption-items")).to_contain_text("26350200000000012345")
    log_out(page)

    log_in(page, base, first, PASSWORD)
    page.goto(f"{base}/admin/redemptions")
    page.get_by_test_id("redemption-queue").get_by_role("link", name="审核").click()
    page.get_by_role("button", name="初审通过").click()
    expect(page.get_by_text("已记录对申请")).to_be_visible()
    log_out(page)

    log_in(page, base, second, PASSWORD)
    page.goto(f"{base}/admin/redemptions?status=first_approved")
    page.get_by_test_id("redemption-queue").get_by_role("link", name="审核").click()
    page.get_by_role("button", name="终审通过").click()
    expect(page.get_by_text("已记录对申请")).to_be_visible()
    page.get_by_role("navigation", name="管理后台").get_by_role("link", name="结算批次").click()
    page.get_by_role("button", name="创建结算批次").click()
    expect(page.get_by_text("已创建")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 CSV").click()
    assert download.value.suggested_filename.endswith(".csv")
    page.get_by_test_id("approve-batch").click()  # with four eyes off the same operator may approve
    expect(page.get_by_text("已审批，可以付款")).to_be_visible()
    page.get_by_label("银行流水号").fill("ICBC-20261128-0001")
    page.get_by_role("button", name="标记为已付款").click()
    expect(page.get_by_text("已付款，创新券抵扣部分已结算")).to_be_visible()
    expect(page.get_by_test_id("batch-total")).to_contain_text(f"{share // 100:,}")
    log_out(page)

    assert db.session.scalar(db.select(Order.status).where(Order.number == number)) == "settled"
    assert ledger.balance(db.session, f"program:{code}:settled").posted == share
    figures = ledger.reconciliation(db.session, program_id)
    assert figures.balanced and figures.settled == share and figures.receivable == 0
    db.session.commit()
    assert ledger.verify(db.engine).ok
