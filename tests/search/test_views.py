"""The results page, autocomplete, the JSON API contract and the admin synonym editor."""
import pytest

from marketplace.extensions import db
from marketplace.search import indexer
from marketplace.search.models import Synonym
from tests.catalog.conftest import listing_data, make_listing, make_provider  # noqa: F401 (fixtures)


@pytest.fixture
def shelf(make_provider, make_listing):  # noqa: F811
    user = make_provider()
    items = {
        "patent": make_listing(user, title="发明专利申请代理", tags="专利;发明"),
        "emc": make_listing(user, title="电磁兼容预测试", category_slug="testing-emc", tags="EMC", voucher_eligible=False),
        "hightech": make_listing(user, title="高新技术企业认定辅导", category_slug="consulting-hightech", tags="高企"),
    }
    indexer.sync()
    return items


def test_results_page_highlights_facets_and_links(client, shelf):
    page = client.get("/search?q=專利").get_data(as_text=True)
    assert "<mark>专利</mark>" in page and f'/listings/{shelf["patent"].id}' in page
    assert "category=ip" in page and "知识产权" in page
    filtered = client.get("/search?q=&voucher=0").get_data(as_text=True)
    assert "电磁兼容预测试" in filtered and "发明专利申请代理" not in filtered


def test_zero_results_page_helps(client, shelf):
    page = client.get("/search?q=qqqzzz").get_data(as_text=True)
    assert "没有找到" in page and "/categories/ip" in page


def test_did_you_mean(client, shelf):
    page = client.get("/search?q=专丽").get_data(as_text=True)
    assert "您是不是要找" in page and "q=%E4%B8%93%E5%88%A9" in page


def test_an_english_query_and_its_misspelling_find_the_chinese_listing(client, shelf):
    found = client.get("/api/v1/search?q=invention patent").get_json()
    assert found["hits"][0]["id"] == shelf["patent"].id
    corrected = client.get("/api/v1/search?q=electromagnetic compatability").get_json()
    assert corrected["hits"][0]["id"] == shelf["emc"].id
    assert corrected["suggestion"] == "electromagnetic compatibility" and corrected["suggestion_translation"]
    page = client.get("/search?q=patnet").get_data(as_text=True)
    assert "您是不是要找" in page and "patent" in page and "（专利）" in page


def test_synonyms_from_the_database_apply_at_once(client, shelf):
    assert client.get("/api/v1/search?q=高企").get_json()["total"] == 1  # seeded group
    db.session.add(Synonym(terms="检测认证, 预测试"))
    db.session.commit()
    assert client.get("/api/v1/search?q=检测认证").get_json()["hits"][0]["id"] == shelf["emc"].id


def test_bad_page_parameters_are_ignored_not_fatal(client, shelf):
    response = client.get("/search?q=专利&page=abc&sort=nope&min_price=x&category=nope")
    assert response.status_code == 200 and f'/listings/{shelf["patent"].id}' in response.get_data(as_text=True)


def test_autocomplete(client, shelf):
    data = client.get("/search/suggest?q=gaoxin").get_json()
    assert data["suggestions"][0]["title"] == "高新技术企业认定辅导"
    assert client.get("/search/suggest?q=").get_json()["suggestions"] == []


def test_api_contract(client, shelf):
    data = client.get("/api/v1/search?q=专利&category=ip&voucher=1&min_price=100&max_price=99999.50&sort=price_asc&page=1&per_page=5").get_json()
    assert set(data) == {"total", "page", "per_page", "hits", "facets", "suggestion", "suggestion_translation",
                         "searched_text", "understood"}
    assert data["searched_text"] == "专利" and data["understood"] == []
    assert data["total"] == 1 and data["page"] == 1 and data["per_page"] == 5 and data["suggestion"] is None
    hit = data["hits"][0]
    assert {"id", "external_id", "title", "provider", "category", "price_fen", "voucher_eligible", "highlights"} <= set(hit)
    assert hit["price_fen"] == 680000 and hit["voucher_eligible"] is True and hit["category"] == "ip"
    assert "<mark>专利</mark>" in hit["highlights"]["title"]
    assert {"value": "ip", "count": 1, "label": "知识产权"} in data["facets"]["category"]


