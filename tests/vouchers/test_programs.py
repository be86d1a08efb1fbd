from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace import ledger
from marketplace.audit.models import AuditEntry
from marketplace.errors import Duplicate, InvalidState, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.vouchers import services
from marketplace.vouchers.errors import ProgramLocked
from tests.vouchers.fixtures import assert_reconciled


def test_opening_funds_the_budget_once_through_the_ledger(make_program, admin):
    program = make_program(open=False)
    services.open_program(program.id, admin)
    db.session.commit()
    assert services.budget_left(program) == program.budget_fen
    with pytest.raises(InvalidState):
        services.open_program(program.id, admin)
    db.session.rollback()
    funding = db.session.scalars(select(ledger.Transfer).where(ledger.Transfer.kind == "fund")).all()
    assert [t.amount for t in funding] == [program.budget_fen]
    assert_reconciled(program)


def test_opening_tells_eligible_enterprises_only(make_program, make_user, admin):
    plain = make_user("enterprise")
    high_tech = make_user("enterprise")
    high_tech.organisation.is_high_tech = True
    pending = make_user("enterprise", org_status="pending")
    db.session.commit()
    program = make_program(required_flags=["high_tech"])
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "program_opened")))
    assert told == {high_tech.id}
    assert plain.id not in told and pending.id not in told
    assert program.status == "open"


@pytest.mark.parametrize("fields, field", [
    ({"use_by": "before_valid_from"}, "use_by"),
    ({"enterprise_cap_fen": 200_000_000}, "enterprise_cap_fen"),
    ({"order_cap_fen": 20_000_000}, "order_cap_fen"),
    ({"eligible_categories": []}, "eligible_categories"),
])
def test_inconsistent_programs_are_refused(make_program, fields, field):
    if fields.get("use_by") == "before_valid_from":
        from marketplace.database import utcnow
        from marketplace.vouchers.rules import local_date
        fields = {"use_by": local_date(utcnow()) - timedelta(days=60)}
    with pytest.raises(ValidationFailed) as refused:
        make_program(**fields)
    assert refused.value.field == field


def test_duplicate_code_is_refused(make_program):
    make_program(code="DUP1")
    with pytest.raises(Duplicate):
        make_program(code="DUP1")


def test_only_admins_define_programs(make_program, enterprise):
    program = make_program(open=False)
    with pytest.raises(PermissionDenied):
        services.open_program(program.id, enterprise)


def test_binding_fields_are_locked_once_open(make_program, admin):
    program = make_program()
    data = services.ProgramData(**{name: getattr(program, name) for name in services.ProgramData.__dataclass_fields__})
    data.budget_fen += 1
    with pytest.raises(ProgramLocked) as refused:
        services.update_program(program.id, data, admin)
    assert "budget_fen" in str(refused.value)
    db.session.rollback()
    data.budget_fen -= 1
    data.name, data.ratio_bp = "改名后的项目", 3000
    services.update_program(program.id, data, admin)
    db.session.commit()
    assert (program.name, program.ratio_bp) == ("改名后的项目", 3000)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "program.update"))
    assert entry.before == {"name": "测试创新券", "ratio_bp": 3500} and entry.after["ratio_bp"] == 3000


def test_draft_programs_can_change_everything(make_program, admin):
    program = make_program(open=False)
    data = services.ProgramData(**{name: getattr(program, name) for name in services.ProgramData.__dataclass_fields__})
    data.budget_fen = 5_000_000
    data.enterprise_cap_fen = 1_000_000
    services.update_program(program.id, data, admin)
    assert program.budget_fen == 5_000_000


def test_close_stops_applications(make_program, admin, enterprise):
    program = make_program()
    services.close_program(program.id, admin)
    db.session.commit()
    assert services.application_problem(program, enterprise.organisation, services_now()) is not None
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "program.close")) == 1


def services_now():
    from marketplace.database import utcnow
    return utcnow()


def test_auditors_cannot_decide_even_through_the_services(make_program, make_user):
    auditor = make_user("admin")
    auditor.admin_role = "auditor"
    program = make_program(open=False)
    with pytest.raises(PermissionDenied):
        services.open_program(program.id, auditor)
