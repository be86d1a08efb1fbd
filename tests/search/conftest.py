import pytest

from marketplace.search.backend import WhooshBackend
from tests.search.catalogue import SYNONYMS, documents


@pytest.fixture(scope="module")
def fixture_index(tmp_path_factory):
    """The fixture catalogue indexed once per module (no database needed)."""
    backend = WhooshBackend(str(tmp_path_factory.mktemp("search") / "index"))
    backend.rebuild(documents())
    return backend


@pytest.fixture(scope="module")
def run(fixture_index):
    """run(q, **filters) → SearchResult over the fixture catalogue with the fixture synonyms."""
    from marketplace.search.backend import SearchRequest

    def search(q="", **params):
        return fixture_index.search(SearchRequest(q=q, **params), SYNONYMS)
    search.with_synonyms = lambda q, synonyms: fixture_index.search(SearchRequest(q=q), synonyms)
    return search


SYNONYMS_WITH_NEW_WORDS = [["火炬芯片流片", "流片服务"], ["暗房租借", "电波暗室租用"]]
