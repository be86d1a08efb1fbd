"""Ranking quality on the judged set, and facets, filters, sorting, highlights, suggestions."""
import pytest

from tests.search.catalogue import JUDGED, key_of, scores_by_kind

# Floors per query kind (measured scores are in docs/search.md; these leave a little room).
FLOORS = {  # kind: (nDCG@10, recall@10)
    "simplified": (0.92, 0.95), "traditional": (0.92, 0.95), "pinyin": (0.88, 0.95), "english": (0.90, 0.95),
    "mixed": (0.92, 0.95), "synonym": (0.92, 0.95), "typo": (0.88, 0.95), "natural": (0.85, 0.95), "filter": (0.92, 0.95),
}


@pytest.fixture(scope="module")
def scores(run):
    return scores_by_kind(lambda q: [key_of(hit["id"]) for hit in run(q, per_page=10).hits])


def test_judged_set_is_big_and_covers_every_kind():
    assert len(JUDGED) >= 40 and {kind for kind, _, _ in JUDGED} == set(FLOORS)


@pytest.mark.parametrize("kind", sorted(FLOORS))
def test_quality_floor_per_query_kind(scores, kind):
    ndcg, recall = scores[kind]
    assert ndcg >= FLOORS[kind][0], f"{kind} nDCG@10 {ndcg:.3f}"
    assert recall >= FLOORS[kind][1], f"{kind} recall@10 {recall:.3f}"


def keys(result):
    return [key_of(hit["id"]) for hit in result.hits]


@pytest.mark.parametrize("query", ["專利", "zhuanli", "zl", "专利", "patent"])
def test_patent_services_are_found_from_every_script(run, query):
    assert {"patent-invention", "patent-utility", "patent-pct"} <= set(keys(run(query)))


def test_exact_title_ranks_first(run):
    assert keys(run("软件著作权登记"))[0] == "copyright"
    assert keys(run("3 米法电波暗室租用"))[0] == "emc-chamber"


def test_title_match_outranks_description_match(run):
    result = keys(run("暗室"))
    assert result.index("emc-chamber") < result.index("emc-pretest")


def test_natural_language_question_finds_the_service(run):
    assert keys(run("我们公司想申请高新技术企业需要找辅导机构"))[0] == "hightech"


def test_typos_fall_back_to_fuzzy_and_suggest_a_correction(run):
    result = run("copyrigth")
    assert result.stage == "corrected" and keys(result)[0] == "copyright-en"
    assert result.suggestion == "copyright"
    homophone = run("专丽")
    assert "patent-invention" in keys(homophone) and homophone.suggestion == "专利"


def test_an_english_misspelling_reaches_the_chinese_listings_of_the_word_meant(run):
    result = run("incubater")
    assert result.suggestion == "incubator" and result.suggestion_translation == "孵化器"
    assert "cowork" in keys(result)
    both = run("relibility testing")
    assert both.suggestion == "reliability testing" and "reliability" in keys(both)[:3]


def test_a_chinese_homophone_is_corrected_before_searching(run):
    result = run("电磁兼荣")
    assert result.stage == "corrected" and result.suggestion == "电磁兼容"
    assert {"emc-pretest", "emc-formal"} <= set(keys(result)[:3])


def test_known_words_are_never_corrected(run):
    for text in ("zhuanli", "patent", "EMC 预测试", "software copyright"):
        assert run(text).stage != "corrected"


def test_exact_queries_do_not_get_a_suggestion(run):
    assert run("专利").suggestion is None and run("专利").stage == "strict"


def test_nonsense_finds_nothing(run):
    result = run("qqqxxzz")
    assert result.total == 0 and result.hits == []


def test_facet_counts_cover_all_matches_not_just_the_page(run):
    result = run("专利", per_page=2)
    assert len(result.hits) == 2
    categories = dict(result.facets["category"])
    assert sum(categories.values()) == result.total and categories["ip"] >= 6
    assert set(result.facets) == {"category", "price", "voucher", "city", "verified"}


