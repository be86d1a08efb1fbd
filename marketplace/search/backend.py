"""The search backend interface and its Whoosh implementation.

Readers open a searcher on the live index generation; only the indexer writes (one per host,
under a file lock), and `rebuild` builds a new directory beside the live one and swaps a
symlink atomically, so readers always see a complete index."""
import gc
import json
import logging
import os
import pickle
import re
import shutil
import struct
import threading
import time
import warnings
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from threading import Lock

from whoosh import fields, index
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import CorruptIndexError

from marketplace.search import query as queries
from marketplace.search.analysis import BigramAnalyzer, ChineseAnalyzer, LatinAnalyzer, PinyinAnalyzer

log = logging.getLogger(__name__)

# (key, min fen inclusive, max fen inclusive or None)
PRICE_BANDS = [("under-1k", 0, 99999), ("1k-5k", 100000, 499999), ("5k-20k", 500000, 1999999),
               ("20k-plus", 2000000, None)]
FACETS = ("category", "price", "voucher", "city", "verified")
SORTS = ("relevance", "price_asc", "price_desc", "newest", "rating")
ENOUGH = 3  # fewer hits than this from the strict pass → relaxed, then typo-tolerant pass
NO_PRICE = 10**15
POSITION_FILE = "outbox_position_{}.json"  # per index generation (table of contents number)
POSITION_PATTERN = re.compile(r"outbox_position_(\d+)\.json")
WARM_MIN_DOCS = 500  # terms read ahead by warm() when the background read-ahead is off
# Searches run by warm(): Simplified, Traditional, pinyin, English (bridge), a misspelling
# (corrections), conditions (parsing) — each loads what its kind of query needs first.
WARM_QUERIES = ("专利申请", "軟體著作權登記", "zhuanli", "EMC testing", "patnet search", "可用创新券 5000元以内 检测")


class IndexUnavailable(Exception):
    """The index is missing or unreadable; the indexer must rebuild it."""


def schema():
    words = ChineseAnalyzer()
    return fields.Schema(
        id=fields.ID(stored=True, unique=True), external_id=fields.STORED,
        title=fields.TEXT(analyzer=words, stored=True), tags=fields.TEXT(analyzer=words, stored=True, phrase=False),
        summary=fields.TEXT(analyzer=words, stored=True, phrase=False),
        description=fields.TEXT(analyzer=words, stored=True),
        provider=fields.TEXT(analyzer=words, stored=True, phrase=False),
        title_pinyin=fields.TEXT(analyzer=PinyinAnalyzer(), phrase=False),
        title_exact=fields.ID, latin=fields.TEXT(analyzer=LatinAnalyzer(), phrase=False), bigram=fields.TEXT(analyzer=BigramAnalyzer()),
        bigram_title=fields.TEXT(analyzer=BigramAnalyzer()),
        category=fields.ID(stored=True, sortable=True), category_top=fields.ID(stored=True, sortable=True),
        city=fields.ID(stored=True, sortable=True), price_band=fields.ID(sortable=True),
        voucher=fields.ID(stored=True, sortable=True), verified=fields.ID(stored=True, sortable=True),
        price=fields.NUMERIC(stored=True, bits=64), price_asc=fields.NUMERIC(bits=64, sortable=True),
        price_desc=fields.NUMERIC(bits=64, sortable=True, signed=True),
        rating=fields.NUMERIC(float, stored=True, sortable=True), published=fields.NUMERIC(bits=64, stored=True, sortable=True),
    )


def price_band(price_fen):
    if price_fen is None:
        return "on-request"
    return next(key for key, low, high in PRICE_BANDS if price_fen >= low and (high is None or price_fen <= high))


