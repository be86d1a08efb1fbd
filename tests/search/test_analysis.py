"""Folding, segmentation, pinyin, bigrams, synonym parsing and highlight offsets."""
import pytest

from marketplace.search.analysis import BigramAnalyzer, ChineseAnalyzer, PinyinAnalyzer, analyse, fold, initials, pinyin
from marketplace.search.highlight import mark, match_spans
from marketplace.search.query import normalise_synonyms, parse


@pytest.mark.parametrize("text, folded", [
    ("專利申請", "专利申请"), ("軟體著作權", "软件著作权"), ("電磁相容", "电磁兼容"), ("ＣＮＡＳ 認可", "cnas 认可"),
    ("高新技術企業", "高新技术企业"), ("EMC Testing", "emc testing"),
])
def test_folding_traditional_taiwan_vocabulary_and_width(text, folded):
    assert fold(text) == folded


def test_search_mode_segmentation_emits_sub_words():
    terms = analyse("发明专利申请代理")
    assert {"发明", "专利", "发明专利", "申请", "代理"} <= set(terms)


def test_user_dictionary_keeps_domain_terms_whole():
    assert "高新技术企业" in analyse("申请高新技术企业认定")
    assert "电磁兼容" in analyse("电磁兼容检测") and fold("软著") in analyse("软著加急")
    assert "cnas" in analyse("CNAS认可实验室")


def test_traditional_text_is_indexed_as_simplified():
    assert analyse("軟體著作權登記") == analyse("软件著作权登记")


def test_english_is_lower_cased_stemmed_and_stop_words_dropped():
    assert analyse("Testing the Services") == ["test", "servic"]


def test_chinese_stop_words_of_natural_questions_are_dropped():
    terms = analyse("我们公司想申请高新技术企业需要找辅导机构")
    assert "我们" not in terms and "公司" not in terms and "需要" not in terms
    assert {"申请", "高新技术企业", "辅导", "机构"} <= set(terms)


def test_pinyin_and_initials():
    assert pinyin("专利") == "zhuanli" and initials("专利") == "zl"
    terms = analyse("发明专利申请", PinyinAnalyzer())
    assert {"zhuanli", "zl", "faming", "famingzhuanli", "shenqing"} <= set(terms)


def test_bigrams_with_character_positions():
    tokens = [(t.text, t.pos) for t in BigramAnalyzer()("专利申请 EMC", positions=True)]
    assert tokens == [("专利", 0), ("利申", 1), ("申请", 2), ("emc", 5)]


def test_offsets_point_into_the_original_traditional_text():
    tokens = [(t.text, t.startchar, t.endchar) for t in ChineseAnalyzer()("申請專利", chars=True)]
    assert ("专利", 2, 4) in tokens and ("申请", 0, 2) in tokens


def test_highlight_offsets_with_repeated_words():
    text = "专利，专利专利 and 專利"
    spans = match_spans(text, {"专利"})
    assert spans == [(0, 2), (3, 7), (12, 14)]
    assert str(mark(text, spans)) == "<mark>专利</mark>，<mark>专利专利</mark> and <mark>專利</mark>"


def test_highlight_escapes_html_and_cuts_a_window_around_matches():
    text = "<b>" + "长" * 200 + "专利" + "尾" * 200
    html = str(mark(text, match_spans(text, {"专利"}), width=40))
    assert "<mark>专利</mark>" in html and "<b>" not in html and html.startswith("…") and html.endswith("…")
    assert len(html) < 80


def test_synonyms_are_found_as_units_longest_first_and_on_word_boundaries():
    table = normalise_synonyms([["IP", "知识产权"], ["软著", "软件著作权"]])
    units = parse("軟體著作權登記 IP", table).units
    assert [u.text for u in units] == ["软件著作权", "登记", "ip"]
    assert units[0].alternatives == [fold("软著")] and units[2].alternatives == ["知识产权"]
    assert all(u.alternatives == [] for u in parse("zip 文件", table).units)


def test_empty_and_punctuation_only_queries_have_no_units():
    assert parse("").empty and parse(" ，。!! ").empty


def test_a_description_snippet_neither_repeats_the_summary_nor_runs_list_items_together():
    from marketplace.search.highlight import description_words

    description = "进入美欧日韩前的国际阶段一站式代理。\n\n**服务流程**\n1. 需求沟通与报价确认\n2. 签订合同\n- 按约定交付"
    assert description_words(description, "进入美欧日韩前的国际阶段一站式代理。") == \
        "服务流程 · 需求沟通与报价确认 · 签订合同 · 按约定交付"
    assert description_words("[官网](https://x.example) 介绍", "别的摘要").startswith("官网 介绍")
