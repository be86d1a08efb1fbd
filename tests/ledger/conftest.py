"""Ledger fixtures: a funded program's books, standalone units of work, racing threads."""
import itertools
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from marketplace.extensions import db
from marketplace.ledger import (Account, AccountKind, balance, verify, open_account, open_program_accounts,
                                run_in_transaction, transfer)

_numbers = itertools.count(1)


class Books:
    """Creates accounts and funds them through the real services, one committed unit each."""

    def __init__(self, session):
        self.session = session

    def run(self, work):
        return run_in_transaction(self.session, work)

    def program(self, funded=1_000_000, code=None):
        number = next(_numbers)
        code = code or f"P{number}"
        accounts = self.run(lambda: open_program_accounts(self.session, number, code))
        ids = {kind: account.id for kind, account in accounts.items()}
        if funded:
            self.run(lambda: transfer(self.session, ids[AccountKind.FUNDER],
                                      ids[AccountKind.PROGRAM_BUDGET], funded, kind="fund"))
        return ids

    def account(self, kind=AccountKind.VOUCHER, **fields):
        code = f"test:{kind}:{next(_numbers)}"
        return self.run(lambda: open_account(self.session, code, kind, **fields)).id

    def voucher(self, amount, program=None):
        """A voucher account issued `amount` fen from a (new) funded program's budget."""
        program = program or self.program(funded=amount)
        account_id = self.account(AccountKind.VOUCHER,
                                  program_id=self.program_id(program))
        self.run(lambda: transfer(self.session, program[AccountKind.PROGRAM_BUDGET], account_id,
                                  amount, kind="issue"))
        return account_id

    def program_id(self, program):
        return self.session.get_one(Account, program[AccountKind.PROGRAM_BUDGET]).program_id

    def balance(self, ref):
        self.session.expire_all()
        return balance(self.session, ref)

    def count(self, table="ledger_transfers"):
        return self.session.scalar(text(f"SELECT count(*) FROM {table}"))


@pytest.fixture
def books(app):
    return Books(db.session)


@pytest.fixture
def race(app):
    """race(n, work) runs work(session, i) in n threads released together, each with its own
    session in its own committed unit of work; returns results or exceptions, in thread order."""
    engine = db.engine

    def run(n, work):
        db.session.rollback()  # on SQLite an open transaction here would hold the write lock
        barrier = threading.Barrier(n)
        outcomes = [None] * n

        def worker(i):
            with Session(engine) as session:
                barrier.wait()
                try:
                    outcomes[i] = run_in_transaction(session, lambda: work(session, i))
                except Exception as error:  # collected for the test to inspect
                    outcomes[i] = error

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads), "a racing thread hung"
        return outcomes

    return run


def drop_immutability_triggers(session):
    """Tamper tests only: remove the triggers so history can be edited behind the ledger."""
    dialect = session.get_bind().dialect.name
    statements = {
        "sqlite": ["DROP TRIGGER ledger_transfers_no_update",
                   "DROP TRIGGER ledger_transfers_no_delete",
                   "DROP TRIGGER ledger_chain_no_update", "DROP TRIGGER ledger_chain_no_delete"],
        "postgresql": ["DROP TRIGGER ledger_transfers_no_update_delete ON ledger_transfers",
                       "DROP TRIGGER ledger_chain_no_update_delete ON ledger_chain"],
    }[dialect]
    for statement in statements:
        session.execute(text(statement))
    session.commit()


def verified():
    """The verifier's result, after ending the test session's transaction (on SQLite the
    verifier takes the write lock, so an open transaction in this thread would block it)."""
    db.session.rollback()
    return verify(db.engine)
