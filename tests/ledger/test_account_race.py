"""Two transactions opening the same account at once (the first card payments after a deploy,
both needing `cash:stripe_clearing`, seen as a 500 in issue 17's loopback run): the second waits
for the first, then uses its account instead of failing on the unique code."""
import threading
import time

import pytest

from marketplace import ledger
from marketplace.extensions import db
from marketplace.ledger.models import Account, AccountKind


@pytest.mark.postgres_only
def test_a_concurrent_get_or_create_uses_the_winners_account(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row-level waits: PostgreSQL (SQLite serialises writers at BEGIN)")
    db.session.remove()
    created, results = threading.Event(), []

    def open_clearing(hold_open):
        with app.app_context():
            try:
                account = ledger.get_or_create_account(db.session, "cash:race_clearing", AccountKind.STRIPE_CLEARING)
                if hold_open:
                    created.set()
                    time.sleep(1.0)  # uncommitted while the other transaction tries the same code
                db.session.commit()
                results.append(account.id)
            except Exception as error:  # asserted below
                db.session.rollback()
                results.append(type(error).__name__)
            finally:
                db.session.remove()

    first = threading.Thread(target=open_clearing, args=(True,))
    first.start()
    assert created.wait(30)
    second = threading.Thread(target=open_clearing, args=(False,))
    second.start()
    first.join()
    second.join()
    assert len(results) == 2 and results[0] == results[1] and isinstance(results[0], int)
    assert db.session.scalar(db.select(db.func.count()).select_from(Account)
                             .where(Account.code == "cash:race_clearing")) == 1
