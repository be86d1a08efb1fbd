"""The voucher pages through HTTP: forms, role and object checks, messages in Chinese."""
import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.vouchers.models import IssueBatch, Voucher, VoucherApplication, VoucherProgram

PROGRAM_FORM = {
    "code": "HJ2031", "name": "2031年度火炬创新券", "funder": "管委会", "description": "",
    "budget": "1,000,000", "valid_from": "2026-01-01", "use_by": "2031-12-31", "redeem_by": "2032-03-31",
    "enterprise_cap": "100000", "order_cap": "", "ratio": "35", "category_ratios": "testing=40",
    "full_cover_below": "", "eligible_categories": ["ip", "testing"], "reclaim_threshold": "80",
}


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_admin_creates_and_opens_a_program_in_the_browser_forms(client, auth, admin):
    auth.login(admin)
    response = client.post("/admin/programs/new", data=PROGRAM_FORM)
    assert response.status_code == 302
    program = db.session.scalar(select(VoucherProgram))
    assert (program.budget_fen, program.ratio_bp, program.category_ratios) == (100_000_000, 3500, {"testing": 4000})
    page = client.post(f"/admin/programs/{program.id}/open", data={}, follow_redirects=True).get_data(as_text=True)
    assert "项目已开放" in page and "账目平衡" in page


@pytest.mark.parametrize("field, value, message", [
    ("code", "hj 2031!", "2 到 12 位"), ("budget", "-5", "最多两位小数"), ("budget", "1.234", "最多两位小数"),
    ("budget", "abc", "最多两位小数"), ("budget", "0", "大于零"), ("ratio", "101", "0 到 100"),
    ("ratio", "35.555", "0 到 100"), ("use_by", "2025-12-31", "依次排列"), ("use_by", "31/12/2031", "YYYY-MM-DD"),
    ("category_ratios", "nosuch=40", "类别=百分比"), ("enterprise_cap", "2000000", "不能超过预算"),
    ("eligible_categories", [], "至少选择一个"), ("name", "", "必填"),
])
def test_program_form_errors_write_nothing(client, auth, admin, field, value, message):
    auth.login(admin)
    response = client.post("/admin/programs/new", data={**PROGRAM_FORM, field: value})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert count(VoucherProgram) == 0


@pytest.mark.parametrize("amount, message", [
    ("0", "大于零"), ("-1", "最多两位小数"), ("abc", "最多两位小数"), ("1.005", "最多两位小数"),
    ("", "必填"), ("100000.01", "最多还可申领"),
])
def test_application_amount_errors(client, auth, make_program, enterprise, amount, message):
    program = make_program(enterprise_cap_fen=100_000_00)
    auth.login(enterprise)
    response = client.post(f"/vouchers/programs/{program.id}/apply", data={"amount": amount, "purpose": "专利"})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert count(VoucherApplication) == 0


def test_enterprise_applies_and_sees_it_listed(client, auth, make_program, enterprise):
    program = make_program()
    auth.login(enterprise)
    assert program.name in client.get("/vouchers/programs").get_data(as_text=True)
    response = client.post(f"/vouchers/programs/{program.id}/apply", data={"amount": "20,000", "purpose": "EMC 检测"})
    assert response.status_code == 302
    page = client.get("/vouchers/applications").get_data(as_text=True)
    assert "¥20,000.00" in page and "待审核" in page


def test_ineligible_program_explains_why(client, auth, make_program, enterprise):
    make_program(required_flags=["high_tech"])
    auth.login(enterprise)
    page = client.get("/vouchers/programs").get_data(as_text=True)
    assert "目前无法申领" in page and "国家高新技术企业" in page


def test_admin_approves_from_the_queue_and_the_wallet_shows_it(client, auth, make_program, enterprise, admin):
    from marketplace.vouchers import services

    program = make_program()
    application = services.apply(program.id, enterprise, 30_000_00, "检测")
    db.session.commit()
    auth.login(admin)
    assert enterprise.organisation.legal_name in client.get("/admin/applications").get_data(as_text=True)
    response = client.post(f"/admin/applications/{application.id}/approve", data={"amount": "25000"})
    assert response.status_code == 302
    again = client.post(f"/admin/applications/{application.id}/approve", data={"amount": "25000"})
    assert again.status_code == 422 and "不能重复审核" in again.get_data(as_text=True)
    assert count(Voucher) == 1
    auth.logout()
    auth.login(enterprise)
    page = client.get("/vouchers/").get_data(as_text=True)
    voucher = db.session.scalar(select(Voucher))
    assert voucher.number in page and "¥25,000.00" in page
    statement = client.get(f"/vouchers/{voucher.number}").get_data(as_text=True)
    assert "发放" in statement and "¥25,000.00" in statement


