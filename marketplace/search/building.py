"""Full index builds for `WhooshBackend.rebuild`: Whoosh's segment files, written faster.

Whoosh's `SegmentWriter` sends every posting through a pure-Python external sort (pickled
runs in temporary files), then reads each document's field length back from a column for every
posting while it writes the posting lists. A full build knows all of its documents, so the only
custom part here is the middle:

* each field value is analysed by Whoosh itself (`field.index`), once per distinct value
  (titles, tags, providers, prices recur), and its postings are kept **in memory** per field
  and term, in document order, with the documents' length bytes;
* stored fields, lengths and sort columns go through the codec's own per-document writer
  (`start_doc`, `add_field`, `add_column_value`), as SegmentWriter.add_document calls it;
* posting lists are written by the codec's own W3FieldWriter and W3PostingsWriter, a block of
  128 postings at a time (`whoosh_internals.write_block`) instead of one call per posting.

The segment files are those of `index.writer()` byte for byte (tests/search/test_building.py).
From PARALLEL_MIN documents on, contiguous parts are built at the same time, one segment each,
by a standard process pool (spawned interpreters, nothing forked); this process builds the last
part. A worker that fails is logged and its part built here instead. As with any spawn pool, a
worker imports the main module: a script that rebuilds must guard its entry point with
`if __name__ == "__main__":` (the flask CLI, gunicorn and pytest do). The caller owns `target`:
`WhooshBackend.rebuild` swaps it in when `build` returns and deletes it when `build` raises.
"""
import logging
import multiprocessing
import os
from array import array
from concurrent.futures import ProcessPoolExecutor

from whoosh import index
from whoosh.codec import default_codec
from whoosh.codec.whoosh3 import W3Codec
from whoosh.util.numeric import byte_to_length, length_to_byte

from marketplace.search import analysis
from marketplace.search import whoosh_internals as internals

log = logging.getLogger(__name__)

PARALLEL_MIN = 4000  # fewer documents: one segment, built in this process (no worker start-up)
MAX_PROCESSES = 4  # this process included; never more than the CPUs this process may use
PROGRESS_EVERY = 256  # documents between progress callbacks
VALUE_CACHE = 20000  # distinct values remembered per field during one build
INDEXNAME = internals.INDEX_NAME
DECODED = [byte_to_length(b) if b else 0 for b in range(256)]  # what Whoosh reads back per posting


