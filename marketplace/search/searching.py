"""One search against an open Whoosh searcher: the passes, filters, facets, sort, page,
highlights and "did you mean"."""
import heapq
from collections import Counter
from threading import Lock

from whoosh import collectors
from whoosh import query as Q
from whoosh import sorting

from marketplace.search import query as queries
from marketplace.search.analysis import is_cjk, pinyin, stem
from marketplace.search.backend import ENOUGH, FACETS, PRICE_BANDS, SearchResult
from marketplace.search.highlight import highlights

FACET_FIELDS = {"category": "category_top", "price": "price_band", "voucher": "voucher", "city": "city",
                "verified": "verified"}
SORT_FACETS = {
    "price_asc": lambda: [sorting.FieldFacet("price_asc"), sorting.ScoreFacet()],
    "price_desc": lambda: [sorting.FieldFacet("price_desc", reverse=True), sorting.ScoreFacet()],
    "newest": lambda: [sorting.FieldFacet("published", reverse=True)],
    "rating": lambda: [sorting.FieldFacet("rating", reverse=True), sorting.ScoreFacet()],
}


def filters(request):
    """The filter query of a request (None when nothing is filtered)."""
    clauses = []
    if request.category:
        clauses.append(Q.Or([Q.Term("category_top", request.category), Q.Term("category", request.category)]))
    if request.voucher is not None:
        clauses.append(Q.Term("voucher", "1" if request.voucher else "0"))
    if request.verified is not None:
        clauses.append(Q.Term("verified", "1" if request.verified else "0"))
    if request.city:
        clauses.append(Q.Term("city", request.city))
    if request.min_price is not None or request.max_price is not None:
        clauses.append(Q.NumericRange("price", request.min_price or 0, request.max_price))
    return Q.And(clauses) if clauses else None


def sort_facet(sort):
    tail = [sorting.FieldFacet("rating", reverse=True), sorting.FieldFacet("published", reverse=True)]
    head = SORT_FACETS[sort]() if sort in SORT_FACETS else [sorting.ScoreFacet()]
    return sorting.MultiFacet(head + tail)


COLUMN_FIELDS = {**FACET_FIELDS, "rating": "rating", "published": "published"}
RESCORE_WINDOW = 200  # the top documents by the pass's score that the bonuses re-rank
_segment_columns: dict = {}  # segment id → {facet: [value by segment docnum]}
_segment_columns_lock = Lock()


def facet_columns(searcher):
    """{facet or rank column: [value by document number]} for the searcher's index. Built from
    per-segment columns cached by segment id: segments never change, so an edit adds one small
    segment to read rather than the whole index."""
    leaves = searcher.reader().leaf_readers()
    keys = tuple(segment_key(reader) for reader, _offset in leaves)
    with _segment_columns_lock:
        merged = _segment_columns.get(keys)
    if merged is not None:
        return merged
    per_segment = [segment_columns(reader, key) for (reader, _offset), key in zip(leaves, keys)]
    merged = {name: [value for columns in per_segment for value in columns[name]] for name in COLUMN_FIELDS}
    with _segment_columns_lock:
        _segment_columns[keys] = merged
    return merged


def segment_key(reader):
    segment = reader.segment()
    return segment.segment_id() if segment is not None else id(reader)


def segment_columns(reader, key):
    with _segment_columns_lock:
        columns = _segment_columns.get(key)
    if columns is None:
        columns = {name: column_values(reader, field) for name, field in COLUMN_FIELDS.items()}
        with _segment_columns_lock:
            if len(_segment_columns) > 256:  # merged-away segments and old generations
                _segment_columns.clear()
            _segment_columns[key] = columns
    return columns


def column_values(reader, field):
    try:
        return list(reader.column_reader(field))
    except NotImplementedError:  # an empty index's reader has no columns
        return [None] * reader.doc_count_all()


def execute(searcher, main, parsed, request, limit):
    """Run the chosen pass: (Results over every match, docnums of the first `limit` in order)."""
    if request.sort != "relevance":
        results = searcher.search(main, filter=filters(request), limit=limit, sortedby=sort_facet(request.sort))
        return results, [hit.docnum for hit in results]
    columns = facet_columns(searcher)
    top = RankedTop(max(limit, RESCORE_WINDOW), columns["rating"], columns["published"])
    collector = collectors.FilterCollector(top, allow=filters(request))
    searcher.search_with_collector(main, collector)
    results = collector.results()
    return results, rescored(searcher, results, parsed, columns)[:limit]


