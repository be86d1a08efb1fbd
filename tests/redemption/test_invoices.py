"""Invoices (发票) in redemption claims: format, amount, one live claim per invoice and provider,
and the program's evidence checklist."""
import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from marketplace.extensions import db
from marketplace.redemption import errors, services
from marketplace.redemption.invoices import InvoiceInvalid, InvoiceUsed, fold, format_problem, parse
from marketplace.redemption.models import RedemptionItem
from tests.redemption.conftest import claim, evidence

YEAR = 2026


@pytest.mark.parametrize("code, number", [
    ("", "26350200000000012345"),  # 数电发票: 20 digits, no code
    ("", "21000000000000000001"),  # the first year of 数电发票
    ("3502201130", "00123456"),  # 10-digit code + 8-digit number
    ("035022011301", "00123456"),  # 12-digit code (electronic 普票)
])
def test_well_formed_invoices(code, number):
    assert format_problem(code, number, YEAR) is None


@pytest.mark.parametrize("code, number", [
    ("", "2635020000000001234"),  # 19 digits
    ("", "263502000000000123456"),  # 21 digits
    ("", "20350200000000012345"),  # 2020: before 数电发票
    ("", "27350200000000012345"),  # next year
    ("", "00123456"),  # an old number without its code
    ("35022011", "00123456"),  # 8-digit code
    ("3502201130", "0012345"),  # 7-digit number
    ("3502201130", "26350200000000012345"),  # a 数电 number with a code
    ("", "FP-35020001"),
    ("", "２６３５０２０００００００００１２３４Ｘ"),
])
def test_malformed_invoices(code, number):
    assert format_problem(fold(code), fold(number), YEAR) is not None


def test_spaces_hyphens_and_full_width_digits_are_folded():
    assert fold(" ２６３５-0200 0000-0001 2345 ") == "26350200000000012345"
    invoice = parse("TO1", "3502-2011-30", "0012 3456", 100, 100, YEAR)
    assert (invoice.code, invoice.number, invoice.key) == ("3502201130", "00123456", "3502201130-00123456")
    full_width = "26350200000000012345".translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert parse("TO1", "", full_width, 5, 5, YEAR).key == "26350200000000012345"


def test_the_amount_must_equal_the_share():
    with pytest.raises(InvoiceInvalid) as refused:
        parse("TO1", "", "26350200000000012345", 9999, 10000, YEAR)
    assert "¥99.99" in str(refused.value) and "¥100.00" in str(refused.value)
    with pytest.raises(InvoiceInvalid):
        parse("TO1", "", "26350200000000012345", None, 10000, YEAR)


def submit(seller, program, claims, files=None):
    request = services.submit(seller, program.id, claims, files or [evidence()])
    db.session.commit()
    return request


def test_submit_refuses_a_bad_invoice_naming_the_order(complete_order, seller, program):
    order = complete_order()
    for changes in ({"invoice_number": "FP-1"}, {"invoice_amount_fen": order.voucher_fen - 1},
                    {"invoice_code": "3502201130"}):
        with pytest.raises(InvoiceInvalid) as refused:
            services.submit(seller, program.id, [claim(order, program, **changes)], [evidence()])
        assert order.number in str(refused.value)
        db.session.rollback()
    request = submit(seller, program, [claim(order, program)])
    item = request.items[0]
    assert item.invoice_amount_fen == item.amount_fen == order.voucher_fen
    assert item.provider_id == seller.organisation_id and item.live_invoice == item.invoice_number


def test_one_invoice_backs_one_live_claim_per_provider(complete_order, seller, program, admin):
    first, second, third = complete_order("a"), complete_order("b"), complete_order("c")
    request = submit(seller, program, [claim(first, program)])
    reused = claim(second, program, invoice_number=claim(first, program).invoice_number)
    with pytest.raises(InvoiceUsed):
        services.submit(seller, program.id, [reused], [evidence()])
    db.session.rollback()
    with pytest.raises(InvoiceUsed):  # nor twice within one request
        services.submit(seller, program.id, [claim(third, program), claim(second, program, invoice_number=claim(
            third, program).invoice_number)], [evidence()])
    db.session.rollback()
    services.review(request.id, admin, "reject", "重复申报")  # a rejected request lets its invoice go
    db.session.commit()
    assert request.items[0].live_invoice is None
    assert submit(seller, program, [reused]).items[0].live_invoice == reused.invoice_number


