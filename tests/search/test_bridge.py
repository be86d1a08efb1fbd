"""English → Chinese bridge: CC-CEDICT from the installed package, the reviewed glossary,
phrases longest first, only the catalogue's own words, weighted by use."""
from marketplace.search import bridge
from tests.search.catalogue import key_of


def keys(result):
    return [key_of(hit["id"]) for hit in result.hits]


def test_cc_cedict_is_read_from_the_installed_package_offline():
    table = bridge.cedict()
    assert "孵化器" in table["incubator"] and "专利" in table["patent"]
    assert len(table) > 50_000


def test_the_glossary_is_big_and_maps_professional_phrases():
    table = bridge.glossary()
    assert len(table) >= 200
    assert table["freedom to operate"][0] == "自由实施"
    assert table["high tech enterprise certification"][0].startswith("高新技术企业")
    assert table["pilot scale testing"] == ["中试"]


def test_phrases_match_as_phrases_longest_first():
    spans = bridge.bridge_spans("patent search service", lambda term: 1)
    assert [key for _, _, key, _ in spans][0] == "patent search"
    assert bridge.bridge_spans("freedom to operate", lambda term: 1)[0][2] == "freedom to operate"


def test_only_words_the_catalogue_uses_are_kept_and_the_most_used_weigh_most():
    uses = {"测试": 10, "检测": 2}
    alternatives = bridge.cedict_alternatives("exam", lambda term: uses.get(term, 0))
    assert alternatives == []  # 考试 is a translation, but no listing uses it
    weights = dict(bridge.cedict_alternatives("tests", lambda term: uses.get(term, 0)))
    assert set(weights) == {"测试", "检测"} and weights["测试"] == 1.0 > weights["检测"]


def test_plurals_and_verb_forms_reach_the_base_word():
    assert "print" in bridge.word_forms("printing") and "patent" in bridge.word_forms("patents")


def test_english_queries_find_chinese_listings(run):
    assert keys(run("failure analysis"))[0] == "polymer"
    assert "hightech" in keys(run("high-tech enterprise certification"))[:2]
    assert "cowork" in keys(run("incubator"))
    assert {"deduction"} <= set(keys(run("R&D tax deduction"))[:3])


def test_english_listings_still_match_their_own_words(run):
    assert keys(run("patent"))[0] == "patent-us"