class RankedTop(collectors.TopCollector):
    """The top N by (score, rating, newest, lower docnum) — the ranking's own order, so which
    documents make the cut never depends on N — recording every match (for the total and the
    facets) in the same walk; Whoosh's own TopCollector would run the query again to list them."""

    def __init__(self, limit, rating, published):
        super().__init__(limit=limit, usequality=False)
        self.rating, self.published = rating, published

    def _collect(self, global_docnum, score):
        self.docset.add(global_docnum)
        self.total += 1
        key = (score, self.rating[global_docnum] or 0, self.published[global_docnum] or 0, -global_docnum)
        if len(self.items) < self.limit:
            heapq.heappush(self.items, key)
        elif key > self.items[0]:
            heapq.heapreplace(self.items, key)
        return 0 - score

    def results(self):
        ranked = sorted(self.items, reverse=True)
        return self._results([(score, -negated) for score, _, _, negated in ranked])

    def all_ids(self):
        return self.docset

    def count(self):
        return len(self.docset)


def rescored(searcher, results, parsed, columns):
    """The collected documents in rank order: the first RESCORE_WINDOW re-ranked with the
    bonuses (exact title, phrase, proximity) scored for them alone — Elasticsearch's rescore
    window; phrase matching over every match cost a fifth of a search — then the rest as
    collected. The window does not depend on the page, so pages agree."""
    rating, published = columns["rating"], columns["published"]
    scores = {hit.docnum: hit.score for hit in results}
    ranked = list(scores)  # already in (score, rating, newest, docnum) order
    window, rest = ranked[:RESCORE_WINDOW], ranked[RESCORE_WINDOW:]
    extra = bonus_scores(searcher, queries.bonus(parsed), sorted(window))
    return sorted(window, key=lambda d: (-(scores[d] + extra.get(d, 0.0)), -(rating[d] or 0),
                                         -(published[d] or 0), d)) + rest


def bonus_scores(searcher, query, docnums):
    """{docnum: score of `query`} for the given (ascending) documents that match it, moving a
    matcher straight to each one per segment."""
    found = {}
    for subsearcher, offset in searcher.leaf_searchers():
        end = offset + subsearcher.doc_count_all()
        local = [docnum - offset for docnum in docnums if offset <= docnum < end]
        matcher = query.matcher(subsearcher) if local else None
        for docnum in local:
            if not matcher.is_active():
                break
            if matcher.id() < docnum:
                matcher.skip_to(docnum)
                if not matcher.is_active():
                    break
            if matcher.id() == docnum:
                found[docnum + offset] = matcher.score()
    return found


def found(searcher, main, request):
    """How many documents a pass finds, counting no further than ENOUGH: the matcher stops at
    the ENOUGH-th match (a collector would walk every match to total them, and score them)."""
    restriction = filters(request)
    matcher = (Q.And([main, restriction]) if restriction is not None else main).matcher(searcher)
    count = 0
    while count < ENOUGH and matcher.is_active():
        count += 1
        matcher.next()
    return count


def staged(searcher, parsed, request, limit):
    """Strict pass; relaxed when it finds too little; then typo-tolerant. Only the chosen pass
    is run in full (sorted, with facets and matched terms)."""
    passes = [("strict", queries.strict(parsed)), ("relaxed", queries.relaxed(parsed)),
              ("fuzzy", Q.Or([queries.relaxed(parsed), queries.fuzzy(parsed)]))]
    counts = []
    for stage, main in passes:
        counts.append(found(searcher, main, request))
        if counts[-1] >= ENOUGH:
            break
    stage, main = passes[max(range(len(counts)), key=lambda i: (counts[i], -i))]
    return (*execute(searcher, main, parsed, request, limit), stage, main)


