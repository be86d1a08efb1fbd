"""Full index builds for `WhooshBackend.rebuild`, without Whoosh's general-purpose writer.

Whoosh's `SegmentWriter` sends every posting through a pure-Python external sort (pickled runs
in temporary files), then reads each document's field length back from a column for every
posting while it writes the posting lists. A full build knows all of its documents, so here:

* each field value is analysed once per distinct value (titles, tags, summaries and providers
  recur across listings), by running our analyzer chains (tokenizer pieces → stop filter →
  stemming, see `analysis.py`) directly on plain tuples instead of Whoosh `Token` objects; the
  terms, frequencies, positions and weights are exactly those of `field.index(value)`, which
  is used instead for any field or analyzer this module does not recognise;
* postings stay in memory per field and term, in document order; the posting lists and term
  table are then written as W3PostingsWriter / W3TermInfo / OrderedHashWriter write them (the
  same blocks of 128 postings, pickled and compressed alike), column by column as
  W3PerDocWriter does. The files are those SegmentWriter writes, byte for byte, except that a
  block's pickle may be shorter where postings share one value object (a memo reference);
  tests/search/test_building.py compares everything a search reads;
* at PARALLEL_MIN documents or more, contiguous parts of the input are built at the same time,
  one segment each, into the same new directory: worker processes (fresh interpreters started
  with subprocess: nothing is forked) build the first parts, this process the last. The table
  of contents lists the segments in input order, so document numbers follow the input as
  before. A worker that fails is logged and its part is built here instead.

The caller (`WhooshBackend.rebuild`) owns the new directory: it swaps it in when `build`
returns and deletes it when `build` raises.
"""
import base64
import logging
import os
import pickle
import select
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from array import array
from itertools import islice
from operator import sub
from pickle import dumps

from whoosh import formats, index
from whoosh.analysis.analyzers import CompositeAnalyzer
from whoosh.analysis.filters import StopFilter
from whoosh.analysis.tokenizers import IDTokenizer
from whoosh.codec.whoosh3 import COMPRESSION_MIN_SIZE, LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, W3Codec, W3PerDocWriter
from whoosh.fields import NUMERIC
from whoosh.system import emptybytes, pack_byte, pack_int, pack_long, pack_uint, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte, to_sortable

from marketplace.search import analysis
from marketplace.search import whoosh_internals as internals

log = logging.getLogger(__name__)

PARALLEL_MIN = 4000  # fewer documents: one segment, built in this process (no worker start-up)
MAX_PROCESSES = 4  # this process included; never more than the CPUs this process may use
PROGRESS_EVERY = 256  # documents between progress callbacks (and polls of the workers)
VALUE_CACHE = 20000  # distinct values remembered per field during one build
INDEXNAME = internals.INDEX_NAME
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_EXISTS = (1.0, emptybytes)  # (weight, value bytes) of an Existence or NUMERIC posting
_TERMINFO = internals.TERMINFO_STRUCT
_ROW = internals.ROW_LENGTHS  # (key length, value length) before each term-table row


def processes():
    """How many processes a large build uses (workers are polled with select(): POSIX only)."""
    if os.name != "posix":
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(MAX_PROCESSES, cpus))


def build(target, schema, documents, progress=None):
    """Index `documents` (listing documents, see documents.py) into a new index in the empty
    directory `target`; returns how many were indexed."""
    ix = index.create_in(target, schema)
    storage = ix.storage
    report = _Progress(progress)
    if not supported(schema):
        count = _whoosh_build(ix, documents, report)
        report.flush()
        return count
    documents = iter(documents)
    docs = list(islice(documents, PARALLEL_MIN))
    parts = processes() if len(docs) >= PARALLEL_MIN else 1
    if parts > 1:
        segments = _Parallel(target, storage, schema, parts - 1, report).run(docs, documents)
    else:
        segments = [build_segment(storage, schema, docs, report)] if docs else []
    report.flush()
    toc = index.TOC(schema, segments, 1)
    toc.write(storage, INDEXNAME)
    index.clean_files(storage, INDEXNAME, 1, segments)
    storage.temp_storage(f"{INDEXNAME}.tmp").destroy()  # the per-document writers' scratch files
    return sum(segment.doc_count_all() for segment in segments)


