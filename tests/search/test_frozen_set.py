"""The frozen judged set stays frozen, and its scores are reported (never asserted as targets:
the set is for measuring, not tuning — see docs/search.md, Quality)."""
import hashlib
import re
from pathlib import Path

import pytest

from tests.search import frozen_set

FROZEN_SHA256 = "95ee8a28b1d6ef7d0476936256bc0f476e47a996e831bb2030438d5d2c0d6ac4"


def test_the_frozen_set_has_not_changed():
    digest = hashlib.sha256(Path(frozen_set.__file__).read_bytes()).hexdigest()
    assert digest == FROZEN_SHA256, "tests/search/frozen_set.py is frozen: make a new set instead of editing it"


def test_the_frozen_set_is_big_user_style_and_judged_on_its_own_catalogue():
    from tests.search import catalogue

    queries = frozen_set.QUERIES
    assert len(queries) >= 100 and len(frozen_set.LISTINGS) >= 100
    latin = [q for _, q, _ in queries if re.search(r"[A-Za-z]{2,}", q)]
    assert len(latin) >= len(queries) / 3
    assert {kind for kind, _, _ in queries} >= {"english", "misspelling", "colloquial", "natural", "traditional", "pinyin"}
    assert all(key in frozen_set.LISTINGS for _, _, grades in queries for key in grades)
    assert not {row[2] for row in frozen_set.LISTINGS.values()} & {row[2] for row in catalogue.LISTINGS.values()}


@pytest.fixture(scope="module")
def frozen_run(tmp_path_factory):
    from marketplace.search.backend import SearchRequest, WhooshBackend
    from marketplace.search.models import seed_synonym_groups

    backend = WhooshBackend(str(tmp_path_factory.mktemp("frozen") / "index"))
    backend.rebuild(frozen_set.documents())
    synonyms = seed_synonym_groups()
    return lambda q: [frozen_set.key_of(h["id"]) for h in backend.search(SearchRequest(q=q, per_page=10), synonyms).hits]


def test_report_frozen_set_scores(frozen_run, capsys):
    """Reported per kind (pytest -s shows them); the only assertion is that search works at all."""
    scores = frozen_set.scores_by_kind(frozen_run)
    with capsys.disabled():
        for kind, (ndcg, recall) in scores.items():
            print(f"\nfrozen set {kind:12} nDCG@10 {ndcg:.3f} recall@10 {recall:.3f}", end="")
        print()
    assert all(ndcg > 0 for ndcg, _ in scores.values())
