"""CSV import in the DESIGN.md format, by CLI and by the admin upload page."""
import io

import pytest
from sqlalchemy import func, select

from marketplace.auth.models import Organisation
from marketplace.catalog.importer import import_listings
from marketplace.catalog.models import Listing, ListingRevision, ProviderProfile, SearchOutbox
from marketplace.extensions import db

HEADER = "external_id,provider,category,title,description,price_yuan,voucher_eligible,tags\n"
ROWS = ('A-1,厦门导入测试知识产权有限公司,ip,发明专利申请,"全流程代理，含检索",6800,1,专利;发明\n'
        'A-2,厦门导入测试知识产权有限公司,ip,商标注册,单类注册,800.50,0,商标\n'
        'B-1,Xiamen Import Lab Co.,testing,EMC pre-test,"Half a day, 3 m chamber",3500,yes,EMC\n'
        'B-2,Xiamen Import Lab Co.,data,SEM 机时,,,no,\n')


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def write(tmp_path, text, encoding="utf-8", name="listings.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_import_creates_providers_and_published_listings(runner, tmp_path, client):
    result = runner.invoke(args=["catalog", "import", write(tmp_path, HEADER + ROWS)])
    assert result.exit_code == 0, result.output
    assert "4 row(s) read" in result.output and "4 created" in result.output and "2 provider(s) created" in result.output
    assert count(Listing) == 4 and count(SearchOutbox) == 4
    profile = db.session.scalar(select(ProviderProfile).join(Organisation)
                                .where(Organisation.legal_name == "Xiamen Import Lab Co."))
    assert profile.status == "admitted" and profile.created_by_import
    listing = db.session.scalar(select(Listing).where(Listing.external_id == "A-2"))
    assert listing.status == "published" and listing.published_revision.price_from_fen == 80050
    on_request = db.session.scalar(select(Listing).where(Listing.external_id == "B-2")).published_revision
    assert on_request.price_on_request and on_request.packages == []
    assert "¥800.50" in client.get("/categories/ip").get_data(as_text=True)


def test_reimport_updates_instead_of_duplicating(runner, tmp_path):
    path = write(tmp_path, HEADER + ROWS)
    runner.invoke(args=["catalog", "import", path])
    changed = write(tmp_path, HEADER + ROWS.replace("商标注册,单类注册,800.50", "商标注册（加急）,单类注册,900"), name="b.csv")
    result = runner.invoke(args=["catalog", "import", changed])
    assert result.exit_code == 0, result.output
    assert "0 created, 1 updated, 3 unchanged" in result.output
    assert count(Listing) == 4 and count(Organisation) == 2
    listing = db.session.scalar(select(Listing).where(Listing.external_id == "A-2"))
    assert listing.published_revision.title == "商标注册（加急）" and listing.published_revision.price_from_fen == 90000
    assert count(ListingRevision) == 5


def test_utf8_with_bom_and_gbk_are_accepted(runner, tmp_path):
    bom = runner.invoke(args=["catalog", "import", write(tmp_path, "\ufeff" + HEADER + ROWS, name="bom.csv")])
    assert bom.exit_code == 0 and "UTF-8 (BOM)" in bom.output
    gbk_rows = ROWS.replace("A-", "G-").replace("B-", "H-")
    gbk = runner.invoke(args=["catalog", "import", write(tmp_path, HEADER + gbk_rows, "gbk", "gbk.csv")])
    assert gbk.exit_code == 0, gbk.output
    assert "GBK" in gbk.output and count(Listing) == 8
    assert db.session.scalar(select(Listing).where(Listing.external_id == "G-1")).published_revision.title == "发明专利申请"


@pytest.mark.parametrize("text, message", [
    (ROWS, "line 1: The first line must be the header"),
    (HEADER.replace(",tags", "") + ROWS, "line 1: The first line must be the header"),
    (HEADER.replace("tags", "tags,extra") + ROWS, "line 1: The first line must be the header"),
    (HEADER + ROWS + "C-1,某机构,ip,标题,描述,100,1,标签,多余的列\n", "line 6: 9 columns, expected 8."),
    (HEADER + ROWS + ROWS.splitlines()[0] + "\n", "line 6: external_id A-1 of 厦门导入测试知识产权有限公司 already appears on line 2."),
    (HEADER + ROWS + "C-2,某机构,astrology,标题,描述,100,1,\n", "line 6: Unknown category: astrology"),
    (HEADER + ROWS + "C-3,某机构,ip,标题,描述,-100,1,\n", "line 6: price_yuan must be a non-negative amount"),
    (HEADER + ROWS + "C-4,某机构,ip,标题,描述,abc,1,\n", "line 6: price_yuan must be a non-negative amount"),
    (HEADER + ROWS + "C-5,某机构,ip,标题,描述,1.234,1,\n", "line 6: price_yuan must be a non-negative amount"),
    (HEADER + ROWS + "C-6,某机构,ip,,描述,100,1,\n", "line 6: The title must have 1 to 120 characters."),
    (HEADER + ROWS + "C-7,某机构,ip," + "长" * 10000 + ",描述,100,1,\n", "line 6: The title must have 1 to 120 characters."),
    (HEADER + ROWS + "C-8,某机构,ip,标题,描述,100,maybe,\n", "line 6: voucher_eligible must be 1 or 0"),
])
def test_invalid_rows_are_reported_with_line_numbers_and_nothing_is_imported(runner, tmp_path, text, message):
    result = runner.invoke(args=["catalog", "import", write(tmp_path, text)])
    assert result.exit_code == 1
    assert message in result.output
    assert "nothing imported" in result.output
    assert count(Listing) == 0 and count(Organisation) == 0


def test_skip_invalid_imports_the_valid_rows(runner, tmp_path):
    text = HEADER + ROWS + "C-2,某机构,astrology,标题,描述,100,1,\n" + "C-3,某机构,ip,标题,描述,-1,1,\n"
    result = runner.invoke(args=["catalog", "import", "--skip-invalid", write(tmp_path, text)])
    assert result.exit_code == 0, result.output
    assert "line 6" in result.output and "line 7" in result.output and "4 created" in result.output
    assert count(Listing) == 4


def test_line_numbers_count_multiline_fields(app):
    text = HEADER + 'A-1,某机构,ip,标题,"第一行\n第二行",100,1,\n' + "A-2,某机构,nope,标题,描述,100,1,\n"
    report = import_listings(text.encode())
    assert [error.line for error in report.errors] == [4]


def test_html_in_imported_text_is_escaped_on_pages(runner, tmp_path, client):
    script = "<script>alert(1)</script>"
    text = HEADER + f'X-1,{script}机构,ip,{script}标题,"{script} [a](javascript:alert(1))",100,1,{script[:18]}\n'
    assert runner.invoke(args=["catalog", "import", write(tmp_path, text)]).exit_code == 0
    listing = db.session.scalar(select(Listing))
    for path in ("/", "/categories/ip", f"/listings/{listing.id}", f"/providers/{listing.provider_id}"):
        page = client.get(path).get_data(as_text=True)
        assert script not in page and 'href="javascript:' not in page


def test_existing_enterprise_or_unadmitted_provider_is_an_error(runner, tmp_path, make_org):
    enterprise = make_org("enterprise")
    pending = make_org("provider")
    db.session.commit()
    text = HEADER + f"E-1,{enterprise.legal_name},ip,标题,描述,100,1,\nP-1,{pending.legal_name},ip,标题,描述,100,1,\n"
    result = runner.invoke(args=["catalog", "import", write(tmp_path, text)])
    assert result.exit_code == 1
    assert "line 2:" in result.output and "registered as an enterprise" in result.output
    assert "line 3:" in result.output and "not admitted" in result.output


def test_not_text_is_refused(runner, tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x81\xff")
    result = runner.invoke(args=["catalog", "import", str(path)])
    assert result.exit_code == 1 and "neither UTF-8 nor GBK" in result.output


def test_admin_upload_page_shows_a_per_row_report(client, auth, make_user):
    auth.login(make_user("admin"))
    bad = HEADER + ROWS + "C-2,某机构,astrology,标题,描述,100,1,\n"
    response = client.post("/admin/catalog/import", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(bad.encode("gbk")), "bad.csv")})
    page = response.get_data(as_text=True)
    assert "未导入任何数据" in page and "<td data-label=\"行号\">6</td>" in page and "未知类别：astrology" in page
    assert count(Listing) == 0
    response = client.post("/admin/catalog/import", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(bad.encode()), "bad.csv"), "skip_invalid": "y"})
    assert "新建 4 项" in response.get_data(as_text=True)
    assert count(Listing) == 4