def supported(schema):
    """Whether this module can build the schema (else Whoosh's writer does, more slowly)."""
    from whoosh.codec import default_codec

    return type(default_codec()) is W3Codec and not any(
        field.vector or field.separate_spelling() for _, field in schema.items())


def _whoosh_build(ix, documents, report):
    from marketplace.search.backend import to_fields

    writer, count = ix.writer(limitmb=256), 0
    try:
        for doc in documents:
            writer.add_document(**to_fields(doc))
            count += 1
            report(1)
    except BaseException:
        writer.cancel()
        raise
    writer.commit(optimize=True)
    return count


def build_segment(storage, schema, docs, report=None, poll=None):
    """One segment of `docs` (in order) in `storage`; returns the Whoosh segment object."""
    from marketplace.search.backend import to_fields

    analysis.segmenter()  # loads the user dictionary, and with it the words stem() protects
    builder = _SegmentBuilder(storage, schema)
    try:
        for number, doc in enumerate(docs, 1):
            builder.add(to_fields(doc))
            if number % PROGRESS_EVERY == 0:
                if report:
                    report(PROGRESS_EVERY)
                if poll:
                    poll()
        if report:
            report(builder.docnum % PROGRESS_EVERY)
        return builder.finish()
    except BaseException:
        builder.cancel()
        raise


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


