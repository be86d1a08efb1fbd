"""The array engine against Whoosh's own searcher on the same index: same documents, same
BM25F scores; minimum-should-match, deletions across segments, and the ordering of top()."""
import threading

import numpy as np
import pytest
from whoosh import query as Q

from marketplace.search import engine, postings
from marketplace.search.backend import SearchRequest, WhooshBackend
from marketplace.search.query import across_fields, parse, strict, word_query
from tests.search.catalogue import SYNONYMS, documents, key_of


def whoosh_scores(searcher, query):
    return {hit.docnum: hit.score for hit in searcher.search(query, limit=None)}


def engine_scores(searcher, query):
    match = engine.evaluate(engine.IndexArrays(searcher), query)
    assert list(match.docs) == sorted(set(match.docs.tolist())), "documents must be ascending and unique"
    return dict(zip(match.docs.tolist(), match.scores.tolist()))


@pytest.mark.parametrize("build", [
    lambda: Q.Term("title", "专利"),
    lambda: across_fields("检测"),
    lambda: word_query("专利代理"),
    lambda: word_query("zhuanli"),
    lambda: Q.And([across_fields("电磁兼容"), across_fields("检测")]),
    lambda: Q.AndMaybe(across_fields("专利"), Q.Term("title", "申请", boost=3.0)),
    lambda: Q.AndNot(across_fields("专利"), Q.Term("title", "申请")),
    lambda: Q.FuzzyTerm("latin", "copyrigth", maxdist=2, prefixlength=1),
    lambda: Q.Prefix("title", "软件"),
    lambda: strict(parse("专利 申请", {})),
    lambda: Q.Phrase("bigram_title", ["专利", "利申", "申请"], boost=6.0),
    lambda: Q.Phrase("title", ["专利", "申请"], slop=5),
    lambda: Q.Or([Q.Phrase("description", ["电磁", "兼容"], slop=8), Q.Term("tags", "emc")]),
])
def test_engine_finds_and_scores_what_whoosh_does(fixture_index, build):
    query = build()
    with fixture_index.searcher() as searcher:
        expected, got = whoosh_scores(searcher, query), engine_scores(searcher, query)
    assert expected, "the query must match something in the fixture catalogue"
    assert got.keys() == expected.keys()
    for docnum, score in expected.items():
        assert got[docnum] == pytest.approx(score, rel=1e-5)


def test_minimum_should_match_counts_clauses(fixture_index):
    clauses = [across_fields("专利"), across_fields("申请"), across_fields("检索")]
    with fixture_index.searcher() as searcher:
        arrays = engine.IndexArrays(searcher)
        each = [set(engine.evaluate(arrays, clause).docs.tolist()) for clause in clauses]
        two = set(engine.evaluate(arrays, Q.Or(clauses, minmatch=2)).docs.tolist())
    assert two == {d for d in set.union(*each) if sum(d in s for s in each) >= 2}
    assert two and two < set.union(*each)


@pytest.mark.parametrize("size", [10, 10_000])  # sparse and dense unions
def test_union_sums_scores_and_counts_matches(size):
    a = engine.Match(np.array([1, 3, 5]), np.array([1.0, 2.0, 3.0]))
    b = engine.Match(np.array([3, 5, 7]), np.array([10.0, 20.0, 30.0]))
    both = engine.union([a, b], 1, size)
    assert both.docs.tolist() == [1, 3, 5, 7] and both.scores.tolist() == [1.0, 12.0, 23.0, 30.0]
    assert engine.union([a, b], 2, size).docs.tolist() == [3, 5]
    assert engine.intersection([a, engine.EMPTY], size) is engine.EMPTY


def test_top_orders_by_keys_then_document_number_whatever_the_cut():
    docs = np.arange(10)
    score = np.array([5, 5, 9, 1, 5, 7, 5, 0, 9, 5], dtype=float)
    rating = np.array([1, 2, 0, 0, 2, 0, 2, 0, 0, 3], dtype=float)
    whole = engine.top(docs, [(score, True), (rating, True)], 10).tolist()
    assert whole == [2, 8, 5, 9, 1, 4, 6, 0, 3, 7]
    for count in range(1, 10):  # ties at the cut are decided like the full order
        assert engine.top(docs, [(score, True), (rating, True)], count).tolist() == whole[:count]
    assert engine.top(docs, [(score, False)], 3).tolist() == [7, 3, 0]


