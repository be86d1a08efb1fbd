"""Four eyes (issue 15): with the setting on, revocations, deadline extensions, budget changes
and clawbacks wait for a second operator; 终审 and batch approvals need another operator than
the step before. With it off (development, the demo) one operator may do both."""
import pytest

from marketplace import ledger
from marketplace.approvals import services as approvals
from marketplace.approvals.models import Approval
from marketplace.audit.models import AuditEntry
from marketplace.errors import ValidationFailed
from marketplace.extensions import db
from marketplace.redemption import services as redemption, settlement
from marketplace.vouchers import services as vouchers
from tests.redemption.conftest import claim, evidence


def test_a_revocation_waits_for_a_second_operator(four_eyes, funded_buyer, admin, second_admin):
    _buyer, _program, voucher = funded_buyer
    approval, result = vouchers.request_revocation(voucher.id, admin, "虚假材料")
    db.session.commit()
    assert result is None and approval.status == "pending" and voucher.revoked_at is None
    with pytest.raises(approvals.SameOperator):
        approvals.approve(admin, approval.id)
    db.session.rollback()
    approvals.approve(second_admin, approval.id, "核实无误")
    db.session.commit()
    assert voucher.revoked_at is not None and ledger.balance(db.session, voucher.account_id).available == 0
    assert (approval.status, approval.decided_by_id) == ("approved", second_admin.id)
    actions = db.session.scalars(db.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-3:] == ["approval.request", "voucher.revoke", "approval.approved"]


def test_a_rejected_or_withdrawn_request_changes_nothing(four_eyes, funded_buyer, admin, second_admin):
    voucher = funded_buyer[2]
    rejected, _ = vouchers.request_revocation(voucher.id, admin, "怀疑串通")
    with pytest.raises(ValidationFailed):  # a rejection says why
        approvals.reject(second_admin, rejected.id, "")
    db.session.rollback()
    rejected, _ = vouchers.request_revocation(voucher.id, admin, "怀疑串通")
    approvals.reject(second_admin, rejected.id, "证据不足")
    withdrawn, _ = vouchers.request_revocation(voucher.id, admin, "再查")
    with pytest.raises(approvals.SameOperator):
        approvals.withdraw(second_admin, withdrawn.id)
    approvals.withdraw(admin, withdrawn.id)
    db.session.commit()
    assert voucher.revoked_at is None
    assert {a.status for a in db.session.scalars(db.select(Approval))} == {"rejected", "withdrawn"}


def test_without_four_eyes_one_operator_decides_at_once(funded_buyer, admin):
    voucher = funded_buyer[2]
    approval, result = vouchers.request_revocation(voucher.id, admin, "测试")
    assert approval.status == "approved" and result.revoked_at is not None


def test_final_review_and_batch_approval_need_another_operator(four_eyes, complete_order, seller, program, admin,
                                                               second_admin):
    order = complete_order()
    request = redemption.submit(seller, program.id, [claim(order, program)], [evidence()])
    redemption.review(request.id, admin, "first_approve")
    db.session.commit()
    with pytest.raises(approvals.SameOperator):
        redemption.review(request.id, admin, "final_approve")
    db.session.rollback()
    redemption.review(request.id, second_admin, "final_approve")
    batch = settlement.create_batch(second_admin, [request.id])
    with pytest.raises(settlement.errors.BatchNotApproved):
        settlement.mark_paid(batch.id, admin, "REF")
    with pytest.raises(approvals.SameOperator):
        settlement.approve_batch(second_admin, batch.id)
    settlement.approve_batch(admin, batch.id)
    settlement.mark_paid(batch.id, admin, "REF")
    db.session.commit()
    assert request.status == "settled"


def test_the_approvals_page_lists_who_asked_and_lets_another_operator_decide(four_eyes, funded_buyer, admin,
                                                                            second_admin, client, auth):
    voucher = funded_buyer[2]
    auth.login(admin)
    response = client.post(f"/admin/vouchers/{voucher.id}/revoke", data={"reason": "发票造假", "confirm": "y"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/approvals")
    page = client.get("/admin/approvals").get_data(as_text=True)
    assert voucher.number in page and "发票造假" in page and "撤回" in page  # the asker may only withdraw
    approval = db.session.scalar(db.select(Approval))
    auth.logout()
    auth.login(second_admin)
    assert client.post(f"/admin/approvals/{approval.id}/approve", data={"note": ""}).status_code == 302
    db.session.expire_all()
    assert voucher.revoked_at is not None
    assert "已批准并执行" in client.get("/admin/approvals?status=approved").get_data(as_text=True)