def test_the_database_refuses_a_second_live_claim_of_an_invoice(complete_order, seller, program):
    first, second = complete_order("a"), complete_order("b")
    one, two = submit(seller, program, [claim(first, program)]), submit(seller, program, [claim(second, program)])
    with pytest.raises(IntegrityError):
        db.session.execute(update(RedemptionItem).where(RedemptionItem.id == two.items[0].id)
                           .values(live_invoice=one.items[0].live_invoice))
        db.session.flush()
    db.session.rollback()


def test_resubmission_checks_the_invoice_again(complete_order, seller, program, admin):
    order = complete_order()
    request = submit(seller, program, [claim(order, program)])
    services.review(request.id, admin, "return", "发票金额有误")
    db.session.commit()
    with pytest.raises(InvoiceInvalid):
        services.resubmit(request.id, seller, {order.id: claim(order, program, invoice_amount_fen=1)}, [])
    db.session.rollback()
    services.resubmit(request.id, seller, {}, [])  # its own invoice does not count against it
    db.session.commit()
    assert request.status == "submitted"


def test_the_programs_evidence_checklist(complete_order, seller, program, admin):
    order = complete_order()
    program.required_evidence = ["contract", "invoice"]
    db.session.commit()
    with pytest.raises(errors.EvidenceIncomplete) as refused:
        services.submit(seller, program.id, [claim(order, program)], [evidence("合同.pdf", "contract")])
    assert refused.value.labels == ["Invoice"]
    db.session.rollback()
    request = submit(seller, program, [claim(order, program)],
                     [evidence("合同.pdf", "contract"), evidence("发票.pdf", "invoice")])
    assert request.status == "submitted"
    services.review(request.id, admin, "return", "补充验收报告")
    program.required_evidence = ["contract", "invoice", "acceptance"]
    db.session.commit()
    with pytest.raises(errors.EvidenceIncomplete):
        services.resubmit(request.id, seller, {}, [])
    db.session.rollback()
    services.resubmit(request.id, seller, {}, [evidence("验收报告.pdf", "acceptance")])
    db.session.commit()
    assert request.status == "submitted"


def test_an_empty_checklist_keeps_the_any_one_document_rule(complete_order, seller, program):
    order = complete_order()
    assert program.required_evidence == []
    assert submit(seller, program, [claim(order, program)], [evidence("验收.pdf", "acceptance")]).status == "submitted"


def test_the_request_form_asks_for_code_number_and_amount(client, auth, complete_order, seller, program):
    order = complete_order()
    program.required_evidence = ["invoice"]
    db.session.commit()
    auth.login(seller)
    page = client.get(f"/redemption/new/{program.id}").get_data(as_text=True)
    for name in (f"invoice-code-{order.id}", f"invoice-{order.id}", f"invoice-amount-{order.id}"):
        assert f'name="{name}"' in page
    assert "数电发票" in page and 'data-testid="evidence-checklist"' in page
    data = {"order": [str(order.id)], f"invoice-code-{order.id}": "", f"invoice-{order.id}": "FP-1",
            f"invoice-amount-{order.id}": "12.3.4"}
    response = client.post(f"/redemption/new/{program.id}", data=data)
    assert response.status_code == 422
    data[f"invoice-amount-{order.id}"] = f"{order.voucher_fen / 100:.2f}"
    response = client.post(f"/redemption/new/{program.id}", data=data)
    assert response.status_code == 422 and order.number in response.get_data(as_text=True)
    assert 'value="FP-1"' in response.get_data(as_text=True)  # what was typed stays


def test_clone_keeps_the_checklist(make_program, admin):
    from marketplace.vouchers import lifecycle

    program = make_program()
    program.required_evidence = ["contract", "acceptance"]
    db.session.commit()
    copy = lifecycle.clone(program.id, admin, "NEXT2027", "下一年度")
    assert copy.required_evidence == ["contract", "acceptance"]


def test_the_program_form_sets_the_checklist(client, auth, admin, make_program):
    program = make_program(open=False)
    auth.login(admin)
    page = client.get(f"/admin/programs/{program.id}/edit").get_data(as_text=True)
    assert 'name="required_evidence"' in page
