import csv
import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, select

from marketplace.audit import explorer, integrity
from marketplace.audit.models import VerifyRun
from marketplace.extensions import db
from marketplace.ledger.models import Account, Transfer


@pytest.fixture
def program(make_program, make_user, issue):
    program = make_program(code="HJ2099", name="测试项目")
    for amount in (1_000_000, 2_000_000, 3_000_000, 4_000_000, 5_000_000):
        issue(program, make_user("enterprise"), amount)
    return program


def count_queries(work):
    statements = []
    listener = lambda *args: statements.append(args[2])
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        work()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements)


def test_filters_and_keyset_pages(program):
    issues = explorer.page(explorer.TransferFilter(kind="issue"), size=2)
    assert [r.kind for r in issues.rows] == ["issue", "issue"] and issues.next_before == issues.rows[-1].id
    older = explorer.page(explorer.TransferFilter(kind="issue"), before=issues.next_before, size=2)
    assert older.rows[0].id < issues.rows[-1].id
    big = explorer.page(explorer.TransferFilter(min_fen=3_000_000, max_fen=4_000_000))
    assert sorted(r.amount for r in big.rows) == [3_000_000, 4_000_000]
    budget = explorer.page(explorer.TransferFilter(account="program:HJ2099:budget"))
    assert len(budget.rows) == 6  # funded once, five issues
    assert explorer.page(explorer.TransferFilter(program_id=program.id)).rows
    assert not explorer.page(explorer.TransferFilter(q="no such memo")).rows


def test_the_query_count_does_not_grow_with_the_page_size(program):
    small = count_queries(lambda: explorer.page(explorer.TransferFilter(), size=2))
    large = count_queries(lambda: explorer.page(explorer.TransferFilter(), size=50))
    assert small == large == 1


def test_pages_render_for_an_admin(client, auth, admin, program):
    auth.login(admin)
    page = client.get("/admin/ledger", query_string={"kind": "issue", "min": "20000"}).get_data(as_text=True)
    assert "program:HJ2099:budget" in page and "¥50,000.00" in page and "¥10,000.00" not in page
    transfer = db.session.scalar(select(Transfer).order_by(Transfer.id.desc()).limit(1))
    detail = client.get(f"/admin/ledger/transfers/{transfer.id}").get_data(as_text=True)
    assert transfer.content_hash in detail
    assert transfer.link.hash in detail and transfer.link.prev_hash in detail
    account = db.session.scalar(select(Account).where(Account.code == "program:HJ2099:budget"))
    page = client.get(f"/admin/ledger/accounts/{account.id}", query_string={"at": "2000-01-01"}).get_data(as_text=True)
    assert "¥850,000.00" in page  # 1,000,000 funded − 150,000 issued
    assert client.get("/admin/ledger/accounts", query_string={"code": account.code}).status_code == 302
    assert client.get("/admin/ledger/transfers/999999").status_code == 404


def test_exports_parse_back(client, auth, admin, program):
    auth.login(admin)
    data = client.get("/admin/ledger/export.csv", query_string={"kind": "issue"}).data
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 6 and {row[3] for row in rows[1:]} == {"issue"}
    book = load_workbook(io.BytesIO(client.get("/admin/ledger/export.xlsx").data))
    assert book.active.max_row == 7  # header, fund, five issues


def test_the_verify_button_keeps_the_run(client, auth, make_user, program):
    auditor = make_user("admin")
    auditor.admin_role = "auditor"
    db.session.commit()
    auth.login(auditor)
    assert client.post("/admin/integrity/verify", data={}).status_code == 302
    run = db.session.scalar(select(VerifyRun))
    assert run.ok and run.transfers_checked == 6 and run.actor_id == auditor.id
    assert "6" in client.get("/admin/integrity").get_data(as_text=True)


def test_a_signed_checkpoint_verifies_and_a_forged_one_does_not(client, auth, admin, program, app):
    auth.login(admin)
    response = client.get("/admin/integrity/checkpoint.json")
    document = json.loads(response.data)
    key = app.config["AUDIT_CHECKPOINT_KEY"]
    assert document["payload"]["sequence"] == 6
    assert integrity.check_checkpoint(document, key)
    forged = {**document, "payload": {**document["payload"], "head_hash": "f" * 64}}
    assert not integrity.check_checkpoint(forged, key)
    assert not integrity.check_checkpoint(document, "another key")
