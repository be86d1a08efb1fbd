"""One search against an open Whoosh searcher: the passes, filters, facets, sort, page,
rescore window, highlights and "did you mean". Queries are built as `whoosh.query` trees
(query.py) and evaluated over cached posting arrays (engine.py) and column arrays
(columns.py)."""
import heapq

import numpy as np

from marketplace.search import parsing, spelling
from marketplace.search import query as queries
from marketplace.search.analysis import is_cjk, pinyin, stem
from marketplace.search.backend import ENOUGH, FACETS, PRICE_BANDS, SearchResult
from marketplace.search.columns import FACET_FIELDS, columns, equals, filter_mask, sort_keys
from marketplace.search.engine import IndexArrays, Match, and_maybe, evaluate, restrict, top, union
from marketplace.search.highlight import highlights

TEXT_FIELDS = ("title", "tags", "summary", "description")
RESCORE_WINDOW = 200  # the top documents by the pass's score that the bonuses re-rank
FILL = 30  # a strict pass finding fewer listings than this is followed by related ones
TIER = 1e6  # added to strict scores when related listings fill below them: above any bonus
BOOST_BONUS = TIER / 10  # a city or "free" in the query: above any text score, below the strict tier


# -- the passes ----------------------------------------------------------------------------------
def staged(arrays, parsed, mask, fill=False):
    """Strict pass (every unit); relaxed when it finds too little (most units, then any unit);
    then typo-tolerant (relaxed or fuzzy). → (stage, its match, the index terms it asked for).
    `fill` (relevance order): when the strict pass finds some but fewer than FILL listings,
    the relaxed pass fills the page *below* them — strict hits are never pushed down."""
    def attempt(stage, query, also=None):
        match = restrict(evaluate(arrays, query), mask)
        if also is not None:
            match = union([also, match], 1, arrays.size)
        passes.append((stage, match, set(arrays.terms_seen)))
        return match

    passes = []
    strict = attempt("strict", queries.strict(parsed))
    if len(strict) < ENOUGH:
        relaxed = attempt("relaxed", queries.relaxed(parsed))
        if len(relaxed) < ENOUGH and len(parsed.units) > 2:
            relaxed = attempt("relaxed", queries.relaxed(parsed, loose=True))
        if len(relaxed) < ENOUGH:
            attempt("fuzzy", queries.fuzzy(parsed), also=relaxed)
    elif fill and len(strict) < FILL:
        attempt("relaxed", queries.relaxed(parsed))
    best = max(range(len(passes)), key=lambda i: (len(passes[i][1]), -i))  # the earlier on ties
    if not fill or best == 0 or not len(strict):
        return passes[best]
    stage, other, terms = passes[best]
    return ("strict" if len(strict) >= ENOUGH else stage), tiered(strict, other), passes[0][2] | terms


def tiered(first, then):
    """`first`'s documents above every one of `then`'s others (each tier keeps its order)."""
    extra = np.setdiff1d(then.docs, first.docs, assume_unique=True)
    if not len(extra):
        return first
    docs = np.concatenate([first.docs, extra])
    scores = np.concatenate([first.scores + TIER, then.scores[np.searchsorted(then.docs, extra)]])
    order = np.argsort(docs, kind="stable")
    return Match(docs[order], scores[order])


def ranked(arrays, cols, match, parsed, sort, limit):
    """The first `limit` matched documents in result order. For relevance an exact title
    adds its bonus to every match; then the first RESCORE_WINDOW are re-ranked with the phrase
    and proximity bonuses — Elasticsearch's rescore window — and the rest follow as ranked.
    The window does not depend on the page, so pages agree."""
    if sort != "relevance" or parsed.empty:
        return top(match.docs, sort_keys(cols, match, sort), limit).tolist()
    match = and_maybe(match, evaluate(arrays, queries.exact_title(parsed)))
    first = top(match.docs, sort_keys(cols, match, sort), max(limit, RESCORE_WINDOW))
    window, rest = first[:RESCORE_WINDOW], first[RESCORE_WINDOW:]
    if not len(window):
        return []
    base = match.scores[np.searchsorted(match.docs, window)]
    ties = np.stack([cols["rating"].values[window], cols["published"].values[window], -window.astype(float)], 1)
    extra = phrase_bonus(arrays, queries.phrase_bonus(parsed), window, base, ties, min(limit, len(window)))
    order = np.lexsort((window, -cols["published"].values[window], -cols["rating"].values[window], -(base + extra)))
    return (window[order].tolist() + rest.tolist())[:limit]


