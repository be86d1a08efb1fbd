"""Highlighted snippets computed from the query's terms found in each hit, with offsets into the
original (unfolded) text, so Traditional text is highlighted where it stands."""
import re
from functools import lru_cache

from markupsafe import Markup, escape

from marketplace.search.analysis import BigramTokenizer, ChineseAnalyzer, ChineseTokenizer, LatinTokenizer, initials, is_cjk, \
    pinyin


MARKDOWN = re.compile(r"[*_#>`|]+|!?\[|\]\([^)]*\)")
LIST_MARKER = re.compile(r"^\s*(?:[-*+•]|\d+[.)、])\s+", re.MULTILINE)
DESCRIPTION_SCANNED = 1000  # the description snippet is chosen from its first 1,000 characters


def match_spans(text, terms, pinyin_terms=(), bigram_terms=(), latin_terms=()):
    """Sorted, merged (start, end) offsets of every occurrence of the matched terms in text."""
    if not text:
        return []
    spans = [(start, end) for term, start, end in tokens("words", text) if term in terms]
    if pinyin_terms:
        spans += [(start, end) for term, start, end in tokens("segments", text)
                  if is_cjk(term) and (pinyin(term) in pinyin_terms or initials(term) in pinyin_terms)]
    if latin_terms:
        spans += [(start, end) for term, start, end in tokens("latin", text) if term in latin_terms]
    if bigram_terms:
        spans += [(start, end) for term, start, end in tokens("bigrams", text) if term in bigram_terms]
    return merge(spans)


ANALYZERS = {"words": ChineseAnalyzer(), "segments": ChineseTokenizer(), "latin": LatinTokenizer(),
             "bigrams": BigramTokenizer()}


@lru_cache(maxsize=8192)
def tokens(kind, text):
    """(term, start, end) of text by one of the index's analyzers, offsets into the original
    text. Cached: the same hits come back for popular queries, and analysing them is most of
    the cost of highlighting."""
    return tuple((t.text, t.startchar, t.endchar) for t in ANALYZERS[kind](text, chars=True))


def merge(spans):
    merged = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def window(text, spans, width):
    """The part of text, at most `width` characters, holding the most matches."""
    if len(text) <= width or not spans:
        return 0, min(len(text), width)
    best, best_count = spans[0][0], 0
    for start, _ in spans:
        count = sum(1 for s, e in spans if start <= s and e <= start + width)
        if count > best_count:
            best, best_count = start, count
    begin = max(0, min(best - width // 6, len(text) - width))
    return begin, begin + width


def mark(text, spans, width=None):
    """HTML-safe text with <mark> around the spans, cut to a window of `width` characters."""
    text = text or ""
    begin, end = window(text, spans, width) if width else (0, len(text))
    parts, cursor = [], begin
    for start, stop in spans:
        start, stop = max(start, begin), min(stop, end)
        if start >= stop:
            continue
        parts += [escape(text[cursor:start]), Markup("<mark>"), escape(text[start:stop]), Markup("</mark>")]
        cursor = stop
    parts.append(escape(text[cursor:end]))
    prefix = "…" if begin > 0 else ""
    suffix = "…" if end < len(text) else ""
    return Markup(prefix) + Markup("").join(parts) + Markup(suffix)


def description_words(markdown, summary):
    """The description as plain words for a snippet: no Markdown markup, lines and list items
    joined by " · " (not "1. … 2. …" run together), and without a first sentence that only
    repeats the summary shown just above it."""
    text = LIST_MARKER.sub("", markdown[:DESCRIPTION_SCANNED])
    lines = [" ".join(MARKDOWN.sub(" ", line).split()) for line in text.splitlines()]
    text = " · ".join(line for line in lines if line)
    summary = " ".join(summary.split())
    if summary and text.startswith(summary):
        text = text[len(summary):].lstrip(" ·")
    return text


def highlights(stored, matched):
    """{field: HTML} for title, summary and a description snippet of one hit. `matched` is
    [(field, term)] of the query's terms (see searching.query_terms); only those found in the text are marked."""
    by_field = {}
    for name, term in matched:
        by_field.setdefault(name, set()).add(term.decode("utf-8") if isinstance(term, bytes) else str(term))
    words = set().union(*(by_field.get(n, set()) for n in ("title", "tags", "summary", "description", "provider")))
    pinyins, grams = by_field.get("title_pinyin", set()), by_field.get("bigram", set()) | by_field.get("bigram_title", set())
    latin = by_field.get("latin", set())
    result = {"title": mark(stored.get("title", ""), match_spans(stored.get("title", ""), words, pinyins, grams, latin))}
    for name, width in (("summary", 120), ("description", 160)):
        text = stored.get(name) or ""
        if name == "description":
            text = description_words(text, stored.get("summary") or "")
        spans = match_spans(text, words, (), grams, latin)
        if spans or (name == "summary" and text):
            result[name] = mark(text, spans, width)
    return result
