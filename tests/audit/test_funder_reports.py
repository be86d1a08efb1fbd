"""Reports a funder accepts: per program and period in Beijing dates, amounts in yuan as numbers."""
import csv
import io
from datetime import datetime, time, timedelta
from decimal import Decimal

from openpyxl import load_workbook

from marketplace.audit import funder_reports as funder
from marketplace.audit.funder_reports import Scope
from marketplace.database import utcnow
from marketplace.vouchers.rules import SHANGHAI
from tests.redemption.conftest import complete_order, program  # noqa: F401
from tests.orders.conftest import buyer, funded_buyer, listing, make_listing, make_provider, seller  # noqa: F401


def beijing(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def two_orders_either_side_of_beijing_midnight(complete_order, clock):
    """One order completed at 23:30 and one at 00:30 Beijing time — the same UTC day (15:30 and
    16:30), so a period counted in UTC days could not tell them apart."""
    today = utcnow().astimezone(SHANGHAI).date()
    clock(beijing(today - timedelta(days=1), 23, 30))
    late = complete_order("late-evening")
    clock(beijing(today, 0, 30))
    early = complete_order("early-morning")
    return today, late, early


def test_the_period_counts_beijing_days(complete_order, program, seller, clock):
    today, late, early = two_orders_either_side_of_beijing_midnight(complete_order, clock)
    assert late.completed_at.date() == early.completed_at.date()  # the same UTC day

    [row] = funder.subsidy_by_enterprise(Scope(program.id, since=today, until=today)).rows
    assert row[3] == 1 and row[5] == early.voucher_fen  # in the period: only the 00:30 order
    assert row[6] == late.voucher_fen + early.voucher_fen  # cumulative to the period's end: both

    [row] = funder.subsidy_by_enterprise(Scope(program.id, until=today - timedelta(days=1))).rows
    assert row[5] == row[6] == late.voucher_fen  # up to yesterday: only the 23:30 order

    [provider] = funder.redemption_by_provider(Scope(program.id, since=today)).rows
    assert provider[0] == seller.organisation.legal_name and provider[3] == early.voucher_fen
    assert funder.redemption_by_provider(Scope(program.id, since=today + timedelta(days=1))).rows == []

    [cell] = funder.by_category_and_city(Scope(program.id, since=today)).rows
    assert cell[1] == "厦门" and cell[2] == 1 and cell[4] == early.voucher_fen
    assert cell[0] != early.category  # a label, not the category's code


def test_another_program_is_not_counted(complete_order, program, make_program):
    complete_order()
    other = make_program(code="OTHER")
    assert funder.subsidy_by_enterprise(Scope(other.id)).rows == []
    assert len(funder.subsidy_by_enterprise(Scope(program.id)).rows) == 1
    assert len(funder.subsidy_by_enterprise(Scope()).rows) == 1


def test_the_page_filters_and_exports_yuan_as_numbers(client, auth, admin, complete_order, program, seller):
    order = complete_order()
    today = utcnow().astimezone(SHANGHAI).date()
    auth.login(admin)
    page = client.get(f"/admin/reports/funder?program={program.id}&since={today}&until={today}").get_data(as_text=True)
    assert seller.organisation.legal_name in page and "report-provider-redemption" in page

    query = f"?program={program.id}&since={today}"
    text = client.get(f"/admin/reports/funder/enterprises.csv{query}").data.decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(text)))
    assert header[5].endswith("（元）") and "元" not in header[0]
    assert row[5] == f"{order.voucher_fen // 100}.{order.voucher_fen % 100:02d}"

    book = load_workbook(io.BytesIO(client.get(f"/admin/reports/funder/provider-redemption.xlsx{query}").data))
    cell = book.active.cell(2, 4)
    assert cell.value == Decimal(order.voucher_fen) / 100 and "¥" in cell.number_format
    assert client.get(f"/admin/reports/funder/nothing.csv{query}").status_code == 404


def test_bad_filters_are_named_not_an_error(client, auth, admin):
    auth.login(admin)
    page = client.get("/admin/reports/funder?program=x&since=2026-13-01&until=9999-99-99")
    assert page.status_code == 200
    backwards = client.get("/admin/reports/funder?since=2026-03-02&until=2026-03-01", follow_redirects=True)
    assert backwards.status_code == 200 and "结束日早于开始日" in backwards.get_data(as_text=True)


def test_the_dashboard_reports_export_yuan_with_a_currency_format(client, auth, admin, complete_order):
    order = complete_order()
    auth.login(admin)
    book = load_workbook(io.BytesIO(client.get("/admin/reports/programs.xlsx").data))
    header = [c.value for c in book.active[1]]
    redeemed = book.active.cell(2, 5)
    assert header[4].endswith("（元）") and redeemed.value == Decimal(order.voucher_fen) / 100
    assert redeemed.number_format == '"¥"#,##0.00'