# -- one segment ----------------------------------------------------------------------------
class _Field:
    """How one schema field is indexed, and its postings so far."""

    def __init__(self, name, field):
        self.name, self.field = name, field
        self.indexed, self.scorable, self.stored = field.indexed, bool(field.scorable), field.stored
        self.column = field.column_type
        if field.vector or field.separate_spelling():
            raise NotImplementedError(f"field {name!r}: vectors and spelling are not built here")
        self.postings = {}  # term bytes → [docnum, (weight, value bytes), docnum, …]
        self.lengths = bytearray() if self.scorable else None  # length byte per document
        self.length_name, self.length_column = internals.length_field_name(name), None
        self.column_values, self.column_writer = {}, None
        self.cache, self.caching, self.hits = {}, True, 0  # value → terms (see terms())
        # positions → Positions value bytes; shared (weight, value bytes) pairs; NUMERIC shifts
        self.encoded, self.pairs, self.frequencies, self.shifts = {}, {}, {}, None
        self.compute = self._plan()

    def _plan(self):
        field, fmt = self.field, self.field.format
        if not self.indexed:
            return None
        if isinstance(field, NUMERIC):
            return self._numeric
        analyzer = field.analyzer
        chain = list(analyzer.items) if isinstance(analyzer, CompositeAnalyzer) else [analyzer]
        tokenizer, filters = chain[0], chain[1:]
        if type(tokenizer) is IDTokenizer and not filters and type(fmt) is formats.Existence:
            return self._identifier
        if (isinstance(tokenizer, analysis._BaseTokenizer) and type(fmt) in (formats.Frequency, formats.Positions)
                and all(type(f) in (StopFilter, analysis.LatinStemFilter) for f in filters)):
            self.tokenizer, self.filters = tokenizer, filters
            return self._text
        return self._generic

    def terms(self, value):
        """([(term bytes, (weight, value bytes)), …], field length) of value, as field.index gives."""
        if not self.caching or not isinstance(value, (str, int, float)):
            return self.compute(value)
        cache = self.cache
        found = cache.get(value)
        if found is not None:
            self.hits += 1
            return found
        found = self.compute(value)
        if len(cache) >= VALUE_CACHE:
            # Values that rarely recur (descriptions, say) are not worth the memory.
            self.caching = self.hits * 4 >= len(cache)
            cache.clear()
            self.hits = 0
        cache[value] = found
        return found

    def _pair(self, weight, vbytes):
        """One shared (weight, value bytes) tuple per distinct pair: most postings share one."""
        pair, pairs = (weight, vbytes), self.pairs
        if len(pairs) >= 10 * VALUE_CACHE:
            pairs.clear()
        return pairs.setdefault(pair, pair)

    def _length(self, items):
        return sum(freq for _, freq, _, _ in items) if self.scorable else 0

    def _generic(self, value):
        items = list(self.field.index(value))
        terms = [(text, self._pair(weight, emptybytes if vbytes is None else vbytes))
                 for text, _, weight, vbytes in items]
        return terms, self._length(items)

    def _numeric(self, value):
        field = self.field
        if not isinstance(value, (int, float)) or not field.shift_step:
            return self._generic(value)
        number = to_sortable(field.numtype, field.bits, field.signed, field.prepare_number(value))
        if self.shifts is None:  # NUMERIC.sortable_to_bytes(number, shift) for each shift, inlined
            self.shifts = [(pack_byte(shift), shift) for shift in range(0, field.bits, field.shift_step)]
        pack = internals.numeric_struct(field).pack
        terms = [(prefix + pack(number >> shift), _EXISTS) for prefix, shift in self.shifts]
        return terms, len(terms) if self.scorable else 0

    def _identifier(self, value):
        if not isinstance(value, str):
            return self._generic(value)
        boost = self.field.format.field_boost
        return [(value.encode("utf-8"), _EXISTS if boost == 1.0 else (boost, emptybytes))], int(self.scorable)

    def _text(self, value):
        """Our analyzer chains without Token objects: the same texts and positions as Whoosh's
        ChineseTokenizer/… | StopFilter | LatinStemFilter pipeline in "index" mode."""
        if not isinstance(value, str):
            return self._generic(value)
        fmt = self.field.format
        positional = type(fmt) is formats.Positions
        pieces = self.tokenizer.pieces(analysis.fold_with_offsets(value)[0])
        if [type(step) for step in self.filters] == [StopFilter, analysis.LatinStemFilter]:
            return self._stopped_stemmed(pieces, fmt, positional)
        if positional:
            if self.tokenizer.char_positions:
                tokens = [(text, start) for text, start, _ in pieces]
            else:
                tokens = [(text, number) for number, (text, _, _) in enumerate(pieces)]
        else:
            tokens = [(text, None) for text, _, _ in pieces]
        for step in self.filters:
            if type(step) is StopFilter:
                stops, shortest, longest = step.stops, step.min, step.max
                kept, pos = [], None
                for text, at in tokens:
                    if len(text) >= shortest and (longest is None or len(text) <= longest) and text not in stops:
                        if positional and step.renumber:
                            pos = at if pos is None else pos + 1
                            at = pos
                        kept.append((text, at))
                tokens = kept
            else:
                stem = analysis.stem
                tokens = [(stem(text), at) for text, at in tokens]
        if positional:
            where = {}
            for text, at in tokens:
                where.setdefault(text, []).append(at)
            return self._positions(where, fmt), len(tokens) if self.scorable else 0
        counts = {}
        for text, _ in tokens:
            counts[text] = counts.get(text, 0) + 1
        return self._frequencies(counts, fmt), len(tokens) if self.scorable else 0

    def _stopped_stemmed(self, pieces, fmt, positional):
        """_text for tokenizer | StopFilter | LatinStemFilter (the ChineseAnalyzer), in one loop."""
        stop, stem = self.filters[0], analysis.stem
        stops, shortest, longest = stop.stops, stop.min, stop.max
        renumber = positional and stop.renumber
        chars = self.tokenizer.char_positions
        found, pos, kept = {}, None, 0
        for number, (text, start, _) in enumerate(pieces):
            size = len(text)
            if size < shortest or (longest is not None and size > longest) or text in stops:
                continue
            kept += 1
            if text.isascii():  # stem() keeps every other word as it is
                text = stem(text)
            if positional:
                at = start if chars else number
                if renumber:
                    pos = at if pos is None else pos + 1
                    at = pos
                spots = found.get(text)
                if spots is None:
                    found[text] = [at]
                else:
                    spots.append(at)
            else:
                found[text] = found.get(text, 0) + 1
        items = self._positions(found, fmt) if positional else self._frequencies(found, fmt)
        return items, kept if self.scorable else 0

    def _positions(self, where, fmt):
        boost, encoded, items = fmt.field_boost, self.encoded, []
        for text, spots in where.items():
            key = tuple(spots)
            vbytes = encoded.get(key)
            if vbytes is None:
                if len(encoded) >= VALUE_CACHE:
                    encoded.clear()
                vbytes = encoded[key] = fmt.encode(spots)
            items.append((text.encode("utf-8"), self._pair(float(len(spots)) * boost, vbytes)))
        return items

    def _frequencies(self, counts, fmt):
        boost, pairs = fmt.field_boost, self.frequencies
        items = []
        for text, count in counts.items():
            pair = pairs.get(count)
            if pair is None:
                pair = pairs[count] = (float(count) * boost, pack_uint(count))
            items.append((text.encode("utf-8"), pair))
        return items


