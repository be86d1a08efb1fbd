"""Query execution over posting arrays: the Whoosh index is the storage, numpy does the work.

Whoosh's matchers walk every posting of every clause through pure-Python objects, which at
100,000 listings costs seconds for a broad query. Here each term's postings come as arrays
from postings.py (read once per index segment, cached by segment id) and a query tree of
`whoosh.query` objects is evaluated with array operations: a term is (document numbers, BM25F scores), OR / AND /
minimum-should-match are sums over the union with a match count, filters and facets are
column arrays. Scores follow Whoosh's BM25F (same idf, field lengths and boosts), so ranking
means what it meant under Whoosh's own searcher.
"""
from dataclasses import dataclass
from math import log

import numpy as np
from whoosh import query as Q

from marketplace.search import postings
from marketplace.search.postings import cached_postings, field_lengths, segment_key
from marketplace.search.whoosh_internals import move_to, multiterm_texts
from marketplace.search.whoosh_internals import unwrapped as _unwrapped

K1, B = 1.2, 0.75  # Whoosh's BM25F defaults
SPARSE_RATIO = 8  # unions smaller than 1/8 of the index are merged sparse, larger ones dense


@dataclass(frozen=True, eq=False)
class Match:
    """Matching documents (ascending global document numbers) and their scores."""

    docs: np.ndarray
    scores: np.ndarray

    def __len__(self):
        return len(self.docs)


EMPTY = Match(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))


# -- one searcher's view of the index ----------------------------------------------------------
class IndexArrays:
    """A searcher's index as arrays over global document numbers (segment offset + local)."""

    def __init__(self, searcher):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.schema = searcher.schema
        self.leaves = [(reader, offset, segment_key(reader)) for reader, offset in self.reader.leaf_readers()]
        self.size = self.reader.doc_count_all()
        self.alive = np.ones(self.size, dtype=bool)
        for reader, offset, _key in self.leaves:
            if reader.has_deletions():
                deleted = np.fromiter(reader.deleted_docs_set, dtype=np.int64) if hasattr(reader, "deleted_docs_set") \
                    else np.array([d for d in range(reader.doc_count_all()) if reader.is_deleted(d)], dtype=np.int64)
                self.alive[deleted + offset] = False
        self.has_deletions = not self.alive.all()
        # Deletions only grow within a segment, so their count identifies its deleted set.
        self.generation = tuple((key, reader.doc_count_all() - reader.doc_count()) for reader, _, key in self.leaves)
        self.terms_seen = set()  # (field, text) of every term that matched something: for highlights

    def all(self):
        docs = np.flatnonzero(self.alive)
        return Match(docs, np.zeros(len(docs)))

    def term(self, fieldname, text, boost=1.0):
        """Documents holding the term, scored by BM25F (unscorable fields: the weight)."""
        if fieldname not in self.schema or self.size == 0:
            return EMPTY
        field = self.schema[fieldname]
        btext = field.to_bytes(text) if not isinstance(text, bytes) else text
        key = (self.generation, fieldname, btext)
        scored = postings.scored_cache.get(key)
        if scored is None:  # scores depend on index-wide statistics: cached per generation
            scored = self._scored_term(field, fieldname, btext)
            postings.scored_cache.put(key, scored)
        docs, scores = scored
        if len(docs):
            self.terms_seen.add((fieldname, text))
        return Match(docs, scores * boost if boost != 1.0 else scores)

    def _scored_term(self, field, fieldname, btext):
        docs, scores = [], []
        for reader, offset, key in self.leaves:
            found = cached_postings(reader, key, fieldname, btext)
            if found is None:
                continue
            local, weights = found
            weights = weights.astype(np.float64)
            if field.scorable:
                weights = self._bm25(fieldname, btext, weights, field_lengths(reader, key, fieldname)[local])
            docs.append(local.astype(np.int64) + offset)
            scores.append(weights)
        if not docs:
            return EMPTY.docs, EMPTY.scores
        docs, scores = (docs[0], scores[0]) if len(docs) == 1 else (np.concatenate(docs), np.concatenate(scores))
        if self.has_deletions:
            keep = self.alive[docs]
            docs, scores = docs[keep], scores[keep]
        return docs, scores

    def _bm25(self, fieldname, btext, tf, lengths):
        parent = self.searcher
        idf = log(parent.doc_count_all() / (parent.doc_frequency(fieldname, btext) + 1)) + 1
        average = parent.avg_field_length(fieldname) or 1
        return idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * lengths / average)))

    def expand(self, multiterm):
        """FuzzyTerm, Prefix …: the indexed terms they stand for, as Term queries."""
        fieldname = multiterm.field()
        if fieldname not in self.schema:
            return []
        field = self.schema[fieldname]
        texts = {field.from_bytes(text) if isinstance(text, bytes) else text for text in multiterm_texts(multiterm, self.reader)}
        return [Q.Term(fieldname, text, boost=multiterm.boost) for text in sorted(texts)]


