"""Append-only history, tamper evidence, crash safety and the audit commands."""
import csv
import io

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError, OperationalError

from marketplace.extensions import db
from marketplace.ledger import AccountKind, hold, posting, run_in_transaction, transfer
from marketplace.ledger.posting import raw_execute
from tests.ledger.conftest import drop_immutability_triggers, verified


@pytest.fixture
def history(books):
    """Eight committed transfers between a voucher and a receivable; returns the ids."""
    voucher, receivable = books.voucher(100_000), books.account(AccountKind.PROVIDER_RECEIVABLE)
    for n in range(6):
        books.run(lambda: transfer(db.session, voucher, receivable, 1_000 + n, kind="adjust",
                                   key=f"h{n}"))
    db.session.rollback()
    return {"voucher": voucher, "receivable": receivable}


def execute(sql, **params):
    db.session.execute(text(sql), params)
    db.session.commit()


@pytest.mark.parametrize("sql", ["UPDATE ledger_transfers SET amount = amount + 1 WHERE id = 3",
                                 "DELETE FROM ledger_transfers WHERE id = 8",
                                 "UPDATE ledger_chain SET hash = prev_hash WHERE sequence = 3",
                                 "DELETE FROM ledger_chain WHERE sequence = 8"])
def test_database_rejects_edits_of_history(history, sql):
    with pytest.raises(DBAPIError, match="append-only"):
        execute(sql)
    db.session.rollback()
    assert verified().ok


@pytest.mark.postgres_only
def test_postgresql_rejects_truncate(history):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE exists only on PostgreSQL")
    for table in ("ledger_transfers", "ledger_chain"):
        with pytest.raises(DBAPIError, match="append-only"):
            execute(f"TRUNCATE {table} CASCADE")
        db.session.rollback()


LINKED = "(SELECT transfer_id FROM ledger_chain WHERE sequence = {})"
SAVE_LINKED = "CREATE TEMPORARY TABLE gone AS SELECT transfer_id FROM ledger_chain WHERE sequence = {}"


@pytest.mark.parametrize("tamper, sequence, problem", [
    (["UPDATE ledger_transfers SET amount = amount + 100 WHERE id = " + LINKED.format(5)], 5, "altered"),
    (["DELETE FROM ledger_chain WHERE sequence = 4"], 4, "missing"),
    ([SAVE_LINKED.format(4), "DELETE FROM ledger_chain WHERE sequence = 4",
      "DELETE FROM ledger_transfers WHERE id IN (SELECT * FROM gone)"], 4, "missing"),
    ([SAVE_LINKED.format(8), "DELETE FROM ledger_chain WHERE sequence = 8",
      "DELETE FROM ledger_transfers WHERE id IN (SELECT * FROM gone)"], 8, "head"),
    (["UPDATE ledger_transfers SET memo = 'edited' WHERE id = " + LINKED.format(1)], 1, "altered"),
    (["UPDATE ledger_chain SET hash = prev_hash WHERE sequence = 6"], 6, "altered"),
    (["UPDATE ledger_transfers SET content_hash = 'x' WHERE id = " + LINKED.format(2)], 2, "altered"),
])
def test_verifier_finds_edited_history(history, tamper, sequence, problem):
    assert verified().ok
    drop_immutability_triggers(db.session)
    for statement in tamper:
        db.session.execute(text(statement))
    db.session.commit()
    result = verified()
    assert (result.ok, result.first_bad_sequence) == (False, sequence), result
    assert problem in result.problem


def test_verifier_finds_a_swapped_pair(history):
    """Links 5 and 6 re-pointed at each other's transfer: every balance still adds up, only
    the hashes tell."""
    drop_immutability_triggers(db.session)
    saved = db.session.execute(text("SELECT sequence, transfer_id, prev_hash, hash FROM ledger_chain "
                                    "WHERE sequence IN (5, 6) ORDER BY sequence")).all()
    db.session.execute(text("DELETE FROM ledger_chain WHERE sequence IN (5, 6)"))
    for link, other in zip(saved, reversed(saved)):
        db.session.execute(text("INSERT INTO ledger_chain (sequence, transfer_id, prev_hash, hash) "
                                "VALUES (:sequence, :transfer_id, :prev_hash, :hash)"),
                           {**link._asdict(), "transfer_id": other.transfer_id})
    db.session.commit()
    result = verified()
    assert (result.ok, result.first_bad_sequence) == (False, 5), result
    assert "altered" in result.problem