class _SegmentBuilder:
    """Does what SegmentWriter.add_document/commit do for a new segment of a new index."""

    def __init__(self, storage, schema):
        from whoosh.codec import default_codec

        codec = default_codec()
        if type(codec) is not W3Codec:
            raise NotImplementedError(f"index builds need Whoosh's W3Codec, not {codec!r}")
        self.codec, self.storage, self.schema = codec, storage, schema
        self.segment = codec.new_segment(storage, INDEXNAME)
        self.perdoc = codec.per_document_writer(storage, self.segment)
        self.direct = type(self.perdoc) is W3PerDocWriter  # else through its public methods
        self.fields = {name: _Field(name, schema[name]) for name in schema.names()}
        self.docnum = 0
        self._keys, self._order = None, None

    def _ordered(self, fields):
        keys = tuple(fields)
        if keys != self._keys:
            names = sorted(keys)
            odd = [name for name in names if name.startswith("_") or name not in self.fields]
            if odd:
                raise ValueError(f"fields this builder does not take: {odd!r}")
            self._keys, self._order = keys, [self.fields[name] for name in names]
        return self._order

    def add(self, fields):
        docnum, perdoc = self.docnum, self.perdoc
        perdoc.start_doc(docnum)
        direct = self.direct
        stored = internals.stored_fields(perdoc) if direct else None
        for plan in self._ordered(fields):
            name = plan.name
            value = fields[name]
            if value is None:
                continue
            length = 0
            if plan.indexed:
                items, length = plan.terms(value)
                postings = plan.postings
                for text, posting in items:
                    found = postings.get(text)
                    if found is None:
                        postings[text] = [docnum, posting]
                    else:
                        found += (docnum, posting)
                if length:
                    byte = length_to_byte(length)
                    lengths = plan.lengths
                    if len(lengths) < docnum:
                        lengths.extend(bytes(docnum - len(lengths)))
                    lengths.append(byte)
            if not direct:
                perdoc.add_field(name, plan.field, value if plan.stored else None, length)
                if plan.column:
                    perdoc.add_column_value(name, plan.column, plan.field.to_column_value(value))
                continue
            # What W3PerDocWriter.add_field and add_column_value do, minus their lookups.
            if plan.stored:
                stored[name] = value
            if length:
                if plan.length_column is None:
                    perdoc.add_column_value(plan.length_name, LENGTHS_COLUMN, byte)
                    plan.length_column = internals.column_writer(perdoc, plan.length_name)
                else:
                    plan.length_column.add(docnum, byte)
                internals.add_field_length(perdoc, name, length)
            if plan.column:
                known = plan.column_values.get(value) if isinstance(value, (str, int, float)) else None
                if known is None:
                    known = plan.field.to_column_value(value)
                    if isinstance(value, (str, int, float)):
                        plan.column_values[value] = known
                if plan.column_writer is None:
                    perdoc.add_column_value(name, plan.column, known)
                    plan.column_writer = internals.column_writer(perdoc, name)
                else:
                    plan.column_writer.add(docnum, known)
        perdoc.finish_doc()
        self.docnum += 1

    def finish(self):
        self.perdoc.close()
        writer = self.codec.field_writer(self.storage, self.segment)
        self.fieldwriter = writer
        decode = [byte_to_length(b) if b else 0 for b in range(256)]
        for name in sorted(self.fields):
            plan = self.fields[name]
            if not plan.postings:
                continue
            lengths = None
            if plan.lengths is not None:
                lengths = [decode[b] for b in plan.lengths]
                lengths.extend([0] * (self.docnum - len(lengths)))
            writer.start_field(name, plan.field)
            _write_field(writer, plan.postings, lengths, plan.field.format, self.codec)
            writer.finish_field()
            plan.postings = plan.cache = plan.encoded = plan.pairs = plan.column_values = None
        writer.close()
        self.segment.set_doc_count(self.docnum)
        if self.segment.should_assemble():
            self.segment.create_compound_file(self.storage)
        return self.segment

    def cancel(self):
        """Close the open files (the caller deletes the directory)."""
        for closing in (self.perdoc, getattr(self, "fieldwriter", None)):
            if closing is not None and not closing.is_closed:
                try:
                    closing.close()
                except Exception:  # noqa: BLE001 (already failing; the directory goes anyway)
                    pass


