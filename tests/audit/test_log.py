import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from marketplace.audit.services import record
from marketplace.extensions import db


@pytest.fixture
def entries(admin, make_org):
    org = make_org()
    record(admin, "organisation.approved", org, before={"status": "pending"}, after={"status": "approved"})
    record(admin, "voucher.revoke", org, reason="串通骗取创新券")
    db.session.commit()
    return org


def test_the_log_is_searchable(client, auth, admin, entries):
    auth.login(admin)
    approved, revoked = "注册审核通过", "撤销创新券"  # the actions, in words
    page = client.get("/admin/audit").get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]*>", "", page))
    assert approved in page and "串通骗取创新券" in page and "状态: 待审核 → 状态: 已审核" in text and "机构 #" in text
    page = client.get("/admin/audit", query_string={"q": "串通"}).get_data(as_text=True)
    assert revoked in page and approved not in page
    page = client.get("/admin/audit", query_string={"action": "organisation."}).get_data(as_text=True)
    assert revoked not in page and approved in page
    page = client.get("/admin/audit", query_string={"actor": "nobody@"}).get_data(as_text=True)
    assert approved not in page
    assert client.get("/admin/audit", query_string={"since": "2000-01-01", "until": "not-a-day"}).status_code == 200


def test_the_log_exports_with_chinese_text(client, auth, admin, entries):
    auth.login(admin)
    data = client.get("/admin/audit/export.csv", query_string={"q": "串通"}).data
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][-1] == "串通骗取创新券"
    book = load_workbook(io.BytesIO(client.get("/admin/audit/export.xlsx").data))
    reasons = [row[-1] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert "串通骗取创新券" in reasons


@pytest.mark.parametrize("statement", ["UPDATE audit_entries SET reason = 'edited'", "DELETE FROM audit_entries"])
def test_the_log_is_append_only(entries, statement):
    with pytest.raises(DatabaseError):
        db.session.execute(text(statement))
        db.session.flush()
    db.session.rollback()
