from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace import ledger
from marketplace.audit.models import AuditEntry
from marketplace.database import utcnow
from marketplace.errors import PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.ledger.models import Transfer
from marketplace.redemption import errors, services, settlement
from tests.redemption.conftest import claim, evidence
from tests.vouchers.fixtures import assert_reconciled


def receivable(order):
    return ledger.balance(db.session, f"program:{order.program.code}:receivable:{order.provider_id}")


def settled(program):
    return ledger.balance(db.session, f"program:{program.code}:settled")


def submit(seller, program, orders, **kwargs):
    request = services.submit(seller, program.id, [claim(o, program) for o in orders], [evidence()], **kwargs)
    db.session.commit()
    return request


def approve(request, first, final=None):
    services.review(request.id, first, "first_approve")
    services.review(request.id, final or first, "final_approve")
    db.session.commit()


def test_request_review_and_payment_settle_the_voucher_share(complete_order, seller, program, admin, make_user):
    one, two = complete_order("o1"), complete_order("o2")
    request = submit(seller, program, [one, two])
    assert request.status == "submitted" and request.total_fen == one.voucher_fen + two.voucher_fen
    assert one.status == two.status == "redeemed"
    approve(request, admin, make_user("admin"))
    assert request.status == "approved" and request.first_reviewer_id != request.final_reviewer_id
    batch = settlement.create_batch(admin, [request.id])
    settlement.approve_batch(admin, batch.id)
    db.session.commit()
    settlement.mark_paid(batch.id, admin, "BANK-20261128-001")
    db.session.commit()
    assert batch.status == "paid" and request.status == "settled"
    assert one.status == two.status == "settled"
    assert receivable(one).posted == 0
    assert settled(program).posted == request.total_fen
    transfers = db.session.scalars(select(Transfer).where(Transfer.settlement_id == batch.id)).all()
    assert {t.kind for t in transfers} == {"settle"} and len(transfers) == 2
    assert_reconciled(program)
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-5:] == ["redemption.first_approve", "redemption.final_approve", "settlement.create",
                            "settlement.approve", "settlement.paid"]


def test_paying_twice_with_the_same_reference_changes_nothing(complete_order, seller, program, admin):
    request = submit(seller, program, [complete_order()])
    approve(request, admin)
    batch = settlement.create_batch(admin, [request.id])
    settlement.approve_batch(admin, batch.id)
    settlement.mark_paid(batch.id, admin, "REF-1")
    db.session.commit()
    count = db.session.query(Transfer).count()
    settlement.mark_paid(batch.id, admin, "REF-1")
    db.session.commit()
    assert db.session.query(Transfer).count() == count
    assert_reconciled(program)


def test_a_bank_reference_pays_one_batch_only(complete_order, seller, program, admin):
    batches = []
    for key in ("a", "b"):
        request = submit(seller, program, [complete_order(key)])
        approve(request, admin)
        batches.append(settlement.create_batch(admin, [request.id]))
        settlement.approve_batch(admin, batches[-1].id)
    settlement.mark_paid(batches[0].id, admin, "SAME")
    db.session.commit()
    with pytest.raises(errors.ReferenceUsed):
        settlement.mark_paid(batches[1].id, admin, "SAME")


def test_late_requests_are_refused_naming_the_deadline(complete_order, seller, program):
    order = complete_order()
    late = utcnow() + timedelta(days=200)
    with pytest.raises(errors.RedemptionClosed) as refused:
        services.submit(seller, program.id, [claim(order, program)], [evidence()], now=late)
    assert program.redeem_by.isoformat() in str(refused.value)


def test_an_order_sits_in_one_live_request_only(complete_order, seller, program):
    order = complete_order()
    submit(seller, program, [order])
    with pytest.raises(errors.NotClaimable):
        services.submit(seller, program.id, [claim(order, program)], [evidence()])


def test_only_the_providers_own_completed_orders(complete_order, seller, program, make_user, make_provider):
    order = complete_order()
    other = make_provider()
    with pytest.raises(errors.NotClaimable):
        services.submit(other, program.id, [claim(order, program)], [evidence()])


def test_invoice_numbers_and_evidence_are_required(complete_order, seller, program):
    from marketplace.redemption.invoices import InvoiceInvalid

    order = complete_order()
    with pytest.raises(InvoiceInvalid):
        services.submit(seller, program.id, [claim(order, program, invoice_number=" ")], [evidence()])
    db.session.rollback()
    with pytest.raises(errors.EvidenceMissing):
        services.submit(seller, program.id, [claim(order, program)], [])
    db.session.rollback()
    with pytest.raises(errors.NothingSelected):
        services.submit(seller, program.id, [], [evidence()])


def test_returned_requests_are_resubmitted_and_rejected_ones_free_their_orders(complete_order, seller, program, admin):
    order = complete_order()
    request = submit(seller, program, [order])
    services.review(request.id, admin, "first_approve")
    with pytest.raises(ValidationFailed):
        services.review(request.id, admin, "return", "")
    services.review(request.id, admin, "return", "发票号码有误")
    db.session.commit()
    assert request.status == "returned" and request.reason == "发票号码有误"
    fixed = claim(order, program, invoice_code="3502201130", invoice_number="0012 3456")
    services.resubmit(request.id, seller, {order.id: fixed}, [evidence("发票.pdf", "invoice")])
    db.session.commit()
    assert request.status == "submitted" and request.items[0].invoice_number == "00123456"
    assert request.items[0].invoice_code == "3502201130" and request.items[0].live_invoice == "3502201130-00123456"
    assert request.first_reviewer_id is None and len(request.evidence) == 2
    services.review(request.id, admin, "reject", "重复申报")
    db.session.commit()
    assert order.status == "completed"  # back to claimable, with the rejection on its timeline
    again = submit(seller, program, [order])
    assert again.items[0].order_id == order.id


def test_final_review_needs_first_review(complete_order, seller, program, admin):
    request = submit(seller, program, [complete_order()])
    with pytest.raises(errors.WrongState):
        services.review(request.id, admin, "final_approve")


def test_auditors_cannot_decide(complete_order, seller, program, make_user):
    auditor = make_user("admin")
    auditor.admin_role = "auditor"
    db.session.commit()
    request = submit(seller, program, [complete_order()])
    with pytest.raises(PermissionDenied):
        services.review(request.id, auditor, "first_approve")


def test_exports_open_with_the_chinese_text(complete_order, seller, program, admin):
    import csv
    import io

    from openpyxl import load_workbook

    request = submit(seller, program, [complete_order()])
    approve(request, admin)
    batch = settlement.create_batch(admin, [request.id])
    settlement.approve_batch(admin, batch.id)
    rows = list(settlement.export_rows(batch))
    data = settlement.csv_bytes(settlement.EXPORT_HEADER, rows)
    assert data.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert parsed[1][2] == seller.organisation.legal_name and "有限公司" in parsed[1][2]
    book = load_workbook(io.BytesIO(settlement.xlsx_bytes(settlement.EXPORT_HEADER, rows)))
    sheet = book.active
    assert sheet.cell(2, 3).value == seller.organisation.legal_name
    assert sheet.cell(2, 9).value == request.total_fen