def _write_field(writer, postings, lengths, fmt, codec):
    """The posting lists of one field, term by term in byte order, and their term-table rows:
    the bytes W3FieldWriter / W3PostingsWriter / W3TermInfo / OrderedHashWriter write for the
    same postings added one by one (blocks of `blocklimit` postings, pickled and compressed
    the same way), without their per-posting and per-block Python objects."""
    inlinelimit, blocklimit, compression = internals.codec_settings(codec)
    if inlinelimit > 1:  # not Whoosh's default: let its writer decide what to inline
        return _write_field_whoosh(writer, postings, lengths, blocklimit)
    fixed = fmt.fixed_value_size()
    postfile, table, fieldid = internals.field_writer_files(writer)
    prefix = pack_ushort(fieldid)
    offset = postfile.tell()
    # OrderedHashWriter.add, batched: rows are written at the end of the field.
    rows, row_at, positions, buckets, hashed = [], table.dbfile.tell(), table.index, table.buckets, table.hashfn
    key = None
    for text in sorted(postings):
        flat = postings[text]
        count = len(flat) // 2
        if count == 1:  # most terms (numbers, identifiers): the loop below, unrolled for one posting
            doc, (weight, vbytes) = flat
            stored = array("f", (weight,))
            total = 0 + stored[0]
            top = weight if weight > 0 else 0
            shortest = (lengths[doc] or None) if lengths is not None else None
            longest = (lengths[doc] or 0) if lengths is not None else 0
            minlength, maxlength, maxweight = shortest, longest, max(0, top)
            single = stored[0]
            kept = _mini_values([vbytes] if vbytes else [], fixed)
            data = dumps(((doc,), None if single == 1.0 else single, kept), 2)
            level = compression if len(data) >= COMPRESSION_MIN_SIZE else 0
            if level:
                data = zlib.compress(data, level)
            info = dumps((1, doc, top, level, length_to_byte(shortest), length_to_byte(longest)), 2)
            blob = WHOOSH3_HEADER_MAGIC + pack_int(-(len(info) + len(data))) + info + data
            first = last = doc
        else:
            docs, values = flat[0::2], flat[1::2]
            parts = [WHOOSH3_HEADER_MAGIC]
            total, minlength, maxlength, maxweight = 0, None, 0, 0
            for start in range(0, count, blocklimit):
                end = start + blocklimit
                ids, chunk = docs[start:end], values[start:end]
                weights = [weight for weight, _ in chunk]
                stored = array("f", weights)
                top = max(weights)
                top = top if top > 0 else 0
                shortest, longest = None, 0
                if lengths is not None:
                    known = [length for length in map(lengths.__getitem__, ids) if length]
                    if known:
                        shortest, longest = min(known), max(known)
                # W3TermInfo.add_block
                total += sum(stored)
                minlength = shortest if minlength is None else min(minlength, shortest)
                maxlength, maxweight = max(maxlength, longest), max(maxweight, top)
                # W3PostingsWriter._write_block: _mini_ids, _mini_weights, _mini_values
                floats = stored.tolist()
                if floats.count(1.0) == len(floats):
                    weights = None
                elif floats.count(floats[0]) == len(floats):
                    weights = floats[0]
                else:
                    weights = tuple(floats)
                kept = _mini_values([vbytes for _, vbytes in chunk if vbytes], fixed)
                data = dumps((tuple(map(sub, ids, [0] + ids[:-1])), weights, kept), 2)
                level = compression if len(data) >= COMPRESSION_MIN_SIZE else 0
                if level:
                    data = zlib.compress(data, level)
                info = dumps((len(ids), ids[-1], top, level, length_to_byte(shortest), length_to_byte(longest)), 2)
                size = len(info) + len(data)
                parts += (pack_int(-size if end >= count else size), info, data)
            blob = emptybytes.join(parts)
            first, last = docs[0], docs[-1]
        postfile.write(blob)
        key = prefix + text
        value = _TERMINFO.pack(False, total, count, 0 if minlength is None else length_to_byte(minlength),
                               length_to_byte(maxlength), maxweight, first, last)
        value += pack_long(offset) + pack_int(len(blob))
        offset += len(blob)
        positions.append(row_at)
        code = hashed(key)
        buckets[code & 255].append((code, row_at))
        row = _ROW.pack(len(key), len(value)) + key + value
        rows.append(row)
        row_at += len(row)
    if key is not None:
        if key <= table.lastkey:
            raise ValueError(f"term keys must increase: {table.lastkey!r}..{key!r}")
        table.dbfile.write(emptybytes.join(rows))
        table.lastkey = key


