"""Every use of whoosh3's private attributes, in one place, for the one version tested.

The array engine reads posting blocks and length columns directly (postings.py), and the
builder writes Whoosh's segment files without its per-posting writer (building.py). Both need
parts of whoosh3 that are not its public API. They are all here, so that an upgrade is one
reviewed file: this module refuses to import unless the installed whoosh3 is exactly
TESTED_VERSION (setup.cfg pins it). To upgrade: install the new version, read each function
below against its source, run tests/search (test_whoosh_internals.py compares block reads and
written segments with Whoosh's own reader and writer), then change TESTED_VERSION and the pin.
"""
from importlib.metadata import PackageNotFoundError, version

TESTED_VERSION = "3.54.0"


def installed_version():
    try:
        return version("whoosh3")
    except PackageNotFoundError:
        return None


def check_version(found=None):
    found = installed_version() if found is None else found
    if found != TESTED_VERSION:
        raise ImportError(f"marketplace.search needs whoosh3=={TESTED_VERSION} (its private parts are read "
                          f"directly, see whoosh_internals.py); installed: {found}")


check_version()

from whoosh import index  # noqa: E402
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield  # noqa: E402
from whoosh.matching.wrappers import FilterMatcher  # noqa: E402

INDEX_NAME = index._DEF_INDEX_NAME  # "MAIN": the table-of-contents name of an index


# -- reading (postings.py, engine.py) ------------------------------------------------------------
def unwrapped(matcher):
    """The leaf matcher under Whoosh's deleted-documents filter (callers mask deletions)."""
    return matcher.child if isinstance(matcher, FilterMatcher) else matcher


def reads_blocks(matcher):
    """Whether a matcher is a W3LeafMatcher over a block-coded posting list."""
    return hasattr(matcher, "_read_data") and hasattr(matcher, "_next_block") and not matcher._byteids


def posting_blocks(matcher):
    """(delta-coded document numbers, weights) of each block of a W3LeafMatcher: weights is a
    sequence, or one float for the whole block, or None (all 1.0)."""
    while matcher.is_active():
        matcher._read_data()
        yield matcher._data[0], matcher._data[1]
        matcher._next_block()


def move_to(matcher, docnum):
    """Whoosh's skip_to for a document known to be in the postings: skip whole blocks by their
    headers, then bisect the block's ids (skip_to steps through them one call at a time)."""
    from bisect import bisect_left

    if not hasattr(matcher, "_read_ids") or not hasattr(matcher, "_maxid"):
        matcher.skip_to(docnum)
        return
    while matcher.is_active() and matcher.block_max_id() < docnum:
        matcher._next_block()
    if matcher._ids is None:
        matcher._read_ids()
    matcher._i = bisect_left(matcher._ids, docnum)


def length_column(reader, fieldname):
    """The column reader of a field's lengths in one segment, or None."""
    perdoc = getattr(reader, "_perdoc", None)
    if perdoc is None or not hasattr(perdoc, "_cached_reader"):
        return None
    return perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)


def column_bytes(column):
    """The raw bytes of a one-byte-per-document column, or None if it is not that kind."""
    if getattr(column, "_fixedlen", None) != 1 or not hasattr(column, "_dbfile"):
        return None
    return bytes(column._dbfile.get(column._basepos, column._count)) if column._count else b""


def multiterm_texts(multiterm, reader):
    """The index terms a Prefix/FuzzyTerm/… query expands to."""
    return multiterm._btexts(reader)


# -- writing (building.py) ---------------------------------------------------------------------
def codec_settings(codec):
    """(inline limit, postings per block, compression level) of a W3Codec."""
    return codec._inlinelimit, codec._blocklimit, codec._compression


def write_block(writer, ids, weights, values, maxweight, lengths):
    """Put one block of postings in a W3FieldWriter's posting writer's buffer, as its
    add_posting would one posting at a time; finish_term or flush_block writes it.
    `lengths`: (min, max) of the documents' field lengths, or None."""
    blocks = writer._postwriter
    blocks._ids, blocks._weights, blocks._values, blocks._maxweight = ids, weights, values, maxweight
    if lengths is not None:
        blocks._minlength, blocks._maxlength = lengths


def flush_block(writer):
    """Write the buffered block (W3PostingsWriter._write_block: Whoosh's own encoding)."""
    writer._postwriter._write_block()
