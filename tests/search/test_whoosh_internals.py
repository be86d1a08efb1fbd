"""The private parts of whoosh3 we read and write (whoosh_internals.py), on posting lists
longer than one 128-posting block: 400 listings sharing terms, indexed by our builder and by
Whoosh's own writer, read block by block, skipped into, scored — each compared with Whoosh."""
import numpy as np
import pytest
from whoosh import query as Q

from marketplace.search import engine, postings, whoosh_internals
from marketplace.search.backend import WhooshBackend
from tests.search.test_building import contents, segment_files, whoosh_index
from tests.search.test_engine import engine_scores, whoosh_scores

COUNT = 400
CITIES = ["厦门", "福州", "泉州"]


def shared_catalogue():
    """400 listings: 专利 in every title (4 blocks), 检测 in every other one, words repeated
    a varying number of times so weights and lengths differ from block to block."""
    docs = []
    for n in range(1, COUNT + 1):
        title = "专利申请代理" + (" 检测报告" if n % 2 else "") + " 专利" * (n % 5) + f" 第{n}号"
        docs.append({"id": n, "external_id": f"x{n}", "title": title, "summary": "EMC 电磁兼容 " * (1 + n % 7),
                     "description": "专利检索 " * (1 + n % 11) + ("reliability testing" if n % 3 else ""),
                     "tags": ["专利", "EMC"] if n % 4 else ["检测"], "provider": f"机构{n % 13}",
                     "category": "ip-patent", "category_top": "ip", "city": CITIES[n % 3],
                     "price_fen": n * 1000, "voucher_eligible": bool(n % 2), "verified": bool(n % 3),
                     "rating": (n % 5) * 1.0, "published": 1_700_000_000 + n})
    return docs


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    backend = WhooshBackend(str(tmp_path_factory.mktemp("multiblock") / "index"))
    assert backend.rebuild(shared_catalogue()) == COUNT
    return backend


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return whoosh_index(str(tmp_path_factory.mktemp("whoosh-multiblock") / "index"), shared_catalogue())


def whoosh_postings(reader, fieldname, text):
    matcher = reader.postings(fieldname, text)
    found = []
    while matcher.is_active():
        found.append((matcher.id(), matcher.weight()))
        matcher.next()
    return found


def test_the_installed_whoosh_is_the_tested_one_and_others_are_refused():
    assert whoosh_internals.installed_version() == whoosh_internals.TESTED_VERSION == "3.54.0"
    with pytest.raises(ImportError, match="whoosh3==3.54.0"):
        whoosh_internals.check_version("3.55.0")


def test_setup_pins_exactly_the_tested_version():
    from pathlib import Path

    assert f"whoosh3=={whoosh_internals.TESTED_VERSION}" in Path("setup.cfg").read_text()


def test_our_builder_writes_what_whoosh_writes_across_blocks(built, reference):
    assert contents(built.open()) == contents(reference)
    ours, theirs = segment_files(built.open()), segment_files(reference)
    assert sorted(ours) == sorted(theirs)
    assert [name for name in ours if ours[name] != theirs[name]] == []


@pytest.mark.parametrize("fieldname, text", [("title", "专利"), ("title", "检测"), ("description", "专利"),
                                             ("summary", "emc"), ("tags", "专利"), ("bigram", "专利"),
                                             ("title_pinyin", "zhuanli"), ("latin", "reliability")])
def test_block_reads_equal_whooshs_reader(built, reference, fieldname, text):
    for ix in (built.open(), reference):
        with ix.reader() as reader:
            btext = ix.schema[fieldname].to_bytes(text)
            leaf = whoosh_internals.unwrapped(reader.postings(fieldname, btext))
            assert whoosh_internals.reads_blocks(leaf)
            blocks = list(whoosh_internals.posting_blocks(leaf))
            expected = whoosh_postings(reader, fieldname, btext)
            assert len(expected) > 128 and len(blocks) == -(-len(expected) // 128)
            docs, weights = postings.read_postings(reader, fieldname, btext)
            assert docs.tolist() == [doc for doc, _ in expected]
            assert np.allclose(weights, [weight for _, weight in expected])


@pytest.mark.parametrize("target", [0, 1, 127, 128, 129, 255, 300, 397, 399])
def test_moving_into_a_later_block_finds_the_same_positions_as_whoosh(built, target):
    ix = built.open()
    with ix.reader() as reader:
        btext = "专利".encode()
        ours = whoosh_internals.unwrapped(reader.postings("title", btext))
        whoosh_internals.move_to(ours, target)
        theirs = reader.postings("title", btext)
        theirs.skip_to(target)
        assert ours.id() == theirs.id() == target
        assert ours.value_as("positions") == theirs.value_as("positions")


@pytest.mark.parametrize("build", [
    lambda: Q.Term("title", "专利"),
    lambda: Q.And([Q.Term("title", "专利"), Q.Term("title", "检测")]),
    lambda: Q.Or([Q.Term("description", "专利"), Q.Term("summary", "emc", boost=2.5)]),
    lambda: Q.Phrase("title", ["专利", "申请"], slop=5),
    lambda: Q.Phrase("bigram_title", ["专利", "利申", "申请"]),
    lambda: Q.Prefix("title", "专利"),
])
def test_engine_scores_multi_block_lists_as_whoosh_does(built, build):
    postings.posting_cache.clear()
    postings.scored_cache.clear()
    with built.reading() as searcher:
        ours, theirs = engine_scores(searcher, build()), whoosh_scores(searcher, build())
        assert len(theirs) > 128 and ours.keys() == theirs.keys()
        assert all(abs(ours[d] - theirs[d]) < 1e-4 * max(1.0, abs(theirs[d])) for d in theirs)


def test_deleted_documents_in_later_blocks_are_masked(tmp_path):
    backend = WhooshBackend(str(tmp_path / "index"))
    backend.rebuild(shared_catalogue())
    backend.delete([150, 390])
    with backend.reading() as searcher:
        docs = engine.evaluate(engine.IndexArrays(searcher), Q.Term("title", "专利")).docs
        stored = {searcher.stored_fields(d)["id"] for d in docs.tolist()}
        assert len(stored) == COUNT - 2 and not {150, 390} & stored