# -- evaluating a query tree ---------------------------------------------------------------------
def evaluate(arrays, query, within=None, bound=False):
    """The documents matching a `whoosh.query` tree and their scores, as Whoosh would score
    them (sums over matching clauses, boosts multiplied). `within` (ascending document
    numbers) limits the phrase clauses, whose positions are checked document by document;
    other clauses still answer for the whole index. `bound`: phrases are answered by the
    documents holding all their words, unchecked — an upper bound of their score."""
    result = _evaluate(arrays, query, within, bound)
    boost = getattr(query, "boost", 1.0)
    if boost != 1.0 and not isinstance(query, (Q.Term, Q.MultiTerm, Q.Phrase)) and len(result):
        result = Match(result.docs, result.scores * boost)
    return result


def _evaluate(arrays, query, within, bound):
    if query is Q.NullQuery or isinstance(query, type(Q.NullQuery)):
        return EMPTY
    if isinstance(query, Q.Term):
        return arrays.term(query.fieldname, query.text, query.boost)
    if isinstance(query, Q.Phrase):
        return phrase(arrays, query, within, bound)
    if isinstance(query, Q.Every):
        return arrays.all()
    if isinstance(query, Q.MultiTerm):
        return union([arrays.term(t.fieldname, t.text, t.boost) for t in arrays.expand(query)], 1, arrays.size)
    children = [evaluate(arrays, sub, within, bound) for sub in query.children()]
    if isinstance(query, Q.DisjunctionMax):
        return best_of(children, query.tiebreak, arrays.size)
    if isinstance(query, Q.AndMaybe):
        return and_maybe(*children)
    if isinstance(query, Q.AndNot):
        return without(*children)
    if isinstance(query, Q.And):
        return intersection(children, arrays.size)
    if isinstance(query, Q.Or):
        return union(children, query.minmatch or 1, arrays.size)
    raise TypeError(f"cannot evaluate {type(query).__name__} queries")


def phrase(arrays, query, within=None, bound=False):
    """Documents holding the phrase's words in order, each within `slop` positions of the one
    before (Whoosh's SpanNear2: ordered, mindist 1), scored as the sum of the words' scores
    times the boost. Positions are read only for documents holding every word (and in
    `within`, when given), by moving one postings matcher per word to each of them."""
    words = list(query.words)
    if query.fieldname not in arrays.schema or not words:
        return EMPTY
    together = intersection([arrays.term(query.fieldname, word) for word in words], arrays.size)
    if bound:
        return Match(together.docs, together.scores * query.boost)
    candidates = together.docs if within is None else together.docs[np.isin(together.docs, within)]
    found = list(_in_order(arrays, query.fieldname, words, candidates, query.slop))
    if not found:
        return EMPTY
    keep = np.searchsorted(together.docs, found)
    return Match(together.docs[keep], together.scores[keep] * query.boost)


