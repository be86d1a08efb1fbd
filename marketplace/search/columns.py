"""Column arrays over global document numbers — category, city, price band, flags, prices,
rating, publication time — for filters, facet counts and sort keys. Read once per index
segment from Whoosh's sortable columns and cached by segment id (segments never change, so an
edit reads only its new segment)."""
from threading import Lock

import numpy as np
from whoosh import fields

from marketplace.search.backend import NO_PRICE

FACET_FIELDS = {"category": "category_top", "price": "price_band", "voucher": "voucher", "city": "city",
                "verified": "verified"}
COLUMN_FIELDS = ("category", "category_top", "city", "price_band", "voucher", "verified", "price_asc",
                 "price_desc", "rating", "published")


class Column:
    """One column over global document numbers: numbers, or codes into `labels`."""

    def __init__(self, values, labels=None):
        self.values, self.labels = values, labels

    def code(self, label):
        return self.labels.index(label) if label in self.labels else -1


_segment_columns: dict = {}  # segment id → {field: (values, labels)}
_merged_columns: dict = {}  # tuple of segment ids → {field: Column}
_columns_lock = Lock()


def columns(arrays):
    """{field: Column} for the searcher's index, merged from per-segment columns cached by
    segment id (segments never change, so an edit reads only its new segment)."""
    keys = tuple(key for _reader, _offset, key in arrays.leaves)
    with _columns_lock:
        merged = _merged_columns.get(keys)
    if merged is None:
        per_segment = [segment_columns(arrays.schema, reader, key) for reader, _offset, key in arrays.leaves]
        merged = {name: merge([columns_[name] for columns_ in per_segment]) for name in COLUMN_FIELDS}
        with _columns_lock:
            if len(_merged_columns) > 16:
                _merged_columns.clear()
            _merged_columns[keys] = merged
    return merged


def segment_columns(schema, reader, key):
    with _columns_lock:
        cached = _segment_columns.get(key)
    if cached is None:
        cached = {name: read_column(schema, reader, name) for name in COLUMN_FIELDS}
        with _columns_lock:
            if len(_segment_columns) > 256:  # merged-away segments and old generations
                _segment_columns.clear()
            _segment_columns[key] = cached
    return cached


def read_column(schema, reader, name):
    """(values, labels): float64 values for numeric fields, int32 codes into labels for others."""
    count = reader.doc_count_all()
    try:
        raw = list(reader.column_reader(name))
    except NotImplementedError:  # an empty index's reader has no columns
        raw = [None] * count
    if isinstance(schema[name], fields.NUMERIC):
        return np.array([value or 0 for value in raw], dtype=np.float64), None
    labels, codes = {}, np.empty(count, dtype=np.int32)
    for docnum, value in enumerate(raw):
        codes[docnum] = labels.setdefault(value if value is not None else "", len(labels))
    return codes, list(labels)


def merge(parts):
    if parts[0][1] is None:
        return Column(np.concatenate([values for values, _ in parts]) if len(parts) > 1 else parts[0][0])
    labels, pieces = {}, []
    for codes, local in parts:
        mapping = np.array([labels.setdefault(label, len(labels)) for label in local] or [0], dtype=np.int32)
        pieces.append(mapping[codes] if len(codes) else codes)
    return Column(np.concatenate(pieces) if len(pieces) > 1 else pieces[0], list(labels))


def equals(column, label):
    return column.values == column.code(label)


def filter_mask(cols, request):
    """The filter of a request as a boolean array over the index (None: nothing filtered)."""
    mask = None

    def both(condition):
        nonlocal mask
        mask = condition if mask is None else mask & condition

    if request.category:
        both(equals(cols["category_top"], request.category) | equals(cols["category"], request.category))
    if request.voucher is not None:
        both(equals(cols["voucher"], "1" if request.voucher else "0"))
    if request.verified is not None:
        both(equals(cols["verified"], "1" if request.verified else "0"))
    if request.city:
        both(equals(cols["city"], request.city))
    if request.min_price is not None or request.max_price is not None:
        price = cols["price_asc"].values  # NO_PRICE for "price on request", never in a range
        both((price >= (request.min_price or 0)) & (price <= request.max_price if request.max_price is not None
                                                    else price < NO_PRICE))
    return mask


def sort_keys(cols, match, sort):
    """[(values, descending)] for the ranking of the matched documents, most significant first;
    document number breaks the remaining ties."""
    value = lambda name: cols[name].values[match.docs]  # noqa: E731
    score, rating, published = (match.scores, True), (value("rating"), True), (value("published"), True)
    return {
        "price_asc": [(value("price_asc"), False), score, rating, published],
        "price_desc": [(value("price_desc"), True), score, rating, published],
        "newest": [published, rating],
        "rating": [rating, score, published],
    }.get(sort, [score, rating, published])