def test_expiring_vouchers_get_a_banner(client, auth, make_program, enterprise, issue):
    from datetime import timedelta

    from marketplace.database import utcnow
    from marketplace.vouchers.rules import local_date

    soon = make_program(use_by=local_date(utcnow()) + timedelta(days=10))
    issue(soon, enterprise, 1_000_00)
    auth.login(enterprise)
    page = client.get("/vouchers/").get_data(as_text=True)
    assert 'data-testid="expiry-warning"' in page and "到期" in page


def test_no_banner_far_from_expiry(client, auth, make_program, enterprise, issue):
    issue(make_program(), enterprise, 1_000_00)
    auth.login(enterprise)
    assert 'data-testid="expiry-warning"' not in client.get("/vouchers/").get_data(as_text=True)


def test_another_enterprise_cannot_see_a_voucher(client, auth, make_program, enterprise, issue, make_user):
    voucher = issue(make_program(), enterprise, 1_000_00)
    auth.login(make_user("enterprise"))
    assert client.get(f"/vouchers/{voucher.number}").status_code == 404
    assert voucher.number not in client.get("/vouchers/").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/vouchers/", "/vouchers/programs", "/vouchers/applications"])
def test_enterprise_pages_are_for_enterprises(client, auth, make_user, path):
    assert client.get(path).status_code == 302
    auth.login(make_user("provider"))
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("method, path", [
    ("get", "/admin/programs"), ("get", "/admin/programs/new"), ("get", "/admin/applications"),
    ("get", "/admin/outbox"), ("post", "/admin/programs/1/open"), ("post", "/admin/applications/1/approve"),
    ("post", "/admin/programs/1/batch"), ("post", "/admin/batches/1/confirm"), ("post", "/admin/vouchers/1/revoke"),
])
def test_admin_voucher_pages_are_for_admins(client, auth, make_user, method, path):
    auth.login(make_user("enterprise"))
    assert getattr(client, method)(path, **({"data": {}} if method == "post" else {})).status_code == 403


def test_batch_upload_preview_and_confirm_through_the_pages(client, auth, make_program, make_org, admin):
    import io

    program = make_program()
    org = make_org(kind="enterprise")
    db.session.commit()
    auth.login(admin)
    raw = f"credit_code,amount_yuan,memo\n{org.credit_code},5000,首批\nBADCODE,1,x\n".encode("gbk")
    response = client.post(f"/admin/programs/{program.id}/batch",
                           data={"file": (io.BytesIO(raw), "grants.csv")}, content_type="multipart/form-data")
    batch = db.session.scalar(select(IssueBatch))
    assert response.location.endswith(f"/admin/batches/{batch.id}")
    page = client.get(response.location).get_data(as_text=True)
    assert "未注册的企业" in page and "确认发放" in page
    client.post(f"/admin/batches/{batch.id}/confirm", data={})
    assert count(Voucher) == 1
    assert "不会重复发放" in client.get(f"/admin/batches/{batch.id}").get_data(as_text=True)


def test_revocation_needs_confirmation_and_reason(client, auth, make_program, enterprise, issue, admin):
    voucher = issue(make_program(), enterprise, 1_000_00)
    auth.login(admin)
    response = client.post(f"/admin/vouchers/{voucher.id}/revoke", data={"reason": "套取"})
    assert response.status_code == 422 and "请勾选以确认" in response.get_data(as_text=True)
    assert voucher.revoked_at is None
    client.post(f"/admin/vouchers/{voucher.id}/revoke", data={"reason": "套取", "confirm": "y"})
    db.session.refresh(voucher)
    assert voucher.revoked_at is not None


def test_notifications_page_lists_and_marks_read(client, auth, make_program, enterprise):
    make_program()
    auth.login(enterprise)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "新的创新券项目" in page and 'class="count-badge"' in page
    client.post("/notifications/read", data={})
    assert 'class="count-badge"' not in client.get("/notifications/").get_data(as_text=True)


def test_admin_runs_a_programs_expiry_from_its_page(client, auth, make_program, enterprise, admin):
    from datetime import timedelta
    from marketplace import ledger
    from marketplace.database import utcnow
    from marketplace.vouchers.rules import local_date
    from marketplace.vouchers.issuance import IssueItem, issue_vouchers
    today = local_date(utcnow())
    current = make_program()
    auth.login(admin)  # the current program refuses: its vouchers are still valid
    page = client.post(f"/admin/programs/{current.id}/expire", data={}, follow_redirects=True).get_data(as_text=True)
    assert "可使用至" in page
    ended = make_program(valid_from=today - timedelta(days=60), use_by=today - timedelta(days=1))
    voucher = issue_vouchers(ended, [IssueItem(enterprise.organisation_id, 1_000_00, "ended-1")], admin)[0]
    db.session.commit()
    page = client.post(f"/admin/programs/{ended.id}/expire", data={}, follow_redirects=True).get_data(as_text=True)
    assert "1 张创新券作废" in page
    assert ledger.balance(db.session, voucher.account_id).available == 0
