"""The zone's back office in Chromium (issue 15): a payout batch from bank details to the bank's
reference, a clawback asked by one operator and approved by another, a year-end close with its
final account, and every kind of "open the file" link opening the file."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from marketplace import ledger
from marketplace.database import SimulatedClock, utcnow
from marketplace.extensions import db
from marketplace.orders.models import Order
from marketplace.payouts.models import PayoutBatch
from tests.browser.journeys import log_in, log_out
from tests.catalog.conftest import PDF
from tests.conftest import PASSWORD
from tests.redemption.conftest import claim, complete_order, evidence, program  # noqa: F401
from tests.orders.conftest import buyer, funded_buyer, listing, make_listing, make_provider, seller  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture
def clock():
    yield lambda instant: setattr(SimulatedClock, "now", instant)
    SimulatedClock.now = None


@pytest.fixture
def two_operators(app, admin, make_user):
    app.config["FOUR_EYES"] = True
    yield admin.email, make_user("admin").email
    app.config["FOUR_EYES"] = False


def test_a_payout_from_bank_details_to_the_banks_reference(live_server, page, complete_order, seller, two_operators,
                                                           clock, app):
    order = complete_order()
    number, cash, provider = order.number, order.cash_received_fen, seller.email
    first, second = two_operators
    db.session.remove()
    base = live_server.url
    page.on("dialog", lambda dialog: dialog.accept())

    log_in(page, base, provider, PASSWORD)
    page.goto(f"{base}/payouts/")
    page.get_by_label("开户名").fill("厦门测试服务有限公司")
    page.get_by_label("开户行").fill("中国工商银行")
    page.get_by_label("银行账号").fill("6222021001012345678")
    page.get_by_role("button", name="保存收款账户").click()
    expect(page.get_by_text("管理员核实后才会向其付款")).to_be_visible()
    log_out(page)

    clock(utcnow() + timedelta(days=app.config["PAYOUT_HOLD_DAYS"] + 1))
    log_in(page, base, first, PASSWORD)
    page.goto(f"{base}/admin/payouts/bank-accounts")
    page.get_by_test_id("verify-bank").click()
    expect(page.get_by_text("收款账户已核实")).to_be_visible()
    page.goto(f"{base}/admin/payouts")
    expect(page.get_by_test_id("payable")).to_contain_text(f"{cash // 100:,}")
    page.get_by_test_id("create-payout").click()
    expect(page.get_by_text("已生成")).to_be_visible()
    page.get_by_test_id("approve-payout").click()
    expect(page.get_by_text("须由另一名操作员完成")).to_be_visible()  # four eyes: not the one who batched
    log_out(page)

    log_in(page, base, second, PASSWORD)
    page.goto(f"{base}/admin/payouts")
    page.get_by_role("link", name="PO000001").click()
    page.get_by_test_id("approve-payout").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 XLSX").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    page.get_by_label("银行流水号").fill("ICBC-PAYOUT-0001")
    page.get_by_test_id("mark-payout-paid").click()
    expect(page.get_by_test_id("payout-status")).to_have_text("已付款")
    log_out(page)

    log_in(page, base, provider, PASSWORD)
    page.goto(f"{base}/payouts/")
    expect(page.get_by_test_id("payout-history")).to_contain_text("ICBC-PAYOUT-0001")
    assert db.session.scalar(db.select(PayoutBatch.status)) == "paid" and number
    assert ledger.balance(db.session, f"cash:payable:{db.session.scalar(db.select(Order.provider_id))}").posted == 0


def test_a_clawback_asked_by_one_operator_and_approved_by_another(live_server, page, complete_order, two_operators):
    order = complete_order()
    number = order.number
    first, second = two_operators
    db.session.remove()
    base = live_server.url
    page.on("dialog", lambda dialog: dialog.accept())

    log_in(page, base, first, PASSWORD)
    page.goto(f"{base}/orders/{number}")
    page.get_by_text("追回创新券抵扣额（管理员）").click()
    page.get_by_label("理由").fill("经核查为虚假交易")
    page.get_by_role("button", name="申请追回").click()
    expect(page.get_by_text("已提交审批")).to_be_visible()
    log_out(page)

    log_in(page, base, second, PASSWORD)
    page.goto(f"{base}/admin/approvals")
    expect(page.get_by_test_id("approval")).to_contain_text("经核查为虚假交易")
    page.get_by_test_id("approve").click()
    expect(page.get_by_text("已批准并执行。")).to_be_visible()
    page.goto(f"{base}/orders/{number}")
    expect(page.get_by_test_id("order-amounts")).to_contain_text("¥0.00")
    assert db.session.scalar(db.select(Order.voucher_fen).where(Order.number == number)) == 0


def test_a_year_end_close_shows_the_final_account(live_server, page, funded_buyer, admin, clock):
    program = funded_buyer[1]
    program_id, redeem_by, code, operator = program.id, program.redeem_by, program.code, admin.email
    db.session.remove()
    base = live_server.url
    page.on("dialog", lambda dialog: dialog.accept())
    from datetime import datetime, time

    from marketplace.vouchers.rules import SHANGHAI

    clock(datetime.combine(redeem_by + timedelta(days=1), time(10), tzinfo=SHANGHAI))
    log_in(page, base, operator, PASSWORD)
    page.goto(f"{base}/admin/programs/{program_id}")
    page.get_by_test_id("close-year").click()
    expect(page.get_by_text("项目已完成年终决算")).to_be_visible()
    expect(page.get_by_test_id("final-account")).to_contain_text("返还出资方")
    with page.expect_download() as download:
        page.get_by_test_id("final-account").get_by_role("link", name="导出 CSV").click()
    assert download.value.suggested_filename == f"final-account-{code}.csv"


def test_every_kind_of_file_link_opens_the_file(live_server, page, complete_order, seller, program, admin, buyer,
                                                 listing):
    from marketplace.catalog import listings, moderation, uploads
    from marketplace.catalog.models import ProviderProfile
    from marketplace.orders import services as orders
    from marketplace.redemption import services as redemption
    from tests.catalog.conftest import png_bytes

    order = complete_order()
    orders.post_message(order, buyer, "附件", uploads.store_document(buyer.organisation, uploads.Upload("附件.pdf", PDF),
                                                                     "order"))
    request = redemption.submit(seller, program.id, [claim(order, program)], [evidence("发票.pdf")])
    profile = db.session.scalar(db.select(ProviderProfile).where(ProviderProfile.organisation_id == seller.organisation_id))
    profile.qualifications[0].file = uploads.store_document(seller.organisation, uploads.Upload("CNAS证书.pdf", PDF),
                                                            "qualification")
    listings.add_image(seller, listing.id, uploads.Upload("cover.png", png_bytes((900, 600))))
    listings.submit_listing(seller, listing.id)
    moderation.approve_revision(admin, listing.working_revision_id)
    db.session.commit()
    number, request_id, buyer_email, operator = order.number, request.id, buyer.email, admin.email
    profile_id, listing_id = profile.id, listing.id
    db.session.remove()
    base = live_server.url

    log_in(page, base, buyer_email, PASSWORD)
    page.goto(f"{base}/orders/{number}")
    for text in ("打开交付报告", "附件.pdf"):
        with page.expect_download() as download:
            page.get_by_role("link", name=text).click()
        assert download.value.path().read_bytes().startswith(b"%PDF")
    log_out(page)
    log_in(page, base, operator, PASSWORD)
    for url, text in ((f"/admin/redemptions/{request_id}", "发票.pdf"), (f"/admin/catalog/providers/{profile_id}", "CNAS证书.pdf")):
        page.goto(base + url)
        with page.expect_download() as download:
            page.get_by_role("link", name=text).click()
        assert download.value.path().read_bytes().startswith(b"%PDF")
    page.goto(f"{base}/listings/{listing_id}")
    full_size = page.locator("a[href^='/files/']").first.get_attribute("href")
    assert not full_size.endswith("/thumb")
    response = page.goto(base + full_size)
    assert response.status == 200 and response.headers["content-type"].startswith("image/")