def _mini_values(values, fixed):
    """A block's values as W3PostingsWriter._mini_values stores them (fixed: the format's size)."""
    if fixed is None or fixed < 0:
        return tuple(values)
    return None if fixed == 0 else emptybytes.join(values)


def _write_field_whoosh(writer, postings, lengths, blocklimit):
    """Like _write_field, through Whoosh's posting writer (block by block)."""
    for text in sorted(postings):
        flat = postings[text]
        docs, values = flat[0::2], flat[1::2]
        count = len(docs)
        writer.start_term(text)
        for start in range(0, count, blocklimit):
            end = start + blocklimit
            chunk = values[start:end]
            weights = [weight for weight, _ in chunk]
            top = max(weights)
            ids = array("I", docs[start:end])
            span = None
            if lengths is not None:
                known = [length for length in map(lengths.__getitem__, ids) if length]
                span = (min(known) if known else None, max(known) if known else 0)
            internals.write_block(writer, ids, array("f", weights), [vbytes for _, vbytes in chunk if vbytes],
                                  top if top > 0 else 0, span)
            if end < count:
                internals.flush_block(writer)
        writer.finish_term()


# -- several segments at once --------------------------------------------------------------------
class _Parallel:
    """Builds contiguous parts of the documents at the same time, one segment each: workers
    build the first parts, this process the last one.

    While the documents are still being read (a database cursor, say), they stream to the
    first worker, at most WINDOW documents ahead of what it has indexed; once they are all
    read, the rest is shared so that every process should finish at about the same time.
    Documents handed to a worker are dropped here (its data file keeps them, in case)."""

    BATCH = 500  # documents per message to a worker
    WINDOW = 2000  # documents sent to the first worker and not yet indexed, while reading
    STARTUP = 1000  # documents this process indexes while a worker starts (imports, dictionaries)

    def __init__(self, target, storage, schema, workers, report):
        self.target, self.storage, self.schema, self.report = target, storage, schema, report
        self.count, self.workers, self.scratch = workers, [], None

    def poll(self):
        for worker in self.workers:
            worker.poll(self.report)

    @staticmethod
    def send(worker, docs, start, end):
        worker.send(docs[start:end])
        docs[start:end] = [None] * (end - start)

    def run(self, docs, rest):
        try:
            self.scratch = tempfile.mkdtemp(prefix=".build-", dir=self.target)
            for number in range(1, self.count + 1):
                self.workers.append(_Worker(self.target, self.scratch, number))
            return self._run(docs, rest)
        finally:
            for worker in self.workers:
                worker.close()
            if self.scratch:
                shutil.rmtree(self.scratch, ignore_errors=True)

    def _run(self, docs, rest):
        first, sent = self.workers[0], 0
        for doc in rest:
            docs.append(doc)
            if len(docs) % self.BATCH == 0:
                self.poll()
                while len(docs) - sent >= self.BATCH and first.backlog(self.STARTUP) < self.WINDOW:
                    self.send(first, docs, sent, sent + self.BATCH)
                    sent += self.BATCH
        self.poll()
        # Share what is left: each part's backlog (documents not yet indexed) ends up equal.
        parts = len(self.workers) + 1
        share = (len(docs) - sent + first.backlog(self.STARTUP)) / parts
        ends = [sent + max(0, min(len(docs) - sent, round(share - first.backlog(self.STARTUP))))]
        for _ in self.workers[1:]:
            ends.append(min(len(docs), ends[-1] + round(share)))
        ranges, start = [], 0
        for worker, end in zip(self.workers, ends):
            begin = max(start, sent) if worker is first else start
            for at in range(begin, end, self.BATCH):
                self.send(worker, docs, at, min(at + self.BATCH, end))
                self.poll()
            worker.finish()
            ranges.append((start, end))
            start = end
        log.debug("search index build: parts %s to workers, (%d, %d) here", ranges, start, len(docs))
        started = time.monotonic()
        mine = build_segment(self.storage, self.schema, docs[start:], self.report, self.poll) \
            if start < len(docs) else None
        log.debug("search index build: this process's part took %.1f s", time.monotonic() - started)
        segments = []
        for worker, (begin, end) in zip(self.workers, ranges):
            segment = worker.result(self.report)
            log.debug("search index build: worker %d done %.1f s later", worker.number, time.monotonic() - started)
            if segment is None and begin < end:  # the worker failed: build its part here
                log.warning("search index build worker %d failed (%s); building its part in this process",
                            worker.number, worker.problem)
                segment = build_segment(self.storage, self.schema, worker.documents(),
                                        _Skip(self.report, worker.reported))
            if segment is not None and segment.doc_count_all():
                segments.append(segment)
        return segments + ([mine] if mine is not None else [])


