import io
import csv

from openpyxl import load_workbook

from marketplace import ledger
from marketplace.extensions import db
from marketplace.redemption.models import RedemptionRequest
from tests.catalog.conftest import PDF
from tests.vouchers.fixtures import assert_reconciled


def files(**names):
    return {slot: (io.BytesIO(PDF), name) for slot, name in names.items()}


def invoice_fields(order, number=None, code="", amount=None):
    """The per-order invoice fields: by default a 数电发票 numbered from the order, for its share."""
    number = f"26{order.id:018d}" if number is None else number
    amount = f"{order.voucher_fen / 100:.2f}" if amount is None else amount
    return {f"invoice-code-{order.id}": code, f"invoice-{order.id}": number, f"invoice-amount-{order.id}": amount}


def request_redemption(client, program, orders, invoice=None):
    data = {"order": [str(o.id) for o in orders],
            **{k: v for o in orders for k, v in invoice_fields(o, invoice).items()},
            **files(contract="合同.pdf", invoice="发票.pdf", acceptance="验收报告.pdf")}
    return client.post(f"/redemption/new/{program.id}", data=data, content_type="multipart/form-data")


def test_provider_requests_admins_review_and_pay(client, auth, complete_order, seller, program, admin, make_user):
    order = complete_order()
    auth.login(seller)
    page = client.get("/redemption/").get_data(as_text=True)
    assert program.code in page
    assert order.number in client.get(f"/redemption/new/{program.id}").get_data(as_text=True)
    response = request_redemption(client, program, [order])
    assert response.status_code == 302, response.get_data(as_text=True)
    request = db.session.query(RedemptionRequest).one()
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "合同.pdf" in detail and f"26{order.id:018d}" in detail
    token = request.evidence[0].file.token
    assert client.get(f"/files/{token}").status_code == 200
    auth.logout()

    auth.login(admin)
    assert client.get(f"/files/{token}").status_code == 200
    assert request.number in client.get("/admin/redemptions").get_data(as_text=True)
    assert client.post(f"/admin/redemptions/{request.id}/first_approve", data={}).status_code == 302
    auth.logout()
    second = make_user("admin")
    auth.login(second)
    assert client.post(f"/admin/redemptions/{request.id}/final_approve", data={}).status_code == 302
    response = client.post("/admin/settlements", data={"request": [str(request.id)]})
    assert response.status_code == 302
    batch_url = response.headers["Location"]
    export = client.get(batch_url + "/export.csv")
    assert export.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))
    assert rows[1][2] == seller.organisation.legal_name
    book = load_workbook(io.BytesIO(client.get(batch_url + "/export.xlsx").data))
    assert book.active.cell(2, 6).value == order.number
    assert client.post(batch_url + "/paid", data={"reference": "ICBC-20261128-0001"}).status_code == 422  # not approved
    auth.logout()
    auth.login(make_user("admin"))  # a third operator approves what the second one batched
    assert client.post(batch_url + "/approve", data={}).status_code == 302
    assert client.post(batch_url + "/paid", data={"reference": "ICBC-20261128-0001"}).status_code == 302
    db.session.expire_all()
    assert request.status == "settled" and order.status == "settled"
    assert ledger.balance(db.session, f"program:{program.code}:settled").posted == order.voucher_fen
    assert_reconciled(program)


def test_a_send_back_needs_a_reason_and_the_provider_resubmits(client, auth, complete_order, seller, program, admin):
    order = complete_order()
    auth.login(seller)
    request_redemption(client, program, [order])
    request = db.session.query(RedemptionRequest).one()
    auth.logout()
    auth.login(admin)
    assert client.post(f"/admin/redemptions/{request.id}/return", data={"reason": ""}).status_code == 422
    assert client.post(f"/admin/redemptions/{request.id}/return", data={"reason": "发票抬头错误"}).status_code == 302
    auth.logout()
    auth.login(seller)
    page = client.get(f"/redemption/{request.id}").get_data(as_text=True)
    assert "发票抬头错误" in page
    response = client.post(f"/redemption/{request.id}", data=invoice_fields(order, "0012-3456", code="350220113011"),
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert request.status == "submitted" and request.items[0].invoice_number == "00123456"


def test_missing_invoice_numbers_are_shown_on_the_form(client, auth, complete_order, seller, program):
    order = complete_order()
    auth.login(seller)
    response = request_redemption(client, program, [order], invoice="")
    assert response.status_code == 422
    assert order.number in response.get_data(as_text=True)


def test_other_providers_and_enterprises_cannot_see_a_request(client, auth, complete_order, seller, program, make_provider, buyer):
    auth.login(seller)
    request_redemption(client, program, [complete_order()])
    request = db.session.query(RedemptionRequest).one()
    auth.logout()
    auth.login(make_provider())
    assert client.get(f"/redemption/{request.id}").status_code == 404
    assert client.get(f"/files/{request.evidence[0].file.token}").status_code in (403, 404)
    auth.logout()
    auth.login(buyer)
    assert client.get("/redemption/").status_code == 403