def run_search(searcher, request, synonyms=None):
    parsed = queries.parse(request.q, queries.normalise_synonyms(synonyms or []))
    limit = request.page * request.per_page
    if parsed.empty:
        results = searcher.search(Q.Every(), filter=filters(request), limit=limit,
                                  sortedby=sort_facet("newest" if request.sort == "relevance" else request.sort))
        ordered, stage, terms = [hit.docnum for hit in results], "browse", []
    else:
        results, ordered, stage, main = staged(searcher, parsed, request, limit)
        terms = query_terms(searcher, main)
    result = SearchResult(total=len(results), page=request.page, per_page=request.per_page, stage=stage)
    start = (request.page - 1) * request.per_page
    for docnum in ordered[start:limit]:
        result.hits.append(to_hit(searcher.stored_fields(docnum), terms))
    result.facets = facet_counts(results, facet_columns(searcher))
    if not parsed.empty and stage != "strict":
        result.suggestion = did_you_mean(searcher, parsed)
    return result


def query_terms(searcher, main):
    """The indexed terms the pass asked for, typo expansions included: what highlighting marks
    where it finds them in a hit's text. (Recording each hit's own matched terms during the
    search cost a sixth of the search.)"""
    reader = searcher.reader()
    # Not Query.existing_terms: whoosh3's loop variable shadows its `fieldname` argument, so
    # it keeps only the first leaf's field.
    return list({term for leaf in main.leaves() for term in leaf.expanded_terms(reader)})


def to_hit(stored, matched):
    return {"id": int(stored["id"]), "external_id": stored.get("external_id"), "title": stored["title"],
            "provider": stored.get("provider", ""), "category": stored.get("category", ""),
            "category_top": stored.get("category_top", ""), "city": stored.get("city", ""),
            "price_fen": None if stored.get("price", -1) < 0 else stored["price"],
            "voucher_eligible": stored.get("voucher") == "1", "verified": stored.get("verified") == "1",
            "rating": stored.get("rating", 0.0), "summary": stored.get("summary", ""),
            "highlights": highlights(stored, matched)}


def facet_counts(results, columns):
    """{facet: [(value, count)]} over every match (not only the page), most frequent first;
    price bands in price order. One pass per facet over the matched document numbers."""
    matched = list(results.docs())
    counts = {}
    for name in FACETS:
        values = columns[name]
        groups = Counter([values[docnum] for docnum in matched])
        pairs = [(value, count) for value, count in groups.items() if value not in ("", None)]
        if name == "price":
            order = [key for key, _, _ in PRICE_BANDS] + ["on-request"]
            pairs.sort(key=lambda pair: order.index(pair[0]) if pair[0] in order else 99)
        else:
            pairs.sort(key=lambda pair: (-pair[1], str(pair[0])))
        counts[name] = pairs
    return counts


def did_you_mean(searcher, parsed):
    """The query with unknown words replaced by the closest indexed word (a Latin word within
    two edits, a Chinese word that sounds the same, or pinyin turned into the Chinese word)."""
    reader = searcher.reader()
    changed, parts = False, []
    for unit in parsed.units:
        replacement = correction(searcher, reader, unit.text) if not unit.alternatives else None
        changed |= bool(replacement and replacement != unit.text)
        parts.append(replacement or unit.text)
    return ("".join(parts) if all(is_cjk(p) for p in parts) else " ".join(parts)) if changed else None


def known(reader, word):
    term = stem(word) if not is_cjk(word) else word
    return any(reader.doc_frequency(name, term) for name in ("title", "tags", "summary", "description"))


def correction(searcher, reader, word):
    if known(reader, word):
        return None
    sound = pinyin(word) if is_cjk(word) else word
    chinese = title_word_sounding(searcher, sound)
    if chinese:
        return chinese
    if is_cjk(word) or len(word) < 4:
        return None
    found = searcher.suggest("latin", word, limit=1, maxdist=2 if len(word) > 5 else 1)
    return found[0] if found else None


def title_word_sounding(searcher, sound):
    """The most frequent title word whose pinyin is `sound`."""
    if not sound.isascii() or not sound.isalpha() or searcher.reader().doc_frequency("title_pinyin", sound) == 0:
        return None
    hits = searcher.search(Q.Term("title_pinyin", sound), limit=20)
    counts = {}
    for hit in hits:
        for word in queries.words_of(hit["title"]):
            if is_cjk(word) and pinyin(word) == sound:
                counts[word] = counts.get(word, 0) + 1
    return max(counts, key=counts.get) if counts else None