class _Skip:
    """Progress that ignores the first `count` documents (a failed worker reported them)."""

    def __init__(self, report, count):
        self.report, self.skip = report, count

    def __call__(self, count):
        skipped = min(self.skip, count)
        self.skip -= skipped
        if count - skipped and self.report:
            self.report(count - skipped)


# A worker imports this module without running the packages' __init__ (the web application:
# Flask, SQLAlchemy, the views …), which would double its start-up time.
_BOOTSTRAP = """
import os, sys, types
root = sys.argv[1]
for name in ("marketplace", "marketplace.search"):
    package = types.ModuleType(name)
    package.__path__ = [os.path.join(root, *name.split("."))]
    sys.modules[name] = package
sys.path.insert(0, root)
from marketplace.search.building import _worker_main
_worker_main(*sys.argv[2:4])
"""


class _Worker:
    """A worker process (a fresh interpreter running _BOOTSTRAP) building one segment into
    the index directory TARGET. Documents go through the file DATA (pickled batches, appended),
    announced by short lines on its stdin ("words OFFSET SIZE", "batch OFFSET SIZE", "end"); it
    answers on stdout with "ready", "progress N" and finally "segment BASE64-PICKLE"."""

    def __init__(self, target, scratch, number):
        self.number, self.reported, self.assigned, self.problem = number, 0, 0, None
        self.ready, self.segment, self.buffer, self.finished = False, None, b"", False
        self.errors_path = os.path.join(scratch, f"part-{number}.err")
        self.data_path = os.path.join(scratch, f"part-{number}.data")
        self.data, self.size, self.batches, self.process = open(self.data_path, "wb"), 0, [], None
        with open(self.errors_path, "wb") as errors:
            try:
                self.process = subprocess.Popen(
                    [sys.executable, "-c", _BOOTSTRAP, _ROOT, target, self.data_path],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, cwd=_ROOT)
            except OSError as error:
                self.problem, self.finished = f"cannot start: {error!r}", True

    def _put(self, kind, payload):
        """Append payload to the data file (always: documents() reads it back if the worker
        fails), then tell the worker where it is."""
        data = pickle.dumps(payload, pickle.HIGHEST_PROTOCOL)
        self.data.write(data)
        self.data.flush()
        where = (self.size, len(data))
        self.size += len(data)
        if self.process is not None and not self.problem:
            try:  # a line of a few bytes: it never waits for the worker
                self.process.stdin.write(b"%s %d %d\n" % (kind, *where))
                self.process.stdin.flush()
            except OSError as error:  # it is gone; result() says why
                self.problem = f"cannot send: {error!r}"
        return where

    def send(self, docs):
        self.assigned += len(docs)
        self.batches.append(self._put(b"batch", docs))

    def documents(self):
        """The documents sent to this worker, read back from its data file."""
        with open(self.data_path, "rb") as data:
            for offset, size in self.batches:
                data.seek(offset)
                yield from pickle.loads(data.read(size))

    def finish(self):
        """No more documents: the worker writes its segment."""
        if self.process is not None and not self.problem:
            try:
                self.process.stdin.write(b"end\n")
                self.process.stdin.close()
            except OSError as error:
                self.problem = f"cannot send: {error!r}"
        self.data.close()

    def backlog(self, startup):
        """Documents sent and not indexed yet (plus `startup` while it is still starting)."""
        return self.assigned - self.reported + (0 if self.ready else startup)

    def _lines(self, data, report):
        self.buffer += data
        *lines, self.buffer = self.buffer.split(b"\n")
        for line in lines:
            kind, _, rest = line.partition(b" ")
            if kind == b"progress":
                count = int(rest)
                self.reported += count
                if report:
                    report(count)
            elif kind == b"ready":
                self.ready = True
            elif kind == b"segment":
                self.segment = pickle.loads(base64.b64decode(rest))

    def poll(self, report):
        """Take what the worker has said so far, without waiting."""
        if self.finished or self.process is None:
            return
        stream = self.process.stdout
        while select.select([stream], [], [], 0)[0]:
            data = os.read(stream.fileno(), 65536)
            if not data:
                self.finished = True
                return
            self._lines(data, report)

    def result(self, report):
        """Wait for the worker: its segment, or None if it failed (see .problem)."""
        if self.process is None:
            return None
        stream = self.process.stdout
        while not self.finished:
            data = os.read(stream.fileno(), 65536)
            self.finished = not data
            self._lines(data, report)
        code = self.process.wait()
        if code == 0 and self.segment is not None:
            return self.segment
        with open(self.errors_path, "rb") as errors:
            tail = errors.read()[-2000:].decode("utf-8", "replace").strip()
        self.problem = self.problem or f"exit status {code}: {tail or 'no output'}"
        return None

    def close(self):
        if not self.data.closed:
            self.data.close()
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout):
            if stream and not stream.closed:
                try:
                    stream.close()
                except OSError:  # a broken pipe's unflushed line
                    pass


