"""Misspelt words corrected before the passes run, so a typo reaches the listings of the word
meant — in both languages: `incubater` → incubator → 孵化器 listings; 专力 → 专利.

An English word is corrected only when nothing knows it: not the index (its Latin words, title
pinyin, stemmed text words) and not the bridge (glossary, CC-CEDICT). Candidates are the
index's Latin words and title pinyin and the bridge's English words, within 1 edit (up to 5
letters) or 2 (longer), transpositions counting as one (rapidfuzz OSA); among the closest, the
one leading to the most listings wins. A Chinese word the index does not hold becomes the most
frequent title word with the same pinyin (同音字)."""
import re
from collections import OrderedDict
from functools import lru_cache
from threading import Lock

from marketplace.search import bridge
from marketplace.search.analysis import is_cjk, pinyin, stem
from marketplace.search.analysis import words as words_of

WORD = re.compile(r"(?<![a-z0-9])[a-z]{4,}(?![a-z0-9])")
_lexicons, _corrections, _lock = OrderedDict(), OrderedDict(), Lock()


def max_edits(word):
    return 1 if len(word) <= 5 else 2


class Lexicon:
    """The index's Latin words and title pinyin. Membership is a term lookup; the word lists
    (correction candidates) are read only when a word needs correcting, one per segment and
    cached by segment id — segments never change, so a commit adds one small list to read."""

    FIELDS = ("latin", "title_pinyin")

    def __init__(self, searcher):
        from marketplace.search.postings import generation_key

        self.searcher, self.reader = searcher, searcher.reader()
        self.fields = [name for name in self.FIELDS if name in searcher.schema]
        self.generation = generation_key(searcher)

    def __contains__(self, word):
        return self.get(word, 0) > 0

    def get(self, word, default=0):
        """Listings using the word (the larger of its two fields)."""
        return max([self.reader.doc_frequency(name, word) for name in self.fields] + [default])

    def word_lists(self):
        from marketplace.search.postings import segment_key

        return [segment_words(reader, segment_key(reader), self.fields) for reader, _ in self.reader.leaf_readers()]


def segment_words(reader, key, fields):
    with _lock:
        if key in _lexicons:
            _lexicons.move_to_end(key)
            return _lexicons[key]
    words = set()
    for fieldname in fields:
        for btext in reader.lexicon(fieldname):
            text = btext.decode("utf-8") if isinstance(btext, bytes) else btext
            if text.isalpha():
                words.add(text)
    found = by_initial(words)
    with _lock:
        _lexicons[key] = found
        while len(_lexicons) > 64:  # merged-away segments and old generations
            _lexicons.popitem(last=False)
    return found


def known(word, words, vocabulary):
    return (vocabulary(stem(word)) or vocabulary(word) or word in words
            or bool(bridge.glossary_alternatives(word)) or bridge.cedict_alternatives(word, vocabulary) != [])


def by_initial(words):
    """{first letter: sorted words}: a misspelling is taken to keep its first letter (as the
    fuzzy pass's prefixlength=1 does), so each correction compares a 26th of the words."""
    buckets = {}
    for word in sorted(words):
        buckets.setdefault(word[0], []).append(word)
    return buckets


def english_correction(word, words, vocabulary):
    """The closest useful word for an unknown English word, or None (remembered per index
    generation: a misspelling tends to recur)."""
    key = (word, words.generation)
    with _lock:
        if key in _corrections:
            _corrections.move_to_end(key)
            return _corrections[key]
    right = closest(word, words, vocabulary)
    with _lock:
        _corrections[key] = right
        while len(_corrections) > 4096:
            _corrections.popitem(last=False)
    return right


def closest(word, words, vocabulary):
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    limit = max_edits(word)
    found = {}
    for buckets in words.word_lists() + [_bridge_words()]:
        for candidate, distance, _ in process.extract(word, buckets.get(word[0], ()), scorer=OSA.distance,
                                                      score_cutoff=limit, limit=25):
            found[candidate] = min(distance, found.get(candidate, 9))
    # closest first; then the domain's own words (the glossary), the same length (a wrong
    # letter is likelier than a missing one), the most listings
    ranked = sorted(found, key=lambda c: (found[c], not bridge.glossary_alternatives(c), abs(len(c) - len(word)),
                                          -usefulness(c, words, vocabulary), c))
    for candidate in ranked:
        if usefulness(candidate, words, vocabulary):
            return candidate
    return None


def usefulness(word, words, vocabulary):
    """How many listings the word leads to: itself in the index, or its bridged Chinese."""
    direct = words.get(word, 0)
    bridged = [vocabulary(zh.split()[0]) for zh, _ in bridge.glossary_alternatives(word)]
    bridged += [vocabulary(zh) for zh, _ in bridge.cedict_alternatives(word, vocabulary)]
    if word in glossary_words():
        bridged.append(1)  # a word of a glossary phrase (compatibility in electromagnetic compatibility)
    return max([direct] + bridged)


_bridge_cache = []


@lru_cache(maxsize=1)
def glossary_words():
    return frozenset(word for key in bridge.glossary() for word in key.split())


def _bridge_words():
    if not _bridge_cache:
        _bridge_cache.append(by_initial(bridge.english_vocabulary()))
    return _bridge_cache[0]


def matches(word, vocabulary):
    """Whether a Chinese word finds anything: itself, or all of its search-mode sub-words."""
    if vocabulary(word):
        return True
    parts = [w for w, _, _ in words_of(word) if w != word]
    return bool(parts) and all(vocabulary(part) for part in parts)


def corrected_text(folded, units, words, vocabulary, sounding):
    """(the folded query with its misspellings corrected, {wrong: right}) — unchanged when
    nothing needed correcting. `sounding(pinyin)` → the title word that sounds so, or None."""
    changes = {}
    for match in WORD.finditer(folded):
        word = match.group()
        if word not in changes and not known(word, words, vocabulary):
            right = english_correction(word, words, vocabulary)
            if right and right != word:  # a word the bridge knows but no listing uses: nothing to correct
                changes[word] = right
    for unit in units:
        if is_cjk(unit.text) and not unit.alternatives and len(unit.text) >= 2 and not matches(unit.text, vocabulary):
            right = sounding(pinyin(unit.text))
            if right and right != unit.text:
                changes[unit.text] = right
    text = folded
    for wrong, right in changes.items():
        pattern = re.escape(wrong) if is_cjk(wrong) else r"(?<![a-z0-9])" + re.escape(wrong) + r"(?![a-z0-9])"
        text = re.sub(pattern, right, text)
    return text, changes


def warm(searcher):
    """Load what the first misspelt English query would otherwise wait for (≈ 1–3 s once a
    process): the reversed CC-CEDICT, the correction candidates and the index's word lists."""
    bridge.cedict()
    _bridge_words()
    Lexicon(searcher).word_lists()