@pytest.mark.parametrize("params, check", [
    ({"category": "testing"}, lambda h: h["category_top"] == "testing"),
    ({"category": "testing-emc"}, lambda h: h["category"] == "testing-emc"),
    ({"voucher": True}, lambda h: h["voucher_eligible"]),
    ({"voucher": False}, lambda h: not h["voucher_eligible"]),
    ({"verified": True}, lambda h: h["verified"]),
    ({"city": "福州"}, lambda h: h["city"] == "福州"),
    ({"min_price": 100000, "max_price": 499999}, lambda h: 100000 <= h["price_fen"] <= 499999),
])
def test_filters(run, params, check):
    result = run("", per_page=50, **params)
    assert result.hits and all(check(hit) for hit in result.hits)
    assert result.total == len(result.hits)


def test_filter_and_query_combine(run):
    assert keys(run("EMC", category="data")) == ["emc-chamber"]


@pytest.mark.parametrize("sort, key, reverse", [
    ("price_asc", lambda h: h["price_fen"], False), ("price_desc", lambda h: h["price_fen"], True),
])
def test_sorting_by_price_puts_price_on_request_last(run, sort, key, reverse):
    hits = run("", sort=sort, per_page=50).hits
    priced = [h for h in hits if h["price_fen"] is not None]
    assert [key(h) for h in priced] == sorted((key(h) for h in priced), reverse=reverse)
    assert hits[-1]["price_fen"] is None


def test_newest_sort_and_pagination(run):
    first, second = run("", sort="newest", per_page=5), run("", sort="newest", per_page=5, page=2)
    ids = [h["id"] for h in first.hits + second.hits]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 10 and first.total == second.total


def test_highlights_mark_the_matched_words_in_the_original_script(run):
    hit = next(h for h in run("专利检索").hits if key_of(h["id"]) == "tw-patent")
    assert "<mark>專利</mark>" in str(hit["highlights"]["title"])
    pinyin_hit = run("zhuanli").hits[0]
    assert "<mark>" in str(pinyin_hit["highlights"]["title"])


def test_autocomplete_by_prefix_and_pinyin(fixture_index):
    assert "软件著作权登记" in fixture_index.suggest("软件")
    assert any("专利" in title for title in fixture_index.suggest("zhuan"))
    assert fixture_index.suggest("") == []


@pytest.mark.parametrize("window", [3, 200])
def test_pages_agree_with_one_long_page_whatever_the_rescore_window(run, monkeypatch, window):
    """Bonuses re-rank only the top `window` by the pass's score; the window must not depend on
    the page asked for, or a listing could show on two pages and another on none."""
    from marketplace.search import searching

    monkeypatch.setattr(searching, "RESCORE_WINDOW", window)
    whole = run("检测 认证", per_page=50)
    assert whole.total > 6
    paged = [hit["id"] for page in range(1, 5) for hit in run("检测 认证", page=page, per_page=2).hits]
    assert paged == [hit["id"] for hit in whole.hits][:len(paged)]
    assert len(set(paged)) == len(paged) == min(8, whole.total)


@pytest.mark.parametrize("query", ["专利 代理", "专利 申请", "检测 认证"])
def test_related_listings_fill_the_page_below_every_strict_hit(run, monkeypatch, query):
    """When the strict pass finds a few, relaxed matches follow them — never above them."""
    from marketplace.search import searching

    filled = run(query, per_page=50)
    monkeypatch.setattr(searching, "FILL", 0)
    strict = run(query, per_page=50)
    assert strict.stage == filled.stage == "strict" and 3 <= strict.total < 30
    assert filled.total > strict.total
    assert [h["id"] for h in filled.hits[:strict.total]] == [h["id"] for h in strict.hits]


def test_other_sort_orders_are_not_filled(run):
    assert run("专利 申请", sort="price_asc").total < run("专利 申请").total