def test_verifier_finds_an_edited_balance_column(history, books, runner):
    execute("UPDATE ledger_accounts SET credits_posted = credits_posted + 1 WHERE id = :id",
            id=history["voucher"])
    result = verified()
    assert not result.ok and result.first_bad_sequence is None
    assert "credits_posted" in result.problem
    outcome = runner.invoke(args=["ledger", "verify"])
    assert outcome.exit_code == 1
    assert "FAILED" in outcome.output and "credits_posted" in outcome.output


@pytest.mark.parametrize("interrupted", ["UPDATE ledger_accounts", "INSERT INTO ledger_transfers"])
def test_crash_between_statements_leaves_no_trace(history, books, interrupted, monkeypatch):
    voucher, receivable = history["voucher"], history["receivable"]
    before = (books.count(), books.balance(voucher).available)
    db.session.rollback()

    def crash(conn, cursor, statement, *args):  # after the statement ran, before the next
        if interrupted in statement:
            raise OperationalError(statement, {}, RuntimeError("power cut"))

    def crash_after_raw(cursor, sql, params):  # PostgreSQL's hot path bypasses the event
        result = raw_execute(cursor, sql, params)
        crash(None, cursor, sql)
        return result

    monkeypatch.setattr(posting, "raw_execute", crash_after_raw)
    event.listen(db.engine, "after_cursor_execute", crash)
    try:
        with pytest.raises(OperationalError, match="power cut"):
            books.run(lambda: hold(db.session, voucher, receivable, 5_000, key="crash"))
    finally:
        event.remove(db.engine, "after_cursor_execute", crash)
        monkeypatch.undo()
    assert (books.count(), books.balance(voucher).available) == before
    db.session.rollback()
    assert verified().ok
    first = books.run(lambda: hold(db.session, voucher, receivable, 5_000, key="crash"))
    again = books.run(lambda: hold(db.session, voucher, receivable, 5_000, key="crash"))
    assert first == again
    assert (books.count(), books.balance(voucher).available) == (before[0] + 1, before[1] - 5_000)


def test_transient_failures_are_retried_others_are_not(app):
    class Transient(Exception):
        sqlstate = "40P01"

    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("SELECT", {}, Transient())
        return "done"

    assert run_in_transaction(db.session, flaky) == "done" and len(calls) == 3
    calls.clear()
    with pytest.raises(OperationalError):
        run_in_transaction(db.session, lambda: flaky() if len(calls) < 10 else None, attempts=2)
    assert len(calls) == 2

    class Broken(Exception):
        sqlstate = "42601"

    def broken():
        calls.append(1)
        raise OperationalError("SELECT", {}, Broken())

    calls.clear()
    with pytest.raises(OperationalError):
        run_in_transaction(db.session, broken)
    assert len(calls) == 1


def test_cli_verify_balance_and_export(history, runner):
    outcome = runner.invoke(args=["ledger", "verify"])
    assert outcome.exit_code == 0, outcome.output
    assert "8 transfers checked" in outcome.output
    code = db.session.scalar(text("SELECT code FROM ledger_accounts WHERE id = :id"),
                             {"id": history["receivable"]})
    db.session.rollback()
    outcome = runner.invoke(args=["ledger", "balance", code])
    assert outcome.exit_code == 0
    assert "¥60.15" in outcome.output  # 1,000 + 1,001 + … + 1,005 fen
    assert runner.invoke(args=["ledger", "balance", "voucher:none"]).exit_code == 1
    outcome = runner.invoke(args=["ledger", "export", "--since", "2000-01-01"])
    rows = list(csv.DictReader(io.StringIO(outcome.output)))
    assert [row["sequence"] for row in rows] == [str(n) for n in range(1, 9)]
    assert all(row["transfer_id"] for row in rows)
    assert rows[-1]["credit"] == code and rows[-1]["amount_fen"] == "1005"
    outcome = runner.invoke(args=["ledger", "export", "--since", "2999-01-01"])
    assert outcome.output.count("\n") == 1