def _worker_main(target, data_path):
    """The worker process (see _Worker)."""
    out = sys.stdout.buffer
    ix = index.open_dir(target)
    analysis.segmenter(), analysis.fold("軟體"), analysis.pinyin("专利")  # load the dictionaries now
    out.write(b"ready\n")
    out.flush()
    pending = [0, time.monotonic()]

    def report(count):
        pending[0] += count
        if pending[0] and time.monotonic() - pending[1] > 0.2:
            out.write(b"progress %d\n" % pending[0])
            out.flush()
            pending[:] = [0, time.monotonic()]

    with open(data_path, "rb") as data:
        def load(offset, size):
            data.seek(int(offset))
            return pickle.loads(data.read(int(size)))

        def incoming():
            for line in sys.stdin.buffer:
                kind, *where = line.split()
                if kind == b"batch":
                    yield from load(*where)
                elif kind == b"end":
                    return
            raise RuntimeError("the building process went away")  # no "end": do not write a segment

        segment = build_segment(ix.storage, ix.schema, incoming(), report)
    if pending[0]:
        out.write(b"progress %d\n" % pending[0])
    out.write(b"segment " + base64.b64encode(pickle.dumps(segment, pickle.HIGHEST_PROTOCOL)) + b"\n")
    out.flush()