def _in_order(arrays, fieldname, words, candidates, slop):
    field = arrays.schema[fieldname]
    btexts = [field.to_bytes(word) for word in words]
    for reader, offset, _key in arrays.leaves:
        local = candidates[(candidates >= offset) & (candidates < offset + reader.doc_count_all())] - offset
        if not len(local):
            continue
        matchers = [_unwrapped(reader.postings(fieldname, btext)) for btext in btexts]
        for docnum in local.tolist():
            positions = []
            for matcher in matchers:
                move_to(matcher, docnum)
                positions.append(matcher.value_as("positions"))
            if chained(positions, slop):
                yield docnum + offset


def chained(positions, slop):
    """Whether one position per word can be picked, in order, each 1…slop after the last."""
    ends = set(positions[0])
    for following in positions[1:]:
        ends = {p for p in following if any(1 <= p - end <= slop for end in ends)}
        if not ends:
            return False
    return True


def union(matches, minmatch, size):
    """Documents matched by at least `minmatch` of the matches; scores summed."""
    matches = [m for m in matches if len(m)]
    if len(matches) < minmatch or not matches:
        return EMPTY
    if len(matches) == 1:
        return matches[0]
    total = sum(len(m) for m in matches)
    if total * SPARSE_RATIO < size:
        docs = np.concatenate([m.docs for m in matches])
        unique, inverse, counts = np.unique(docs, return_inverse=True, return_counts=True)
        scores = np.bincount(inverse, weights=np.concatenate([m.scores for m in matches]), minlength=len(unique))
        keep = counts >= minmatch
        return Match(unique[keep], scores[keep]) if minmatch > 1 else Match(unique, scores)
    summed, counts = np.zeros(size), np.zeros(size, dtype=np.int32)
    for m in matches:
        summed[m.docs] += m.scores
        counts[m.docs] += 1
    docs = np.flatnonzero(counts >= minmatch)
    return Match(docs, summed[docs])


def best_of(matches, tiebreak, size):
    """Documents matched by any of the matches, scored by the best one plus `tiebreak` times
    the others (Whoosh's DisjunctionMax)."""
    matches = [m for m in matches if len(m)]
    if len(matches) <= 1:
        return matches[0] if matches else EMPTY
    best, summed, hit = np.zeros(size), np.zeros(size), np.zeros(size, dtype=bool)
    for m in matches:
        best[m.docs] = np.maximum(best[m.docs], m.scores)
        summed[m.docs] += m.scores
        hit[m.docs] = True
    docs = np.flatnonzero(hit)
    return Match(docs, best[docs] + tiebreak * (summed[docs] - best[docs]))


def intersection(matches, size):
    if not matches or any(not len(m) for m in matches):
        return EMPTY
    if len(matches) == 1:
        return matches[0]
    return union(matches, len(matches), size)


def and_maybe(required, optional):
    """The required documents, plus the optional clause's score where it matches too."""
    if not len(required) or not len(optional):
        return required
    positions = np.searchsorted(optional.docs, required.docs)
    positions[positions == len(optional.docs)] = 0
    hit = optional.docs[positions] == required.docs
    return Match(required.docs, required.scores + np.where(hit, optional.scores[positions], 0.0))


def without(kept, removed):
    if not len(kept) or not len(removed):
        return kept
    keep = ~np.isin(kept.docs, removed.docs, assume_unique=True)
    return Match(kept.docs[keep], kept.scores[keep])


def restrict(match, mask):
    """Only the documents where mask (a boolean array over the index) is true."""
    if mask is None or not len(match):
        return match
    keep = mask[match.docs]
    return Match(match.docs[keep], match.scores[keep])


def top(docs, keys, count):
    """The first `count` of docs ordered by keys — [(array aligned with docs, descending)],
    most significant first — then by ascending document number. The cut is found with a
    partition on the first key, so only its ties and the survivors are sorted."""
    if not len(docs):
        return docs
    columns = [values if descending else -values for values, descending in keys]
    if len(docs) > count > 0:
        first = columns[0]
        threshold = np.partition(first, len(first) - count)[len(first) - count]
        keep = first >= threshold
        docs, columns = docs[keep], [column[keep] for column in columns]
    order = np.lexsort([docs] + [-column for column in reversed(columns)])
    return docs[order][:count]