def test_updated_and_deleted_listings_leave_older_segments(tmp_path):
    backend = WhooshBackend(str(tmp_path / "index"))
    docs = documents()
    backend.rebuild(docs)
    renamed = dict(next(d for d in docs if key_of(d["id"]) == "battery"), title="固态电池安全检测")
    gone = next(d for d in docs if key_of(d["id"]) == "trademark")
    backend.apply([renamed], [gone["id"]])  # a second segment; deletions in the first
    with backend.searcher() as searcher:
        assert len(searcher.reader().leaf_readers()) == 2
    battery = [h for h in backend.search(SearchRequest(q="锂电池"), SYNONYMS).hits if key_of(h["id"]) == "battery"]
    assert [h["title"] for h in battery] == ["固态电池安全检测"]  # once, as updated
    assert "trademark" not in [key_of(h["id"]) for h in backend.search(SearchRequest(q="商标注册"), SYNONYMS).hits]
    browse = backend.search(SearchRequest(q="", per_page=50), SYNONYMS)
    assert browse.total == len(docs) - 1 == len({h["id"] for h in browse.hits})


def test_warming_reads_frequent_terms_ahead_and_changes_no_result(tmp_path, monkeypatch):
    for name in ("posting_cache", "scored_cache"):  # this test's own, emptied below
        monkeypatch.setattr(postings, name, postings._PostingCache(postings.MAX_CACHED_POSTINGS))
    backend = WhooshBackend(str(tmp_path / "index"))
    backend.rebuild(documents())
    cold = backend.search(SearchRequest(q="专利 申请"), SYNONYMS)
    postings.posting_cache.clear()
    postings.scored_cache.clear()
    with backend.reading() as searcher:
        loaded = postings.warm(searcher, min_docs=5)
        key = postings.generation_key(searcher)[0]
        frequent = {term for term in searcher.reader().lexicon("title") if searcher.doc_frequency("title", term) >= 5}
    cached = {term for (segment, field, term) in postings.posting_cache.items if field == "title" and segment == key}
    assert loaded > 0 and frequent and cached == frequent  # every frequent title term, no rare one
    warm = backend.search(SearchRequest(q="专利 申请"), SYNONYMS)
    assert [h["id"] for h in warm.hits] == [h["id"] for h in cold.hits] and warm.facets == cold.facets


def test_a_new_generation_is_warmed_once_in_the_background(tmp_path, caplog):
    backend = WhooshBackend(str(tmp_path / "index"), warm_min_docs=5)
    backend.rebuild(documents())
    caplog.set_level("INFO", logger="marketplace.search.backend")
    with backend.reading():
        pass
    warmers = [t for t in threading.enumerate() if t.name == "search-warm"]
    for thread in warmers:
        thread.join(10)
    assert warmers and "search index warmed" in caplog.text
    backend.forget()
    with backend.reading():  # same generation: not again
        assert not [t for t in threading.enumerate() if t.name == "search-warm"]



def listing(number, title, tags, text):
    return {"id": number, "title": title, "tags": tags, "summary": text, "description": text, "provider": "某检测机构",
            "category": "testing-product", "category_top": "testing", "city": "厦门", "price_fen": 100000,
            "voucher_eligible": True, "verified": True, "rating": 0, "published": number}


@pytest.mark.parametrize("size", range(1, 10))
def test_pruned_phrase_bonus_gives_the_first_results_of_scoring_every_window_document(tmp_path, monkeypatch, size):
    """Max-score pruning may skip position checks only where they cannot change the page. Here
    the phrase (电池检测 in the title) lifts three listings over six that score higher on
    their words alone and hold all of the phrase's bigrams, apart (so their bound is high)."""
    from marketplace.search import searching

    backend = WhooshBackend(str(tmp_path / "index"))
    backend.rebuild([listing(n, "电池检测与认证服务", [], "") for n in range(1, 4)] +
                    [listing(n, "电池检修、回收利用、梯次储能与环境检测", ["电池", "检测"], "电池检测 电池 检测")
                     for n in range(4, 10)])
    page = lambda: [hit["id"] for hit in backend.search(SearchRequest(q="电池检测", per_page=size)).hits]  # noqa: E731
    pruned = page()
    monkeypatch.setattr(searching, "phrase_bonus", lambda arrays, bonus, window, base, ties, limit: searching.values_for(
        window, engine.evaluate(arrays, bonus, within=np.sort(window))))
    assert page() == pruned and pruned[:3] == [3, 2, 1][:size]
    monkeypatch.setattr(searching, "phrase_bonus", lambda arrays, bonus, window, base, ties, limit: np.zeros(len(window)))
    assert page()[:1] == [9], "without the bonus the other six come first"
