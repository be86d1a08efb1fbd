"""Posting arrays and field lengths read from Whoosh segments, cached per process by segment
id — segments never change, so a commit adds one small segment to read. A term's postings are
read a block at a time (Whoosh's matcher API would take one Python call per posting), and a
read-ahead (`warm`) fills the cache for frequent terms after an index is opened."""
from collections import OrderedDict
from threading import Lock

import numpy as np
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from marketplace.search.whoosh_internals import column_bytes, length_column, posting_blocks, reads_blocks
from marketplace.search.whoosh_internals import unwrapped as _unwrapped

LENGTHS = np.array([byte_to_length(code) or 0 for code in range(256)], dtype=np.float64)
MAX_CACHED_POSTINGS = 24_000_000  # ≈ 200 MB of int32 document numbers and float32 weights
SCORED_FIELDS = ("title", "tags", "summary", "description", "provider", "title_pinyin", "bigram", "bigram_title",
                 "latin")


class _PostingCache:
    """LRU of (segment, field, term) → (local docnums int32, weights float32), bounded by the
    number of postings held."""

    def __init__(self, limit):
        self.limit, self.size, self.items, self.lock = limit, 0, OrderedDict(), Lock()

    def get(self, key):
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key, value):
        with self.lock:
            if key in self.items:
                return
            self.items[key] = value
            self.size += len(value[0])
            while self.size > self.limit and len(self.items) > 1:
                _, (docs, _weights) = self.items.popitem(last=False)
                self.size -= len(docs)

    def clear(self):
        with self.lock:
            self.items.clear()
            self.size = 0


posting_cache = _PostingCache(MAX_CACHED_POSTINGS)
# (index generation, field, term) → (global docnums int64, BM25F scores float64): ≈ 130 MB at most
scored_cache = _PostingCache(MAX_CACHED_POSTINGS // 3)
_lengths: dict = {}  # (segment, field) → float64 field length per local docnum
_lengths_lock = Lock()


def segment_key(reader):
    segment = reader.segment()
    return segment.segment_id() if segment is not None else id(reader)


def cached_postings(reader, key, fieldname, btext):
    """(docnums, weights) of one term in the segment `key`, from the cache or read into it;
    None when the segment does not hold the term."""
    found = posting_cache.get((key, fieldname, btext))
    if found is None:
        found = read_postings(reader, fieldname, btext)
        if found is not None:
            posting_cache.put((key, fieldname, btext), found)
    return found


def read_postings(reader, fieldname, btext):
    """(docnums, weights) of one term in one segment, deleted documents included (the caller
    masks them), read a block at a time rather than a posting at a time."""
    try:
        matcher = reader.postings(fieldname, btext)
    except TermNotFound:
        return None
    matcher = _unwrapped(matcher)
    ids, weights = [], []
    if reads_blocks(matcher):
        for deltas, block_weights in posting_blocks(matcher):
            ids.append(np.cumsum(np.asarray(deltas, dtype=np.int64)).astype(np.int32))
            if block_weights is None or isinstance(block_weights, float):
                weights.append(np.full(len(deltas), 1.0 if block_weights is None else block_weights, np.float32))
            else:
                weights.append(np.asarray(block_weights, dtype=np.float32))
    else:  # inlined postings and other matchers: one posting at a time
        one_ids, one_weights = [], []
        while matcher.is_active():
            one_ids.append(matcher.id())
            one_weights.append(matcher.weight())
            matcher.next()
        ids.append(np.asarray(one_ids, dtype=np.int32))
        weights.append(np.asarray(one_weights, dtype=np.float32))
    if not ids:
        return None
    return np.concatenate(ids), np.concatenate(weights)


def field_lengths(reader, key, fieldname):
    """Whoosh's stored (byte-encoded) length of a field per local document number."""
    with _lengths_lock:
        cached = _lengths.get((key, fieldname))
    if cached is not None:
        return cached
    count = reader.doc_count_all()
    codes = np.zeros(count, dtype=np.uint8)
    column = length_column(reader, fieldname)
    if column is not None:
        raw = column_bytes(column)
        if raw is not None:
            codes[:len(raw)] = np.frombuffer(raw, dtype=np.uint8)[:count]
        else:
            codes[:] = np.fromiter((int(value) for value in column), dtype=np.uint8, count=count)
    lengths = LENGTHS[codes]
    with _lengths_lock:
        if len(_lengths) > 512:  # merged-away segments and old generations
            _lengths.clear()
        _lengths[(key, fieldname)] = lengths
    return lengths


def warm(searcher, min_docs, fields=SCORED_FIELDS):
    """Read ahead the posting arrays of every term found in at least `min_docs` documents of
    a segment, and the field lengths: a freshly opened index otherwise pays ≈1 µs per posting
    on the first query that touches each frequent term (Lucene calls this a segment warmer).
    Stops when the posting cache is four-fifths full, so warming never evicts what queries
    use. Returns the number of terms read."""
    loaded = 0
    for reader, _offset in searcher.reader().leaf_readers():
        key = segment_key(reader)
        for fieldname in fields:
            if fieldname not in searcher.schema:
                continue
            field_lengths(reader, key, fieldname)
            for btext in reader.lexicon(fieldname):
                if posting_cache.size > MAX_CACHED_POSTINGS * 0.8:
                    return loaded
                if reader.doc_frequency(fieldname, btext) >= min_docs and posting_cache.get((key, fieldname, btext)) is None:
                    loaded += cached_postings(reader, key, fieldname, btext) is not None
    return loaded


def generation_key(searcher):
    return tuple(segment_key(reader) for reader, _offset in searcher.reader().leaf_readers())