def phrase_bonus(arrays, bonus, window, base, ties, limit):
    """The phrase bonus of each window document (aligned with `window`; `ties` holds each
    one's tie-breakers: rating, published, −docnum). Positions are checked only where the
    bonus could still lift a document into the first `limit` — max-score pruning: documents
    are taken in order of their best possible rank key (base score plus the bound, i.e. every
    phrase's words present, unchecked), a batch at a time, until that key falls below the
    limit-th best key found so far. Documents never checked keep their base score, which
    cannot bring them into the first `limit` either, so the first `limit` are exact."""
    bound = values_for(window, evaluate(arrays, bonus, bound=True))
    best = base + bound
    extra, found, pending = np.zeros(len(window)), [], []  # found: min-heap of the best `limit` keys
    key = lambda position, score: (score, *ties[position].tolist())  # noqa: E731

    def check_pending():
        if pending:
            positions = np.array(pending)
            extra[positions] = values_for(window[positions], evaluate(arrays, bonus, within=np.sort(window[positions])))
            for position in pending:
                keep_best(found, key(position, base[position] + extra[position]), limit)
            pending.clear()

    for position in np.lexsort((ties[:, 2], ties[:, 1], ties[:, 0], best))[::-1].tolist():
        if len(found) >= limit and key(position, best[position]) < found[0]:
            break
        if bound[position] == 0:
            keep_best(found, key(position, base[position]), limit)
            continue
        pending.append(position)
        if len(pending) >= limit:
            check_pending()
    check_pending()
    return extra


def keep_best(heap, value, size):
    if len(heap) < size:
        heapq.heappush(heap, value)
    elif value > heap[0]:
        heapq.heapreplace(heap, value)


def values_for(docs, match):
    """match's score for each of docs (0 where it does not match)."""
    if not len(match):
        return np.zeros(len(docs))
    slots = np.minimum(np.searchsorted(match.docs, docs), len(match.docs) - 1)
    return np.where(match.docs[slots] == docs, match.scores[slots], 0.0)


def run_search(searcher, request, synonyms=None):
    arrays = IndexArrays(searcher)
    cols = columns(arrays)
    request, understood = parsing.applied(request, parsing.understand(request.q, cols["city"].labels))
    table, known = queries.normalise_synonyms(synonyms or []), vocabulary(searcher)
    parsed = queries.parse(request.q, table, known)
    parsed, changes = spelling_corrected(searcher, arrays, parsed, table, known)
    mask = filter_mask(cols, request)
    if parsed.empty:
        stage, match, terms = "browse", restrict(arrays.all(), mask), set()
        sort = "newest" if request.sort == "relevance" else request.sort
    else:
        (stage, match, terms), sort = staged(arrays, parsed, mask, fill=request.sort == "relevance"), request.sort
    match = boosted(match, cols, understood, sort)
    limit = request.page * request.per_page
    ordered = ranked(arrays, cols, match, parsed, sort, limit)
    result = SearchResult(total=len(match), page=request.page, per_page=request.per_page, stage=stage,
                          understood=understood, text=request.q)
    if changes:
        result.stage = "corrected"
        result.suggestion = parsed.folded
        result.suggestion_translation = translation(parsed, changes)
    for docnum in ordered[(request.page - 1) * request.per_page:limit]:
        result.hits.append(to_hit(searcher.stored_fields(docnum), terms))
    result.facets = facet_counts(match, cols)
    if not parsed.empty and stage != "strict" and not changes:
        result.suggestion = did_you_mean(searcher, arrays, parsed)
    if result.suggestion and understood:  # the suggestion is a whole query: keep the conditions' words
        result.suggestion = " ".join([result.suggestion] + [condition.phrase for condition in understood])
    return result


def boosted(match, cols, understood, sort):
    """A city or "free" named in the query ranks those listings first (relevance order; within
    the strict and the filling tier alike, so a strict hit elsewhere still comes before a
    related one that matches the condition). Each condition adds its bonus once."""
    if sort != "relevance" or not len(match):
        return match
    bonus = np.zeros(len(match.docs))
    for condition in understood:
        if condition.kind == parsing.CITY:
            bonus += equals(cols["city"], condition.value)[match.docs]
        elif condition.kind == parsing.FREE:
            bonus += cols["price_asc"].values[match.docs] == 0
    return Match(match.docs, match.scores + BOOST_BONUS * bonus) if bonus.any() else match


def spelling_corrected(searcher, arrays, parsed, table, known):
    """(the query to search, {wrong: right}): misspelt words corrected (spelling.py)."""
    if parsed.empty:
        return parsed, {}
    words = spelling.Lexicon(searcher)
    text, changes = spelling.corrected_text(parsed.folded, parsed.units, words, known,
                                            lambda sound: title_word_sounding(searcher, arrays, sound))
    return (queries.parse(text, table, known), changes) if changes else (parsed, {})