def to_fields(doc):
    """A listing document (plain dict, see documents.py) → the index's fields."""
    price = doc.get("price_fen")
    tags = doc.get("tags") or []
    return {
        "id": str(doc["id"]), "external_id": doc.get("external_id"), "title": doc["title"],
        "tags": " ".join(tags), "summary": doc.get("summary") or "", "description": (doc.get("description") or "")[:4000],
        "provider": doc.get("provider") or "", "title_pinyin": " ".join([doc["title"], *tags]),
        "title_exact": queries.exact_key(doc["title"]),
        "bigram": " ".join([doc["title"], *tags, doc.get("summary") or ""]),
        "latin": " ".join([doc["title"], *tags, doc.get("summary") or "", (doc.get("description") or "")[:400]]),
        "bigram_title": doc["title"], "category": doc.get("category") or "", "category_top": doc.get("category_top") or "",
        "city": doc.get("city") or "", "price_band": price_band(price), "voucher": "1" if doc.get("voucher_eligible") else "0",
        "verified": "1" if doc.get("verified") else "0", "price": -1 if price is None else price,
        "price_asc": NO_PRICE if price is None else price, "price_desc": -1 if price is None else price,
        "rating": float(doc.get("rating") or 0), "published": int(doc.get("published") or 0),
    }


@dataclass
class SearchRequest:
    q: str = ""
    category: str = ""
    voucher: bool | None = None
    city: str = ""
    verified: bool | None = None
    min_price: int | None = None  # fen
    max_price: int | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20


@dataclass
class SearchResult:
    total: int = 0
    page: int = 1
    per_page: int = 20
    hits: list = field(default_factory=list)
    facets: dict = field(default_factory=dict)
    suggestion: str | None = None
    suggestion_translation: str | None = None  # the Chinese of a corrected English suggestion
    stage: str = "strict"  # which pass answered: strict, relaxed, fuzzy, corrected, browse, fallback
    degraded: bool = False
    understood: list = field(default_factory=list)  # parsing.Condition read from the text and applied
    text: str | None = None  # the text searched once those were taken out


class _IdleSearchers:
    """Open searchers waiting for the next search, by live index directory."""

    def __init__(self, size=4):
        self.size, self.lock, self.items = size, Lock(), []

    def take(self, live):
        with self.lock:
            for position in range(len(self.items) - 1, -1, -1):
                if self.items[position][0] == live:
                    searcher = self.items.pop(position)[1]
                    break
            else:
                return None
        if searcher.up_to_date():  # no commit since it was opened
            return searcher
        searcher.close()
        return None

    def give(self, live, searcher):
        with self.lock:
            self.items.append((live, searcher))
            retired = self.items[:-self.size]
            del self.items[:-self.size]
        for _, old in retired:
            old.close()

    def close_all(self):
        with self.lock:
            retired, self.items = self.items, []
        for _, searcher in retired:
            searcher.close()


_idle = _IdleSearchers()
# What reading a damaged index file raises (Whoosh's own error, or the codec's underneath it).
READ_ERRORS = (CorruptIndexError, OSError, EOFError, struct.error, zlib.error, pickle.UnpicklingError)


