from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from marketplace import ledger
from marketplace.audit.models import AuditEntry
from marketplace.errors import ValidationFailed
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.vouchers import errors, services
from marketplace.vouchers.rules import SHANGHAI
from tests.vouchers.fixtures import assert_reconciled


def at_shanghai(day, hour=0, minute=0, second=0):
    return datetime.combine(day, time(hour, minute, second), tzinfo=SHANGHAI)


def available(voucher):
    return ledger.balance(db.session, voucher.account_id).available


def test_expiry_lapses_the_rest_exactly_once_and_keeps_holds(make_program, enterprise, issue):
    program = make_program()
    voucher = issue(program, enterprise, 10_000_00)
    receivable = ledger.open_receivable_account(db.session, program.id, program.code, 42)
    hold = ledger.hold(db.session, voucher.account_id, receivable.id, 3_000_00, key="order-1")
    db.session.commit()
    after = at_shanghai(program.use_by + timedelta(days=1))
    assert services.expire_vouchers(after) == (1, 7_000_00)
    assert services.expire_vouchers(after) == (0, 0)
    db.session.commit()
    assert available(voucher) == 0
    assert ledger.balance(db.session, voucher.account_id).pending == 3_000_00
    ledger.post(db.session, hold.id, key="accept-1")  # the order in progress still completes
    db.session.commit()
    lapses = db.session.scalars(select(ledger.Transfer).where(ledger.Transfer.kind == "lapse")).all()
    assert [t.amount for t in lapses] == [7_000_00]
    assert_reconciled(program)


def test_a_hold_voided_after_expiry_lapses_on_the_next_run(make_program, enterprise, issue):
    program = make_program()
    voucher = issue(program, enterprise, 10_000_00)
    receivable = ledger.open_receivable_account(db.session, program.id, program.code, 42)
    hold = ledger.hold(db.session, voucher.account_id, receivable.id, 3_000_00, key="order-2")
    db.session.commit()
    after = at_shanghai(program.use_by + timedelta(days=1))
    services.expire_vouchers(after)
    ledger.void(db.session, hold.id, key="cancel-2")
    assert services.expire_vouchers(after) == (1, 3_000_00)
    db.session.commit()
    assert available(voucher) == 0
    assert_reconciled(program)


def test_boundary_is_midnight_in_shanghai(make_program, enterprise, issue):
    program = make_program()
    voucher = issue(program, enterprise, 1_000_00)
    last_second = at_shanghai(program.use_by, 23, 59, 59)
    assert services.expire_vouchers(at_shanghai(program.use_by)) == (0, 0)  # use_by 00:00 is still valid
    assert services.expire_vouchers(last_second) == (0, 0)
    assert services.expire_vouchers(at_shanghai(program.use_by + timedelta(days=1))) == (1, 1_000_00)
    db.session.commit()
    assert available(voucher) == 0


def test_revoke_lapses_the_balance_and_is_audited(make_program, enterprise, issue, admin):
    program = make_program()
    voucher = issue(program, enterprise, 5_000_00)
    with pytest.raises(ValidationFailed):
        services.revoke(voucher.id, admin, "")
    services.revoke(voucher.id, admin, "关联交易套取")
    db.session.commit()
    assert available(voucher) == 0 and voucher.revoked_at is not None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "voucher.revoke"))
    assert entry.reason == "关联交易套取" and entry.actor_id == admin.id and entry.after == {"lapsed_fen": 5_000_00}
    with pytest.raises(errors.AlreadyRevoked):
        services.revoke(voucher.id, admin, "again")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "voucher_revoked")) == 1
    assert_reconciled(program)


def test_reminders_30_and_7_days_before_once_each(make_program, enterprise, issue):
    program = make_program()
    issue(program, enterprise, 1_000_00)
    kinds = lambda: db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "voucher_expiring"))
    assert services.send_expiry_reminders(at_shanghai(program.use_by - timedelta(days=31))) == 0
    assert services.send_expiry_reminders(at_shanghai(program.use_by - timedelta(days=30))) == 1
    assert services.send_expiry_reminders(at_shanghai(program.use_by - timedelta(days=20))) == 0
    assert services.send_expiry_reminders(at_shanghai(program.use_by - timedelta(days=7))) == 1
    assert services.send_expiry_reminders(at_shanghai(program.use_by - timedelta(days=1))) == 0
    assert kinds() == 2
