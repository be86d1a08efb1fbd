"""Simplified → Traditional Chinese (Taiwan usage) for the zh_Hant_TW interface.

OpenCC's s2twp converts characters and common phrases to Taiwan usage (软件 → 軟體, 信息 → 資訊),
but it gets some of this marketplace's domain words wrong (代码 → 程式碼 in 统一社会信用代码,
审核 → 稽核, which means an audit, 项目 → 專案 where a funding programme is a 計畫). The reviewed
table in translations/zh_Hant_TW/terms.json wins: its Simplified terms are set aside before
OpenCC runs and put back in their Taiwan form afterwards.
"""
import functools
import json
from pathlib import Path

TERMS_FILE = Path(__file__).parent / "translations" / "zh_Hant_TW" / "terms.json"
TRADITIONAL_LOCALE = "zh_Hant_TW"
_MARK_OPEN, _MARK_CLOSE = "\ue000", "\ue001"  # private-use characters: OpenCC passes them through
TAIWAN_QUOTES = str.maketrans({"“": "「", "”": "」", "‘": "『", "’": "』"})


@functools.cache
def _converter():
    from opencc import OpenCC

    return OpenCC("s2twp")


@functools.cache
def reviewed_terms():
    """Simplified term → Taiwan term, longest first so 统一社会信用代码 is taken before 代码."""
    terms = json.loads(TERMS_FILE.read_text(encoding="utf-8"))["terms"]
    return tuple(sorted(terms.items(), key=lambda item: -len(item[0])))


def to_traditional(text):
    """Convert Simplified Chinese UI text to Traditional with Taiwan phrasing."""
    if not text:
        return text
    protected = []
    for simplified, taiwan in reviewed_terms():
        if simplified in text:
            text = text.replace(simplified, f"{_MARK_OPEN}{len(protected)}{_MARK_CLOSE}")
            protected.append(taiwan)
    text = _converter().convert(text)
    for index, taiwan in enumerate(protected):
        text = text.replace(f"{_MARK_OPEN}{index}{_MARK_CLOSE}", taiwan)
    return text.translate(TAIWAN_QUOTES)


@functools.lru_cache(maxsize=512)
def display_traditional(text):
    """Cached conversion for names stored in Simplified in the database (category names)."""
    return to_traditional(text)
