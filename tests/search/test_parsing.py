"""Conditions read from the query text (parsing.py) and what the search does with them."""
import pytest

from marketplace.search.backend import SearchRequest
from marketplace.search.parsing import applied, chinese_number, understand
from tests.search.catalogue import LISTINGS, key_of

CITIES = ["厦门", "福州"]


def conditions(text):
    found = understand(text, CITIES)
    return found.text, [(c.kind, c.value) for c in found.conditions]


@pytest.mark.parametrize("text, left, expected", [
    ("可用创新券 专利", "专利", [("voucher", True)]),
    ("可以用创新券的EMC检测", "EMC检测", [("voucher", True)]),
    ("能用券 高企", "高企", [("voucher", True)]),
    ("創新券 檢測", "檢測", [("voucher", True)]),
    ("voucher eligible EMC testing", "EMC testing", [("voucher", True)]),
    ("patent accepts innovation vouchers", "patent", [("voucher", True)]),
    ("免费咨询", "咨询", [("free", True)]),
    ("free consultation", "consultation", [("free", True)]),
    ("5000元以内 专利", "专利", [("max_price", 500000)]),
    ("５０００元以内 专利", "专利", [("max_price", 500000)]),  # full-width digits
    ("一万以下 专利", "专利", [("max_price", 1000000)]),
    ("一萬以內 專利", "專利", [("max_price", 1000000)]),
    ("不超过2万 检测", "检测", [("max_price", 2000000)]),
    ("1.5万以内", "", [("max_price", 1500000)]),
    ("两千五以内", "", [("max_price", 250000)]),
    ("预算 ¥3,000 检测", "检测", [("max_price", 300000)]),
    ("under 5000 patent", "patent", [("max_price", 500000)]),
    ("EMC testing below ¥5k", "EMC testing", [("max_price", 500000)]),
    ("1万以上 检测", "检测", [("min_price", 1000000)]),
    ("over 20000 yuan EMC", "EMC", [("min_price", 2000000)]),
    ("厦门 专利", "专利", [("city", "厦门")]),
    ("廈門市專利", "專利", [("city", "厦门")]),
    ("patent in Fuzhou", "patent in", [("city", "福州")]),
    ("可用创新券 ¥5,000以内 厦门 专利", "专利", [("voucher", True), ("max_price", 500000), ("city", "厦门")]),
])
def test_each_condition_in_both_languages(text, left, expected):
    assert conditions(text) == (left, expected)


@pytest.mark.parametrize("text", ["3 米法电波暗室", "under 10 days patent", "GB 31241 锂电池", "厦门大学 技术转移",
                                  "lead-free soldering", "free trade zone", "创新券申请代理", "ISO 9001", "24小时内出报告"])
def test_words_that_are_not_conditions_stay_text(text):
    assert conditions(text) == (text, [])


def test_chinese_numbers():
    assert [chinese_number(t) for t in ("一万", "十万", "三万五", "两千", "一百二十", "五")] == [
        10000, 100000, 35000, 2000, 120, 5]
    with pytest.raises(ValueError):
        chinese_number("万二二")


@pytest.mark.parametrize("text", ["以内", "0元以内", "99999999999元以下", "万以下", "十十以下", "以下以内元",
                                  "¥以内", "9" * 60 + "元以下", "1e9元以下", "..以下", "万万万万以内", "free free 免费 免费"])
def test_odd_input_never_fails(text):
    found = understand(text, CITIES)
    assert isinstance(found.text, str)
    request, used = applied(SearchRequest(q=text), found)
    assert request.max_price is None or 0 <= request.max_price < 10**15


def test_parameters_win_over_words():
    request, used = applied(SearchRequest(q="5000元以内 可用创新券 专利", max_price=100000, voucher=False),
                            understand("5000元以内 可用创新券 专利"))
    assert request.q == "专利" and request.max_price == 100000 and request.voucher is False and used == []


def test_free_ranks_listings_of_zero_price_first_without_filtering(run):
    result = run("免费的项目申报咨询")
    found = [key_of(h["id"]) for h in result.hits]
    assert found[0] == "policy-match" and len(found) > 1  # the ¥0 listing first, paid ones still follow
    assert [(c.kind, c.effect) for c in result.understood] == [("free", "boost")] and result.text == "项目申报咨询"
    assert all(LISTINGS[key][7] != 0 for key in found[1:])


def test_a_condition_word_need_not_appear_in_the_listing(run):
    result = run("可用创新券的专利申请")
    found = [key_of(h["id"]) for h in result.hits]
    assert {"patent-invention", "patent-utility", "patent-design", "patent-pct"} <= set(found)
    assert all(LISTINGS[key][8] for key in found)  # voucher eligible only
    cheap = [key_of(h["id"]) for h in run("5000元以内 专利申请").hits]
    assert {"patent-utility", "patent-design"} <= set(cheap) and "patent-invention" not in cheap
    assert all(LISTINGS[key][7] is not None and LISTINGS[key][7] <= 5000 for key in cheap)
    assert [key_of(h["id"]) for h in run("free policy consulting").hits][0] == "policy-match"


def test_a_city_ranks_its_listings_first_without_filtering(run):
    result = run("福州 专利")
    found = [key_of(h["id"]) for h in result.hits]
    assert {found[0], found[1]} == {"patent-us", "patent-valuation"}
    assert "patent-invention" in found  # Xiamen listings still follow
    assert result.understood[0].effect == "boost"


def test_question_words_are_dropped(run):
    found = [key_of(h["id"]) for h in run("我们公司想申请高新技术企业认定需要找谁帮忙").hits]
    assert found[0] == "hightech"
    emc = [key_of(h["id"]) for h in run("who can help us test EMC for a product before CE marking").hits]
    assert {"emc-formal", "emc-pretest"} == set(emc[:2])
    assert run("who can help us test EMC for a product before CE marking").stage != "corrected"


def test_a_corrected_query_keeps_its_conditions(run):
    result = run("copyrigth under 2000")
    assert result.stage == "corrected" and result.suggestion == "copyright under 2000"
    assert [key_of(h["id"]) for h in result.hits][0] == "copyright-en"