def test_conditions_in_the_words_are_shown_and_removable(client, shelf):
    page = client.get("/search?q=可用创新券 5000元以内 专利").get_data(as_text=True)
    assert "按条件筛选：" in page and "可用创新券" in page and "¥5,000以内" in page
    assert "/search?q=5000%E5%85%83%E4%BB%A5%E5%86%85+%E4%B8%93%E5%88%A9" in page  # without 可用创新券
    assert "/search?q=%E5%8F%AF%E7%94%A8%E5%88%9B%E6%96%B0%E5%88%B8+%E4%B8%93%E5%88%A9" in page  # without the price
    removed = client.get("/search?q=5000元以内 专利").get_data(as_text=True)
    assert "¥5,000以内" in removed and "按条件筛选：" in removed and "移除条件" in removed
    plain = client.get("/search?q=专利").get_data(as_text=True)
    assert "按条件筛选：" not in plain and f'/listings/{shelf["patent"].id}' in plain


def test_api_reports_the_conditions_it_applied(client, shelf):
    data = client.get("/api/v1/search?q=可用创新券 电磁兼容预测试").get_json()
    assert data["searched_text"] == "电磁兼容预测试" and data["hits"]  # the EMC listing takes no vouchers
    assert shelf["emc"].id not in [hit["id"] for hit in data["hits"]] and all(h["voucher_eligible"] for h in data["hits"])
    assert data["understood"] == [{"kind": "voucher", "value": True, "phrase": "可用创新券", "effect": "filter",
                                   "label": "可用创新券", "without": "电磁兼容预测试"}]
    free = client.get("/api/v1/search?q=free patent").get_json()
    assert free["understood"][0]["kind"] == "free" and free["understood"][0]["effect"] == "boost"
    assert free["total"] > 0  # no listing is ¥0 here: the patent listings still come
    overridden = client.get("/api/v1/search?q=可用创新券 电磁兼容预测试&voucher=0").get_json()
    assert overridden["hits"][0]["id"] == shelf["emc"].id and overridden["understood"] == []  # the parameter wins


@pytest.mark.parametrize("text", ["以内", "0元以内", "99999999999元以下", "万以下", "¥以内", "9" * 150 + "元以下",
                                  "免费 free 能用券 voucher", "一万万万以下 under -5"])
def test_odd_condition_words_never_fail(client, shelf, text):
    assert client.get("/search", query_string={"q": text}).status_code == 200
    assert client.get("/api/v1/search", query_string={"q": text}).status_code == 200


@pytest.mark.parametrize("query, parameter", [
    ("page=0", "page"), ("page=x", "page"), ("page=1001", "page"), ("per_page=51", "per_page"), ("per_page=-1", "per_page"),
    ("sort=cheap", "sort"), ("voucher=maybe", "voucher"), ("verified=2", "verified"), ("category=astrology", "category"),
    ("min_price=abc", "min_price"), ("max_price=1.234", "max_price"), ("min_price=500&max_price=100", "min_price"),
    ("q=" + "长" * 201, "q"), ("city=" + "x" * 51, "city"),
])
def test_api_rejects_bad_parameters_naming_them(client, query, parameter):
    response = client.get("/api/v1/search?" + query)
    assert response.status_code == 400
    assert response.get_json()["error"]["parameter"] == parameter


def test_admin_edits_synonyms_and_sees_index_status(client, auth, make_user):
    auth.login(make_user("admin"))
    page = client.get("/admin/search/synonyms").get_data(as_text=True)
    assert "知识产权" in page and "搜索索引" in page
    assert client.post("/admin/search/synonyms", data={"terms": "只有一个"}).status_code == 422
    assert client.post("/admin/search/synonyms", data={"terms": "CMA，资质认定"}).status_code == 302
    synonym = db.session.query(Synonym).filter_by(terms="CMA, 资质认定").one()
    assert client.post(f"/admin/search/synonyms/{synonym.id}", data={"terms": "IP, 知识产权"}).status_code == 422
    assert client.post(f"/admin/search/synonyms/{synonym.id}", data={"terms": "CMA, 检验检测机构资质认定"}).status_code == 302
    assert client.post(f"/admin/search/synonyms/{synonym.id}/delete", data={}).status_code == 302
    assert db.session.get(Synonym, synonym.id) is None
    assert client.post("/admin/search/reindex", data={}).status_code == 302


def test_admin_pages_are_for_admins_only(client, auth, make_user):
    auth.login(make_user("enterprise"))
    assert client.get("/admin/search/synonyms").status_code == 403
