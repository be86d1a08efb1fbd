import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.vouchers import services
from marketplace.vouchers.errors import BadUpload
from marketplace.vouchers.models import IssueBatchRow, Voucher
from tests.vouchers.fixtures import assert_reconciled


@pytest.fixture
def enterprises(make_org):
    orgs = [make_org(kind="enterprise") for _ in range(3)]
    db.session.commit()
    return orgs


def csv_of(rows, header="credit_code,amount_yuan,memo"):
    return ("\n".join([header, *rows]) + "\n").encode()


def outcomes(batch):
    return [(row.line, row.outcome) for row in db.session.scalars(
        select(IssueBatchRow).where(IssueBatchRow.batch_id == batch.id).order_by(IssueBatchRow.line))]


def test_preview_reports_each_row_with_its_line(make_program, make_org, enterprises, admin):
    program = make_program(enterprise_cap_fen=50_000_00)
    provider = make_org(kind="provider")
    a, b, c = enterprises
    raw = csv_of([f"{a.credit_code},10000,首批", "91330100716105852F,5000,未注册", f"{provider.credit_code},100,机构",
                  f"{b.credit_code},60000,超额", f"{a.credit_code},100,重复", f"{c.credit_code},12.345,小数",
                  f"{c.credit_code},abc,文字", f"{c.credit_code},-5,负数"])
    batch = services.preview_batch(program.id, "grants.csv", raw, admin)
    db.session.commit()
    assert outcomes(batch) == [(2, "ok"), (3, "unknown"), (4, "not_eligible"), (5, "over_cap"), (6, "duplicate"),
                               (7, "bad_amount"), (8, "duplicate"), (9, "duplicate")]
    assert (batch.rows_ok, batch.rows_bad, batch.total_fen) == (1, 7, 10_000_00)
    assert db.session.scalar(select(func.count()).select_from(Voucher)) == 0


def test_confirm_issues_valid_rows_in_one_batch_and_never_twice(make_program, enterprises, admin):
    program = make_program()
    raw = csv_of([f"{org.credit_code},{n}000,批次" for n, org in enumerate(enterprises, start=1)])
    batch = services.preview_batch(program.id, "grants.csv", raw, admin)
    _, issued = services.confirm_batch(batch.id, admin)
    db.session.commit()
    assert issued == 3
    assert sorted(db.session.scalars(select(Voucher.face_value_fen))) == [1_000_00, 2_000_00, 3_000_00]
    again = services.preview_batch(program.id, "same-file-renamed.csv", raw, admin)
    assert again.id == batch.id and again.confirmed_at is not None
    with pytest.raises(Exception):
        services.confirm_batch(batch.id, admin)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Voucher)) == 3
    assert_reconciled(program)


def test_gbk_and_bom_files_are_accepted(make_program, enterprises, admin):
    program = make_program()
    gbk = f"credit_code,amount_yuan,memo\n{enterprises[0].credit_code},100,厦门首批发放\n".encode("gbk")
    batch = services.preview_batch(program.id, "gbk.csv", gbk, admin)
    assert batch.encoding == "gbk" and batch.rows_ok == 1
    assert db.session.scalar(select(IssueBatchRow.memo)) == "厦门首批发放"
    bom = "\ufeff".encode() + csv_of([f"{enterprises[1].credit_code},100,BOM"])
    assert services.preview_batch(program.id, "bom.csv", bom, admin).rows_ok == 1


@pytest.mark.parametrize("raw, message", [
    (b"code,amount\n1,2\n", "header"),
    (b"credit_code,amount_yuan,memo\n", "no rows"),
    (b"\xff\xfe\x00\x00garbage\x81", "UTF-8"),
    (b"", "header"),
])
def test_unreadable_files_say_what_to_fix(make_program, admin, raw, message):
    program = make_program()
    with pytest.raises(BadUpload) as refused:
        services.preview_batch(program.id, "bad.csv", raw, admin)
    assert message in str(refused.value)


def test_a_batch_over_the_budget_issues_nothing(make_program, enterprises, admin):
    program = make_program(budget_fen=2_500_00, enterprise_cap_fen=2_000_00)
    raw = csv_of([f"{org.credit_code},1000,x" for org in enterprises])
    batch = services.preview_batch(program.id, "big.csv", raw, admin)
    db.session.commit()
    with pytest.raises(Exception) as refused:
        services.confirm_batch(batch.id, admin)
    assert "¥2,500.00" in str(refused.value)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Voucher)) == 0
    assert_reconciled(program)


def test_fifty_thousand_rows_preview_and_paginate(make_program, enterprises, admin, client, auth):
    program = make_program()
    rows = [f"{enterprises[0].credit_code},1,行{n}" for n in range(50_000)]
    batch = services.preview_batch(program.id, "huge.csv", csv_of(rows), admin)
    db.session.commit()
    assert batch.rows_ok == 1 and batch.rows_bad == 49_999
    auth.login(admin)
    page = client.get(f"/admin/batches/{batch.id}?outcome=duplicate&page=100").get_data(as_text=True)
    assert "行4951" in page and "第 100 页" in page and page.count("<tr>") <= 51
