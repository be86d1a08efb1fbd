"""First come, first served (先到先得, issue 17): an eligible application within the remaining budget
and caps is issued at once, in arrival order, until the budget is committed — none beyond it, and a
rush of simultaneous applications ends with no error but the budget's refusal and no deadlock."""
import threading

import pytest

from marketplace import ledger
from marketplace.extensions import db
from marketplace.vouchers import services
from marketplace.vouchers.errors import BudgetExhausted
from marketplace.vouchers.models import Voucher, VoucherApplication


def test_an_application_is_issued_at_once(make_program, enterprise, client, auth):
    program = make_program(issuance_mode="fcfs", budget_fen=1_000_000, enterprise_cap_fen=500_000)
    auth.login(enterprise)
    response = client.post(f"/vouchers/programs/{program.id}/apply", data={"amount": "3000", "purpose": "研发测试"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/vouchers/")
    application = db.session.scalar(db.select(VoucherApplication))
    assert application.status == "approved" and application.decided_by_id is None
    voucher = db.session.scalar(db.select(Voucher))
    assert ledger.balance(db.session, voucher.account_id).available == 300_000


def test_nothing_is_issued_beyond_the_budget(make_program, make_user):
    program = make_program(issuance_mode="fcfs", budget_fen=1_000_000, enterprise_cap_fen=600_000)
    first, second = make_user("enterprise"), make_user("enterprise")
    services.apply(program.id, first, 600_000, "研发")
    db.session.commit()
    with pytest.raises(BudgetExhausted):
        services.apply(program.id, second, 600_000, "研发")
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(VoucherApplication)) == 1  # nothing kept


def test_a_rush_is_served_in_arrival_order_until_the_budget_is_committed(make_program, make_user, app):
    program = make_program(issuance_mode="fcfs", budget_fen=5 * 200_000, enterprise_cap_fen=200_000)
    applicants = [make_user("enterprise").id for _ in range(12)]
    program_id = program.id
    db.session.remove()
    barrier, outcomes = threading.Barrier(len(applicants)), []

    def apply(user_id):
        from marketplace.auth.models import User

        with app.app_context():
            user = db.session.get(User, user_id)
            db.session.commit()
            barrier.wait(timeout=30)
            try:
                ledger.run_in_transaction(db.session, lambda: services.apply(program_id, user, 200_000, "抢券"))
                outcomes.append("issued")
            except Exception as error:  # every outcome is asserted below
                outcomes.append(type(error).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=apply, args=(user_id,)) for user_id in applicants]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["BudgetExhausted"] * 7 + ["issued"] * 5
    figures = ledger.reconciliation(db.session, program_id)
    assert figures.budget_left == 0 and figures.vouchers_available == 1_000_000 and figures.balanced
