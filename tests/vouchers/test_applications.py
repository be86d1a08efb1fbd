from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace import ledger
from marketplace.database import utcnow
from marketplace.errors import ValidationFailed
from marketplace.extensions import db
from marketplace.vouchers import errors, numbers, services
from marketplace.vouchers.models import Voucher, VoucherApplication
from marketplace.vouchers.rules import local_date
from tests.vouchers.fixtures import assert_reconciled


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_approval_issues_a_numbered_voucher_from_the_budget(make_program, enterprise, admin):
    program = make_program(code="HJ2099")
    application = services.apply(program.id, enterprise, 50_000_00, "专利申请")
    services.approve(application.id, admin)
    db.session.commit()
    voucher = db.session.scalar(select(Voucher))
    assert voucher.number.startswith("HJ2099-000001-") and numbers.is_valid(voucher.number)
    assert voucher.organisation_id == enterprise.organisation_id and voucher.face_value_fen == 50_000_00
    assert ledger.balance(db.session, voucher.account_id).available == 50_000_00
    assert services.budget_left(program) == program.budget_fen - 50_000_00
    assert application.status == "approved" and application.approved_fen == 50_000_00
    assert_reconciled(program)


def test_admin_may_approve_a_lower_amount_but_not_more(make_program, enterprise, admin):
    program = make_program()
    application = services.apply(program.id, enterprise, 50_000_00, "检测")
    db.session.commit()
    with pytest.raises(ValidationFailed):
        services.approve(application.id, admin, 60_000_00)
    db.session.rollback()
    services.approve(application.id, admin, 30_000_00)
    db.session.commit()
    assert db.session.scalar(select(Voucher.face_value_fen)) == 30_000_00


def test_approving_twice_never_issues_twice(make_program, enterprise, admin):
    program = make_program()
    application = services.apply(program.id, enterprise, 10_000_00, "检测")
    services.approve(application.id, admin)
    db.session.commit()
    with pytest.raises(errors.AlreadyDecided):
        services.approve(application.id, admin)
    db.session.rollback()
    with pytest.raises(errors.AlreadyDecided):
        services.reject(application.id, admin, "晚了")
    db.session.rollback()
    assert count(Voucher) == 1
    assert_reconciled(program)


def test_budget_can_never_go_negative(make_program, make_user, admin):
    program = make_program(budget_fen=100_000_00, enterprise_cap_fen=80_000_00)
    first, second = make_user("enterprise"), make_user("enterprise")
    a1 = services.apply(program.id, first, 80_000_00, "研发")
    a2 = services.apply(program.id, second, 30_000_00, "研发")
    services.approve(a1.id, admin)
    db.session.commit()
    with pytest.raises(errors.BudgetExhausted) as refused:
        services.approve(a2.id, admin)
    assert "¥20,000.00" in str(refused.value)
    db.session.rollback()
    assert count(Voucher) == 1 and a2.status == "pending"
    assert_reconciled(program)


def test_database_refuses_an_overdraft_of_the_budget_even_past_the_python_check(make_program, admin, enterprise,
                                                                                make_user):
    from marketplace.vouchers.issuance import IssueItem, issue_vouchers
    from marketplace.vouchers import issuance

    program = make_program(budget_fen=1_000_00, enterprise_cap_fen=1_000_00)
    other = make_user("enterprise")
    real_balance = issuance.ledger.balance

    class Generous:  # pretend the budget were larger, as a racing request would see it
        def __init__(self, real):
            self.real = real

        def __getattr__(self, name):
            return getattr(self.real, name)

        available = 10**12

    issuance.ledger.balance = lambda session, ref: Generous(real_balance(session, ref))
    try:
        with pytest.raises((errors.BudgetExhausted, ledger.InsufficientFunds)):
            issue_vouchers(program, [IssueItem(enterprise.organisation_id, 1_000_00, "race"),
                                     IssueItem(other.organisation_id, 1_000_00, "race-2")], admin)
    finally:
        issuance.ledger.balance = real_balance
    db.session.rollback()
    assert count(Voucher) == 0


@pytest.mark.parametrize("amount", [0, -100])
def test_non_positive_amounts_are_refused(make_program, enterprise, amount):
    program = make_program()
    with pytest.raises(ValidationFailed):
        services.apply(program.id, enterprise, amount, "x")


def test_cannot_ask_for_more_than_the_remaining_cap(make_program, enterprise, admin):
    program = make_program(enterprise_cap_fen=100_000_00)
    with pytest.raises(errors.OverCap) as refused:
        services.apply(program.id, enterprise, 100_000_01, "x")
    assert "¥100,000.00" in str(refused.value)


def test_one_pending_application_at_a_time(make_program, enterprise):
    program = make_program()
    services.apply(program.id, enterprise, 10_000_00, "x")
    with pytest.raises(errors.ApplicationPending):
        services.apply(program.id, enterprise, 10_000_00, "y")


def test_reclaim_threshold_blocks_new_applications_until_80_percent_is_used(make_program, enterprise, issue, admin):
    program = make_program()
    voucher = issue(program, enterprise, 10_000_00)
    with pytest.raises(errors.ReclaimBlocked):
        services.apply(program.id, enterprise, 10_000_00, "again")
    db.session.rollback()
    provider = ledger.open_receivable_account(db.session, program.id, program.code, 999)
    ledger.transfer(db.session, voucher.account_id, provider.id, 8_000_00, kind="adjust", key="spend-80")
    db.session.commit()
    assert services.apply(program.id, enterprise, 10_000_00, "again").status == "pending"


@pytest.mark.parametrize("case, error", [
    ("closed", errors.ProgramNotOpen), ("future", errors.ProgramNotStarted), ("ended", errors.ProgramEnded),
    ("draft", errors.ProgramNotOpen)])
def test_program_must_be_open_and_current(make_program, enterprise, admin, case, error):
    today = local_date(utcnow())
    if case == "future":
        program = make_program(valid_from=today + timedelta(days=3))
    elif case == "ended":
        program = make_program(valid_from=today - timedelta(days=90), use_by=today - timedelta(days=1))
    else:
        program = make_program(open=case != "draft")
        if case == "closed":
            services.close_program(program.id, admin)
    with pytest.raises(error):
        services.apply(program.id, enterprise, 1_000_00, "x")


def test_ineligible_enterprises_are_told_why(make_program, make_user):
    program = make_program(required_flags=["sme"])
    with pytest.raises(errors.NotEligible) as refused:
        services.apply(program.id, make_user("enterprise"), 1_000_00, "x")
    assert "中小企业" in str(refused.value)
    with pytest.raises(errors.NotEligible):
        services.apply(program.id, make_user("enterprise", org_status="pending"), 1_000_00, "x")
    with pytest.raises(errors.NotEligible):
        services.apply(program.id, make_user("provider"), 1_000_00, "x")
    assert count(VoucherApplication) == 0


def test_rejection_needs_a_reason_and_tells_the_enterprise(make_program, enterprise, admin):
    from marketplace.notifications.models import Notification

    program = make_program()
    application = services.apply(program.id, enterprise, 1_000_00, "x")
    with pytest.raises(ValidationFailed):
        services.reject(application.id, admin, " ")
    services.reject(application.id, admin, "材料不全")
    db.session.commit()
    note = db.session.scalar(select(Notification).where(Notification.user_id == enterprise.id,
                                                        Notification.kind == "application_decided"))
    assert "材料不全" in note.body
