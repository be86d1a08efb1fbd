"""Issuances of one program take turns (issue 17's rush through two hosts): a second issuance
waits for the first to commit and then takes the next serial, instead of reading the same one
and failing on its unique number (which, repeated in a rush, ran out of retries as a 500)."""
import threading
import time

import pytest

from marketplace.extensions import db
from marketplace.vouchers import services
from marketplace.vouchers.models import Voucher


@pytest.mark.postgres_only
def test_a_second_issuance_waits_for_the_first_and_takes_the_next_serial(make_program, make_user, app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite serialises writers at BEGIN)")
    program = make_program(issuance_mode="fcfs", budget_fen=1_000_000, enterprise_cap_fen=200_000)
    first, second = make_user("enterprise").id, make_user("enterprise").id
    program_id = program.id
    db.session.remove()
    first_issued, outcome = threading.Event(), []

    def apply(user_id, hold_open):
        from marketplace.auth.models import User

        with app.app_context():
            try:
                user = db.session.get(User, user_id)
                services.apply(program_id, user, 100_000, "抢券")
                if hold_open:
                    first_issued.set()
                    time.sleep(1.0)  # still uncommitted while the other one starts
                db.session.commit()
                outcome.append("issued")
            except Exception as error:  # asserted below
                db.session.rollback()
                outcome.append(type(error).__name__)
            finally:
                db.session.remove()

    holder = threading.Thread(target=apply, args=(first, True))
    holder.start()
    assert first_issued.wait(30)
    waiter = threading.Thread(target=apply, args=(second, False))  # one attempt, no retry: must not collide
    waiter.start()
    holder.join()
    waiter.join()
    assert outcome == ["issued", "issued"]
    assert sorted(db.session.scalars(db.select(Voucher.serial).where(Voucher.program_id == program_id))) == [1, 2]