class WhooshBackend:
    """The Whoosh index at `path` (a symlink to the live generation directory)."""

    _cache: dict = {}
    _cache_lock = Lock()

    _warmed: set = set()  # index generations (segment ids) this process has started warming

    def __init__(self, path, warm_min_docs=0):
        self.path = os.path.abspath(path)
        self.warm_min_docs = warm_min_docs  # 0: no read-ahead after a new generation is opened

    # -- reading ---------------------------------------------------------------------------
    def open(self):
        """The live index; raises IndexUnavailable if it is missing or cannot be read."""
        live = os.path.realpath(self.path)
        with self._cache_lock:
            cached = self._cache.get(live)
        if cached is not None:
            return cached
        problem = None
        with warnings.catch_warnings():
            # Whoosh leaves a damaged index's file open when reading fails; it is closed when
            # the exception goes away, and that must not warn (the suite makes warnings errors).
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                if index.exists_in(live):
                    # Without mmap: Whoosh copies an mmapped segment into a BytesIO for every
                    # searcher (135 ms per open at 100,000 listings); plain files cost 1 ms.
                    opened = FileStorage(live, supports_mmap=False).open_index()
                    opened.doc_count()
                else:
                    problem = f"no search index at {self.path}"
            except Exception as error:  # any unreadable file means the same thing: rebuild
                problem = f"search index at {self.path} cannot be read: {error!r}"
            if problem:
                gc.collect()
        if problem:
            raise IndexUnavailable(problem)
        with self._cache_lock:
            self._cache.clear()  # older generations are no longer live
            self._cache[live] = opened
        return opened

    def searcher(self):
        opened = self.open()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                return opened.searcher()
            except Exception as error:
                problem = f"search index at {self.path} cannot be read: {error!r}"
            gc.collect()
        self.forget()
        raise IndexUnavailable(problem)

    def forget(self):
        with self._cache_lock:
            self._cache.pop(os.path.realpath(self.path), None)
        _idle.close_all()

    @contextmanager
    def reading(self):
        """A searcher on the live index, reused between searches (opening one reads the table
        of contents and opens every segment file). Searchers are taken from an idle pool (one
        per concurrent search) and returned after; a commit, a swap or forget() retires them.
        Unreadable index files raise IndexUnavailable, so callers fall back instead of failing."""
        live = os.path.realpath(self.path)
        searcher = _idle.take(live)
        if searcher is None:
            searcher = self.searcher()
            self.warm_in_background(searcher)
        try:
            yield searcher
        except READ_ERRORS as error:
            searcher.close()
            self.forget()
            raise IndexUnavailable(f"search index at {self.path} cannot be read: {error!r}") from error
        except BaseException:
            searcher.close()
            raise
        _idle.give(live, searcher)

    def warm_in_background(self, searcher):
        """Once per index generation and process, read ahead (warm) in a daemon thread with its
        own searcher, so the first queries after a rebuild or a commit do not each pay for it."""
        if not self.warm_min_docs or searcher.doc_count_all() < self.warm_min_docs or not self._claim(searcher):
            return

        def read_ahead():
            try:
                with self.searcher() as own:
                    self._warm(own)
            except Exception as error:  # a later search reads what it needs, or reports the index
                log.warning("search index warm-up stopped: %r", error)

        threading.Thread(target=read_ahead, name="search-warm", daemon=True).start()

    def warm(self, synonyms=None):
        """Read now, in this thread, what the first searches of a fresh process would otherwise
        read one by one (issue 19: p95 ≤ 50 ms from the first minute): the column arrays, the
        posting arrays of terms in ≥ SEARCH_WARM_MIN_DOCS listings (500 when the read-ahead is
        off), CC-CEDICT, the bridge and the correction word lists, the segmenter, OpenCC and
        pinyin, the synonym pattern. Idempotent: a generation already warmed (here or by the
        background read-ahead, which it replaces) costs nothing. Returns what it did."""
        started = time.monotonic()
        with self.searcher() as searcher:
            if not self._claim(searcher):
                return {"terms": 0, "seconds": 0.0, "already": True}
            return self._warm(searcher, synonyms, started)

    def _claim(self, searcher):
        """Whether this caller is the first to warm the searcher's generation in this process."""
        from marketplace.search import postings

        generation = postings.generation_key(searcher)
        with self._cache_lock:
            if generation in self._warmed:
                return False
            self._warmed.add(generation)
            return True

    def _warm(self, searcher, synonyms=None, started=None):
        from marketplace.search import postings, spelling
        from marketplace.search.searching import run_search

        started = time.monotonic() if started is None else started
        terms = postings.warm(searcher, self.warm_min_docs or WARM_MIN_DOCS)
        spelling.warm(searcher)  # CC-CEDICT and the correction word lists
        for text in WARM_QUERIES:  # the columns, the analysis chain, the synonym pattern, the bridge
            run_search(searcher, SearchRequest(q=text, per_page=10), synonyms)
        seconds = time.monotonic() - started
        log.info("search index warmed: %d terms in %.1f s", terms, seconds)
        return {"terms": terms, "seconds": round(seconds, 2), "already": False}

    def doc_count(self):
        with self.reading() as searcher:
            return searcher.doc_count()

    def search(self, request: SearchRequest, synonyms=None):
        from marketplace.search.searching import run_search

        with self.reading() as searcher:
            return run_search(searcher, request, synonyms)

    def suggest(self, text, limit=8):
        """Up to `limit` titles completing text (autocomplete)."""
        from marketplace.search.searching import autocomplete

        parsed = queries.parse(text)
        if parsed.empty:
            return []
        with self.reading() as searcher:
            return autocomplete(searcher, parsed, limit)

    # -- the outbox position committed with each generation (search/outbox_log.py) -----------
    def position(self):
        """The outbox position stored with the live generation; None if it has none."""
        from marketplace.search.outbox_log import Position

        directory = os.path.realpath(self.path)
        generation = self.open().latest_generation()
        try:
            with open(os.path.join(directory, POSITION_FILE.format(generation)), encoding="utf-8") as handle:
                return Position.from_dict(json.load(handle))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    @staticmethod
    def write_position(directory, generation, position):
        """Written before the table of contents of `generation` is: a reader that sees that
        generation sees its position (a file left by a failed commit is overwritten by the
        next one, which gets the same generation number)."""
        path = os.path.join(directory, POSITION_FILE.format(generation))
        with open(path + ".tmp", "w", encoding="utf-8") as handle:
            json.dump(position.as_dict(), handle)
        os.replace(path + ".tmp", path)
        for name in os.listdir(directory):
            match = POSITION_PATTERN.fullmatch(name)
            if match and int(match.group(1)) < generation - 1:  # the previous one may still be read
                os.remove(os.path.join(directory, name))

    # -- writing (the indexer only) ---------------------------------------------------------
    def apply(self, documents, deleted_ids, position=None):
        """Add or replace documents and delete ids, in one commit that also records `position`."""
        ix = self.open()
        writer = ix.writer(timeout=30)
        try:
            if position is not None:
                self.write_position(os.path.realpath(self.path), writer.generation, position)
            for listing_id in deleted_ids:
                writer.delete_by_term("id", str(listing_id))
            for doc in documents:
                writer.update_document(**to_fields(doc))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        self.forget()

    def index(self, documents):
        self.apply(documents, [])

    def delete(self, listing_ids):
        self.apply([], listing_ids)

    def rebuild(self, documents, progress=None, position=None):
        """Build a new generation beside the live one from `documents` (covering the outbox up to
        `position`), then swap it in."""
        parent, base = os.path.split(self.path)
        os.makedirs(parent, exist_ok=True)
        target = os.path.join(parent, f".{base}.{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}")
        os.makedirs(target)
        from marketplace.search.building import build

        try:  # the terms of Whoosh's writer, built faster, in parallel for large catalogues
            count = build(target, schema(), documents, progress)
            if position is not None:
                self.write_position(target, FileStorage(target).open_index().latest_generation(), position)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        self.swap(target)
        return count

    def swap(self, target):
        """Point the live path at target atomically (rename of a symlink), then drop old ones."""
        parent, base = os.path.split(self.path)
        if os.path.isdir(self.path) and not os.path.islink(self.path):
            os.replace(self.path, os.path.join(parent, f".{base}.legacy-{os.getpid()}"))
        previous = os.path.realpath(self.path) if os.path.islink(self.path) else None
        temporary = os.path.join(parent, f".{base}.link-{os.getpid()}")
        if os.path.lexists(temporary):
            os.remove(temporary)
        os.symlink(os.path.basename(target), temporary)
        os.replace(temporary, self.path)
        if previous and os.path.isdir(previous):
            os.utime(previous)  # the grace period for readers still on it starts now
        self.forget()
        self.remove_old_generations(keep=os.path.basename(target))

    def remove_old_generations(self, keep, grace_seconds=120):
        """Old generations go once no reader that opened them a moment ago can still need them."""
        parent, base = os.path.split(self.path)
        now = time.time()
        for name in os.listdir(parent):
            full = os.path.join(parent, name)
            if name.startswith(f".{base}.") and name != keep and os.path.isdir(full) and not os.path.islink(full):
                if now - os.path.getmtime(full) > grace_seconds:
                    shutil.rmtree(full, ignore_errors=True)
