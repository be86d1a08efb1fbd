import csv
import io

from openpyxl import load_workbook

from marketplace.audit import reports
from tests.redemption.conftest import complete_order, program  # noqa: F401
from tests.orders.conftest import buyer, funded_buyer, listing, make_listing, make_provider, seller  # noqa: F401


def test_reports_count_the_voucher_use(complete_order, program, seller):
    order = complete_order()
    [row] = reports.by_program().rows
    assert row[0] == program.code and row[2] == 10_000_000 and row[4] == order.voucher_fen
    assert reports.by_category().rows == [(order.category, 1, order.price_fen, order.voucher_fen)]
    assert reports.top_providers().rows == [(seller.organisation.legal_name, 1, order.voucher_fen)]
    assert reports.coverage().rows == [("厦门", 1, 1)]


def test_the_page_draws_charts_and_exports_them(client, auth, admin, complete_order, seller):
    complete_order()
    auth.login(admin)
    page = client.get("/admin/reports").get_data(as_text=True)
    assert page.count("<svg") >= 4 and 'role="img"' in page
    data = client.get("/admin/reports/providers.csv").data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[1][0] == seller.organisation.legal_name
    book = load_workbook(io.BytesIO(client.get("/admin/reports/coverage.xlsx").data))
    assert book.active.cell(2, 1).value == "厦门"
    assert client.get("/admin/reports/nothing.csv").status_code == 404


def test_budget_burndown_follows_the_budget_account(complete_order, program):
    from marketplace.vouchers.rules import SHANGHAI
    from marketplace.database import utcnow

    complete_order()
    month = utcnow().astimezone(SHANGHAI).strftime("%Y-%m")
    # funded with the program budget, then the buyer's ¥100,000 voucher issued from it
    assert reports.budget_burndown().rows == [(program.code, month, program.budget_fen - 10_000_000)]


def test_months_show_issued_held_redeemed_and_lapsed(complete_order, funded_buyer, listing):
    from marketplace.database import utcnow
    from marketplace.extensions import db
    from marketplace.orders import services as orders
    from marketplace.vouchers.rules import SHANGHAI

    done = complete_order()
    waiting = orders.place_order(funded_buyer[0], orders.offer_for(listing.id, listing.published_revision.packages[0].id),
                                 "still-held")
    db.session.commit()
    month = utcnow().astimezone(SHANGHAI).strftime("%Y-%m")
    assert reports.by_month().rows == [(month, 10_000_000, waiting.voucher_fen, done.voucher_fen, 0, 0)]