def processes():
    """How many processes a large build uses."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(MAX_PROCESSES, cpus))


def build(target, schema, documents, progress=None):
    """Index `documents` (listing documents, see documents.py) into a new index in the empty
    directory `target`; returns how many were indexed."""
    ix = index.create_in(target, schema)
    report = _Progress(progress)
    if supported(schema):
        docs = list(documents)
        segments = _build_parts(target, ix.storage, schema, docs, report)
        report.flush()
        index.TOC(schema, segments, 1).write(ix.storage, INDEXNAME)
        index.clean_files(ix.storage, INDEXNAME, 1, segments)
        ix.storage.temp_storage(f"{INDEXNAME}.tmp").destroy()  # the per-document writers' scratch files
        return len(docs)
    writer, count = ix.writer(limitmb=256), 0  # Whoosh's own writer: slower, builds anything
    try:
        for count, doc in enumerate(documents, 1):
            writer.add_document(**_fields(doc))
            report(1)
    except BaseException:
        writer.cancel()
        raise
    writer.commit(optimize=True)
    report.flush()
    return count


def supported(schema):
    """Whether this module can build the schema (else Whoosh's writer does, more slowly)."""
    return type(default_codec()) is W3Codec and not any(
        field.vector or field.separate_spelling() for _, field in schema.items())


def _fields(doc):
    from marketplace.search.backend import to_fields

    return to_fields(doc)


class _Progress:
    """Hands progress(n) batches to the caller's callback (it may be None)."""

    def __init__(self, callback):
        self.callback, self.pending = callback, 0

    def __call__(self, count):
        self.pending += count
        if self.pending >= PROGRESS_EVERY:
            self.flush()

    def flush(self):
        if self.callback and self.pending:
            self.callback(self.pending)
        self.pending = 0


# -- several segments at once ----------------------------------------------------------------
def _build_parts(target, storage, schema, docs, report):
    """One segment per contiguous part of docs, in input order (so document numbers follow the
    input): workers of a process pool build all parts but the last, this process that one."""
    parts = processes() if len(docs) >= PARALLEL_MIN else 1
    size = -(-len(docs) // parts) if docs else 1
    ranges = [(start, min(start + size, len(docs))) for start in range(0, len(docs), size)]
    if len(ranges) <= 1:
        return [build_segment(storage, schema, docs, report)] if docs else []
    futures, pool = [], None
    try:
        pool = ProcessPoolExecutor(len(ranges) - 1, mp_context=multiprocessing.get_context("spawn"))
        futures = [pool.submit(build_part, target, docs[start:end]) for start, end in ranges[:-1]]
    except Exception as error:  # noqa: BLE001 (no worker: every part is built below)
        log.warning("search index build workers cannot start (%r)", error)
    try:
        start, end = ranges[-1]
        mine = build_segment(storage, schema, docs[start:end], report)
        segments = []
        for number, (start, end) in enumerate(ranges[:-1]):
            segment = None
            if number < len(futures):
                try:
                    segment = futures[number].result()
                    report(end - start)
                except Exception as error:  # noqa: BLE001 (a crash, a broken pool, a worker's exception)
                    log.warning("search index build worker %d failed (%r); building its part in this process",
                                number + 1, error)
            if segment is None:
                segment = build_segment(storage, schema, docs[start:end], report)
            segments.append(segment)
        return segments + [mine]
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def build_part(target, docs):
    """A pool worker's part: one segment of docs in the index directory target."""
    ix = index.open_dir(target)
    return build_segment(ix.storage, ix.schema, docs)


# -- one segment --------------------------------------------------------------------------------
class _Postings:
    """One indexed field's postings so far: term bytes → [docnum, (weight, value bytes), …]."""

    def __init__(self, field):
        self.field, self.terms, self.lengths = field, {}, bytearray()
        self.cache, self.caching, self.hits = {}, True, 0

    def add(self, docnum, value):
        """Add value's postings for docnum; returns the field length SegmentWriter records."""
        items, length = self._analysed(value)
        terms = self.terms
        for btext, posting in items:
            found = terms.get(btext)
            if found is None:
                terms[btext] = [docnum, posting]
            else:
                found += (docnum, posting)
        if length:
            self.lengths.extend(bytes(docnum - len(self.lengths)))
            self.lengths.append(length_to_byte(length))
        return length

    def _analysed(self, value):
        """field.index(value) as (term bytes, (weight, value bytes)) pairs and the length,
        remembered per distinct value while values recur (descriptions rarely do)."""
        hashable = isinstance(value, (str, int, float))
        found = self.cache.get(value) if self.caching and hashable else None
        if found is not None:
            self.hits += 1
            return found
        items = list(self.field.index(value))
        found = ([(btext, (weight, vbytes)) for btext, _, weight, vbytes in items],
                 sum(freq for _, freq, _, _ in items) if self.field.scorable else 0)
        if self.caching and hashable:
            if len(self.cache) >= VALUE_CACHE:
                self.caching, self.hits = self.hits * 4 >= len(self.cache), 0
                self.cache.clear()
            self.cache[value] = found
        return found

    def write(self, writer, name, blocklimit):
        """The field's posting lists through Whoosh's field and posting writers, block by block
        (what FieldWriter.add_postings does posting by posting)."""
        lengths = [DECODED[b] for b in self.lengths] if self.field.scorable else None
        writer.start_field(name, self.field)
        for btext in sorted(self.terms):
            flat = self.terms[btext]
            docs, postings = flat[0::2], flat[1::2]
            writer.start_term(btext)
            for start in range(0, len(docs), blocklimit):
                ids, chunk = array("I", docs[start:start + blocklimit]), postings[start:start + blocklimit]
                weights = [weight for weight, _ in chunk]
                span = None
                if lengths is not None:
                    known = [lengths[doc] for doc in ids if doc < len(lengths) and lengths[doc]]
                    span = (min(known), max(known)) if known else (None, 0)
                internals.write_block(writer, ids, array("f", weights), _distinct([v for _, v in chunk if v]),
                                      max(0, max(weights)), span)
                if start + blocklimit < len(docs):
                    internals.flush_block(writer)
            writer.finish_term()
        writer.finish_field()


def _distinct(values):
    """Values as separate objects, as SegmentWriter has them: pickle would otherwise write a
    value object shared by two postings of a block (a cached analysis) as a memo reference."""
    if len(set(map(id, values))) == len(values):
        return values
    return [bytes(bytearray(value)) for value in values]


def build_segment(storage, schema, docs, report=None):
    """One segment of docs (in order) in storage; returns the Whoosh segment object."""
    analysis.segmenter()  # loads the user dictionary, and with it the words stem() protects
    codec = default_codec()
    segment = codec.new_segment(storage, INDEXNAME)
    perdoc, fieldwriter = codec.per_document_writer(storage, segment), None
    fields = {name: _Postings(field) for name, field in schema.items() if field.indexed}
    count = 0
    try:
        for count, doc in enumerate(docs, 1):
            values = _fields(doc)
            perdoc.start_doc(count - 1)
            for name in sorted(values):  # SegmentWriter.add_document, one field at a time
                value, field = values[name], schema[name]
                if value is None:
                    continue
                length = fields[name].add(count - 1, value) if field.indexed else 0
                perdoc.add_field(name, field, value if field.stored else None, length)
                if field.column_type:
                    perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
            perdoc.finish_doc()
            if report and count % PROGRESS_EVERY == 0:
                report(PROGRESS_EVERY)
        if report:
            report(count % PROGRESS_EVERY)
        perdoc.close()
        fieldwriter = codec.field_writer(storage, segment)
        blocklimit = internals.codec_settings(codec)[1]
        for name in sorted(fields):
            if fields[name].terms:
                fields[name].write(fieldwriter, name, blocklimit)
            fields[name] = None  # its memory can go
        fieldwriter.close()
        segment.set_doc_count(count)
        if segment.should_assemble():
            segment.create_compound_file(storage)
        return segment
    except BaseException:
        for closing in (perdoc, fieldwriter):  # the caller deletes the directory
            if closing is not None and not closing.is_closed:
                try:
                    closing.close()
                except Exception:  # noqa: BLE001 (already failing)
                    pass
        raise
