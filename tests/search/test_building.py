"""A rebuild (marketplace.search.building) indexes exactly what Whoosh's own writer indexes:
the same segment files byte for byte (one segment), the same terms, postings (documents,
weights, positions), stored fields, field lengths and sort columns whether it builds in this
process or in a pool of worker processes; a failed worker's part is built here; failures clean up."""
import logging
import os

import pytest
from whoosh import index

from marketplace.search import building
from marketplace.search.backend import WhooshBackend, schema, to_fields
from tests.search.catalogue import documents


def catalogue():
    """The fixture catalogue twice (recurring values), plus awkward documents."""
    docs = documents()
    again = [dict(doc, id=doc["id"] + 100, external_id=None) for doc in docs]
    odd = [
        {"id": 201, "title": "the and for", "summary": None, "description": None, "tags": [], "provider": "",
         "category": "", "category_top": "", "city": "", "price_fen": None, "voucher_eligible": False,
         "verified": False, "rating": 4.5, "published": 0},
        {"id": 202, "title": "Testing ＥＭＣ reports（加急）軟體著作權", "summary": "Engineers testing engineering tests",
         "description": "專利檢索 " * 900 + "reliability", "tags": ["CNAS", "ISO 9001", "專利"], "provider": "鹭江",
         "category": "ip", "category_top": "ip", "city": "厦门", "price_fen": 2_000_000, "voucher_eligible": True,
         "verified": True, "rating": 0, "published": 1_800_000_000},
    ]
    return docs + again + odd


def whoosh_index(path, docs):
    """What rebuild wrote before building.py: Whoosh's SegmentWriter, document by document."""
    os.makedirs(path)
    ix = index.create_in(path, schema())
    with ix.writer() as writer:
        for doc in docs:
            writer.add_document(**to_fields(doc))
    return ix


def contents(ix):
    """Everything searching reads, by global document number."""
    found = {}
    with ix.reader() as reader:
        for name in sorted(reader.indexed_field_names()):
            for text in reader.lexicon(name):
                matcher = reader.postings(name, text)
                postings = []
                while matcher.is_active():
                    postings.append((matcher.id(), matcher.weight(), matcher.value()))
                    matcher.next()
                found[name, text] = (reader.doc_frequency(name, text), reader.frequency(name, text), postings)
            if ix.schema[name].scorable:
                found[name, "lengths"] = (reader.field_length(name), reader.min_field_length(name),
                                          reader.max_field_length(name))
        for docnum in range(reader.doc_count_all()):
            found[docnum] = (reader.stored_fields(docnum),
                             [reader.doc_field_length(docnum, name) for name in ix.schema.names()])
        for name, field in ix.schema.items():
            if field.column_type:
                found[name, "column"] = list(reader.column_reader(name))
    return found


def segments(path):
    return len(index.open_dir(path)._segments())


def segment_files(ix):
    """{file name without the segment's random id: bytes} of every file of the index's one
    segment (inside its compound file; the contents must not depend on that id)."""
    (segment,) = ix._segments()
    assert segment.is_compound()
    files = segment.open_compound_file(ix.storage)
    try:
        found = {}
        for name in files.list():
            with files.open_file(name) as handle:
                found[name.replace(segment.segment_id(), "")] = handle.read()
        return found
    finally:
        files.close()


@pytest.fixture(scope="module")
def expected(tmp_path_factory):
    """contents() of catalogue() indexed by Whoosh's writer."""
    return contents(whoosh_index(str(tmp_path_factory.mktemp("whoosh") / "index"), catalogue()))


def test_rebuild_indexes_what_whoosh_indexes(tmp_path, expected):
    docs = catalogue()
    backend = WhooshBackend(str(tmp_path / "index"))
    steps = []
    assert backend.rebuild(iter(docs), progress=steps.append) == len(docs) == sum(steps)
    assert contents(backend.open()) == expected
    assert segments(backend.path) == 1
    assert sorted(os.listdir(os.path.realpath(backend.path)))[-1].startswith("_MAIN_1.toc")


def test_rebuild_writes_whooshs_segment_files_byte_for_byte(tmp_path):
    docs = catalogue()
    backend = WhooshBackend(str(tmp_path / "ours"))
    backend.rebuild(docs)
    ours, theirs = segment_files(backend.open()), segment_files(whoosh_index(str(tmp_path / "whoosh"), docs))
    assert sorted(ours) == sorted(theirs) and {".pst", ".trm"} <= set(ours)
    assert {ext: data for ext, data in ours.items() if data != theirs[ext]} == {}


@pytest.fixture
def parallel(monkeypatch):
    """Parallel builds from a few documents on, whatever the CPU count."""
    monkeypatch.setattr(building, "PARALLEL_MIN", 30)
    monkeypatch.setattr(building, "processes", lambda: 2)


def dying_worker(target, docs):
    """A pool worker whose process ends abruptly (pickled by name: the worker imports this)."""
    os._exit(3)


def raising_worker(target, docs):
    raise RuntimeError("worker broke")


def no_pool(*args, **kwargs):
    raise OSError("cannot start a process")


def test_parallel_rebuild_indexes_the_same_in_two_segments(tmp_path, expected, parallel):
    docs = catalogue()
    backend = WhooshBackend(str(tmp_path / "index"))
    steps = []
    assert backend.rebuild(iter(docs), progress=steps.append) == len(docs) == sum(steps)
    assert contents(backend.open()) == expected  # document numbers in input order too
    assert segments(backend.path) == 2
    assert not [name for name in os.listdir(os.path.realpath(backend.path)) if not name.startswith(("MAIN_", "_MAIN_"))]


@pytest.mark.parametrize("failure, logged", [
    ("cannot start", "cannot start a process"),
    ("dies", "BrokenProcessPool"),
    ("raises", "worker broke"),
])
def test_a_worker_that_fails_is_replaced_by_this_process(tmp_path, expected, parallel, monkeypatch, caplog,
                                                        failure, logged):
    if failure == "cannot start":
        monkeypatch.setattr(building, "ProcessPoolExecutor", no_pool)
    else:
        monkeypatch.setattr(building, "build_part", dying_worker if failure == "dies" else raising_worker)
    docs = catalogue()
    backend = WhooshBackend(str(tmp_path / "index"))
    with caplog.at_level(logging.WARNING, logger="marketplace.search.building"):
        assert backend.rebuild(docs) == len(docs)
    assert logged in caplog.text
    assert contents(backend.open()) == expected


@pytest.mark.parametrize("size", [20, 60])  # in this process; with a worker running
def test_a_failing_rebuild_leaves_the_live_index_and_no_new_directory(tmp_path, parallel, size):
    backend = WhooshBackend(str(tmp_path / "index"))
    backend.rebuild(documents()[:3])
    live = os.path.realpath(backend.path)

    def broken():
        yield from catalogue()[:size]
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError, match="database went away"):
        backend.rebuild(broken())
    assert os.path.realpath(backend.path) == live and backend.doc_count() == 3
    assert [name for name in os.listdir(tmp_path) if name.startswith(".index.")] == [os.path.basename(live)]


def test_a_schema_it_cannot_build_goes_through_whoosh(tmp_path, expected, monkeypatch):
    monkeypatch.setattr(building, "supported", lambda schema: False)
    docs = catalogue()
    backend = WhooshBackend(str(tmp_path / "index"))
    assert backend.rebuild(docs) == len(docs)
    assert contents(backend.open()) == expected