def translation(parsed, changes):
    """The Chinese the corrected English words bridge to ('incubator' → '孵化器'), so the
    "did you mean" speaks both languages; None when nothing English was corrected."""
    fixed, chinese = set(changes.values()), []
    for unit in parsed.units:
        if unit.text.isascii() and (unit.text in fixed or set(unit.text.split()) & fixed):
            options = [zh for zh, _, _ in unit.bridged] + [alt for alt in unit.alternatives if is_cjk(alt)]
            chinese += options[:1]
    return " ".join(chinese) or None


def vocabulary(searcher):
    """term → number of listings whose text uses it (the bridge keeps only such words)."""
    reader = searcher.reader()
    cache = {}

    def listings_using(term):
        if term not in cache:
            cache[term] = max(reader.doc_frequency(name, term) for name in TEXT_FIELDS)
        return cache[term]
    return listings_using


def to_hit(stored, matched):
    return {"id": int(stored["id"]), "external_id": stored.get("external_id"), "title": stored["title"],
            "provider": stored.get("provider", ""), "category": stored.get("category", ""),
            "category_top": stored.get("category_top", ""), "city": stored.get("city", ""),
            "price_fen": None if stored.get("price", -1) < 0 else stored["price"],
            "voucher_eligible": stored.get("voucher") == "1", "verified": stored.get("verified") == "1",
            "rating": stored.get("rating", 0.0), "summary": stored.get("summary", ""),
            "highlights": highlights(stored, matched)}


def facet_counts(match, cols):
    """{facet: [(value, count)]} over every match (not only the page), most frequent first;
    price bands in price order."""
    counts = {}
    for name in FACETS:
        column = cols[FACET_FIELDS[name]]
        tally = np.bincount(column.values[match.docs], minlength=len(column.labels)) if len(match) else []
        pairs = [(label, int(count)) for label, count in zip(column.labels, tally)
                 if count and label not in ("", None)]
        if name == "price":
            order = [key for key, _, _ in PRICE_BANDS] + ["on-request"]
            pairs.sort(key=lambda pair: order.index(pair[0]) if pair[0] in order else 99)
        else:
            pairs.sort(key=lambda pair: (-pair[1], str(pair[0])))
        counts[name] = pairs
    return counts


# -- did you mean ------------------------------------------------------------------------------
def did_you_mean(searcher, arrays, parsed):
    """The query with unknown words replaced by the closest indexed word (a Latin word within
    two edits, a Chinese word that sounds the same, or pinyin turned into the Chinese word)."""
    reader = searcher.reader()
    changed, parts = False, []
    for unit in parsed.units:
        replacement = (correction(searcher, arrays, reader, unit.text)
                       if not unit.alternatives and not unit.bridged else None)
        changed |= bool(replacement and replacement != unit.text)
        parts.append(replacement or unit.text)
    return ("".join(parts) if all(is_cjk(p) for p in parts) else " ".join(parts)) if changed else None


def known(reader, word):
    term = stem(word) if not is_cjk(word) else word
    return any(reader.doc_frequency(name, term) for name in ("title", "tags", "summary", "description"))


def correction(searcher, arrays, reader, word):
    if known(reader, word):
        return None
    sound = pinyin(word) if is_cjk(word) else word
    chinese = title_word_sounding(searcher, arrays, sound)
    if chinese:
        return chinese
    if is_cjk(word) or len(word) < 4:
        return None
    found = searcher.suggest("latin", word, limit=1, maxdist=2 if len(word) > 5 else 1)
    return found[0] if found else None


def title_word_sounding(searcher, arrays, sound):
    """The most frequent title word whose pinyin is `sound`, among the 20 best titles for it."""
    if not sound.isascii() or not sound.isalpha():
        return None
    match = arrays.term("title_pinyin", sound)
    counts = {}
    for docnum in top(match.docs, [(match.scores, True)], 20).tolist():
        for word in queries.words_of(searcher.stored_fields(docnum)["title"]):
            if is_cjk(word) and pinyin(word) == sound:
                counts[word] = counts.get(word, 0) + 1
    return max(counts, key=counts.get) if counts else None


def autocomplete(searcher, parsed, limit):
    """Titles completing the text: best prefix matches first, then better rated."""
    arrays = IndexArrays(searcher)
    match = evaluate(arrays, queries.prefix_query(parsed))
    ordered = top(match.docs, [(match.scores, True), (columns(arrays)["rating"].values[match.docs], True)], limit * 3)
    return list(dict.fromkeys(searcher.stored_fields(docnum)["title"] for docnum in ordered.tolist()))[:limit]

