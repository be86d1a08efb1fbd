"""Text analysis shared by indexing and querying: folding (NFKC, Traditional → Simplified with
OpenCC's phrase-level tw2sp, lower case), Chinese word segmentation (rjieba search mode with the
project user dictionary), English stemming, pinyin and pinyin initials, character bigrams.

Whoosh pickles the schema with these analyzer classes: keep them at this import path."""
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from whoosh.analysis import Filter, StemFilter, StopFilter, Token, Tokenizer

USER_DICT = Path(__file__).with_name("userdict.txt")
SYNONYM_FILE = Path(__file__).with_name("data") / "synonyms.txt"
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
WORDISH = re.compile(r"\w", re.UNICODE)
ASCII_WORD = re.compile(r"[a-z0-9]+")
CHUNK = re.compile(r"[^\s，。；、,.;:：！？!?()（）]+|[\s，。；、,.;:：！？!?()（）]+")

# Function words of natural-language queries (我们公司想申请…需要找…) and English stop words.
CHINESE_STOP = frozenset("""的 了 和 与 及 或 在 是 有 我 我们 你 您 你们 他们 公司 想 想要 要 需要 找 请问 请 哪里 哪家 哪个
怎么 怎样 如何 什么 可以 能 能够 帮 帮忙 一下 一个 一些 这个 那个 这 那 吗 呢 吧 啊 给 让 把 被 对 从 到 为 为了
就 都 也 还 很 更 最 等 个 家 些 做 办 办理 关于 相关 有关 提供""".split())
ENGLISH_STOP = frozenset("""a an and are as at be by for from how i in is it my of on or our the to we what where
which who with need want looking find company""".split())
STOP_WORDS = CHINESE_STOP | ENGLISH_STOP
PROTECTED = set()  # Latin words of the user dictionary (CNAS, EMC …) are never stemmed
SYNONYM_WORD_FREQUENCY = 50000


@lru_cache(maxsize=1)
def _converter():
    from opencc import OpenCC

    return OpenCC("tw2sp")


@lru_cache(maxsize=1)
def segmenter():
    """The rjieba segmenter with the project user dictionary and the Chinese terms of the
    shipped synonym file loaded, once per process, and never changed afterwards: what a text
    is analysed into is a function of these two files only — not of the queries a process
    served, nor of synonym groups admins add later (those still match: query.synonym_spans
    finds them in the query text, whatever the segmenter does)."""
    import rjieba

    jieba = rjieba.Jieba()
    for line in USER_DICT.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if parts and not line.startswith("#"):
            for word in dict.fromkeys([parts[0], fold(parts[0])]):  # OpenCC folds 软著 to 软着
                jieba.add_word(word, int(parts[1]) if len(parts) > 1 else None, None)
                if word.isascii():
                    PROTECTED.add(word)
    for word in synonym_file_words():
        if not jieba.has_word(word):
            jieba.add_word(word, SYNONYM_WORD_FREQUENCY, None)
    return jieba


def synonym_file_words():
    """The short (≤ 4 characters) folded Chinese terms of the shipped synonym groups — 软著,
    高企, 知产, 中试 …; longer ones (高新技术企业认定) are left to the dictionary, which would
    otherwise no longer give their sub-words (高新技术企业) in search mode."""
    found = []
    for line in SYNONYM_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            for term in line.replace("，", ",").split(","):
                term = fold(term.strip())
                if CJK.search(term) and " " not in term and len(term) <= 4 and term not in found:
                    found.append(term)
    return found


def fold(text):
    """NFKC (full-width → ASCII), Traditional (Taiwan vocabulary) → Simplified, lower case."""
    text = unicodedata.normalize("NFKC", text or "")
    if CJK.search(text):
        text = _converter().convert(text)
    return text.lower()


@lru_cache(maxsize=4096)
def fold_with_offsets(text):
    """(folded text, map from folded offset to original offset, or None when offsets are the
    same). tw2sp may change the length of a phrase (記憶體 → 内存); such chunks map
    proportionally so highlights stay near the words."""
    whole = fold(text)
    if len(whole) == len(text or ""):
        return whole, None
    folded, mapping = [], []
    for match in CHUNK.finditer(text or ""):
        original = match.group()
        converted = fold(original)
        start = match.start()
        if len(converted) == len(original):
            mapping.extend(range(start, start + len(original)))
        else:
            ratio = len(original) / max(len(converted), 1)
            mapping.extend(start + int(i * ratio) for i in range(len(converted)))
        folded.append(converted)
    mapping.append(len(text or ""))
    return "".join(folded), tuple(mapping)


def is_cjk(word):
    return bool(CJK.search(word))


@lru_cache(maxsize=4096)
def words(folded, mode="search"):
    """(word, start, end) of folded text, without whitespace and punctuation."""
    return tuple(piece for piece in segmenter().tokenize(folded, mode=mode)
                 if piece[0].isalnum() or WORDISH.search(piece[0]))  # isalnum: the usual case, faster


@lru_cache(maxsize=50000)
def pinyin(word):
    """'专利' → 'zhuanli'; non-Chinese characters are kept (lower case)."""
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(word)).lower()


@lru_cache(maxsize=50000)
def initials(word):
    """'专利' → 'zl'."""
    from pypinyin import Style, lazy_pinyin

    return "".join(part[:1] for part in lazy_pinyin(word, style=Style.FIRST_LETTER)).lower()


class _BaseTokenizer(Tokenizer):
    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self).__name__)

    def _tokens(self, value, positions, chars, keeporiginal, removestops, start_pos, start_char, mode, **kwargs):
        raise NotImplementedError

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        folded, mapping = fold_with_offsets(value)
        for pos, (text, start, end) in enumerate(self.pieces(folded)):
            token.text, token.boost, token.stopped = text, 1.0, False
            if keeporiginal:
                token.original = text
            if positions:
                token.pos = start_pos + (start if self.char_positions else pos)
            if chars:
                if mapping is not None:
                    start, end = mapping[start], mapping[end]
                token.startchar, token.endchar = start_char + start, start_char + end
            yield token

    char_positions = False

    def pieces(self, folded):
        raise NotImplementedError


class ChineseTokenizer(_BaseTokenizer):
    """rjieba search mode over folded text: 发明专利申请 → 发明 / 专利 / 发明专利 / 申请."""

    def pieces(self, folded):
        return words(folded)


class PinyinTokenizer(_BaseTokenizer):
    """Each Chinese word as pinyin ('zhuanli') and initials ('zl'), plus initials of adjacent
    word pairs ('fmzl'), so `zhuanli` and `zl` find 专利."""

    def pieces(self, folded):
        accurate = [w for w in words(folded, mode="default") if is_cjk(w[0])]
        for word, start, end in words(folded):
            if is_cjk(word):
                yield pinyin(word), start, end
                if len(word) > 1:
                    yield initials(word), start, end
        for (first, start, _), (second, _, end) in zip(accurate, accurate[1:]):
            yield initials(first) + initials(second), start, end


class BigramTokenizer(_BaseTokenizer):
    """Overlapping character bigrams of Chinese runs (single characters kept), Latin words whole;
    positions are character offsets, so a phrase of bigrams is an exact substring match."""

    char_positions = True

    def pieces(self, folded):
        for match in re.finditer(r"[\u3400-\u9fff\uf900-\ufaff]+|[a-z0-9]+", folded):
            run, start = match.group(), match.start()
            if not is_cjk(run) or len(run) == 1:
                yield run, start, match.end()
                continue
            for i in range(len(run) - 1):
                yield run[i:i + 2], start + i, start + i + 2


class LatinTokenizer(_BaseTokenizer):
    """Latin words as typed (unstemmed): the vocabulary for typo tolerance and "did you mean"."""

    def pieces(self, folded):
        for match in re.finditer(r"[a-z][a-z0-9]+", folded):
            yield match.group(), match.start(), match.end()


class LatinStemFilter(Filter):
    """English stemming for ASCII words only (Chinese words and pinyin pass through)."""

    def __init__(self):
        self.stemmer = StemFilter()

    def __eq__(self, other):
        return type(self) is type(other)

    def __call__(self, tokens):
        for token in tokens:
            token.text = stem(token.text)
            yield token


def ChineseAnalyzer():  # noqa: N802 (named like Whoosh's analyzers)
    return ChineseTokenizer() | StopFilter(stoplist=STOP_WORDS, minsize=1) | LatinStemFilter()


def PinyinAnalyzer():  # noqa: N802
    return PinyinTokenizer()


def LatinAnalyzer():  # noqa: N802
    return LatinTokenizer()


def BigramAnalyzer():  # noqa: N802
    return BigramTokenizer()


@lru_cache(maxsize=1)
def _stemmer():
    return StemFilter().stemfn


@lru_cache(maxsize=50000)
def _porter(word):
    return _stemmer()(word)


def stem(word):
    """English stem of an ASCII word (acronyms of the user dictionary and short words kept)."""
    if not (word.isascii() and word.isalpha()) or len(word) <= 3 or word in PROTECTED:
        return word
    return _porter(word)  # the Porter stemmer is pure Python and the same words recur


def analyse(text, analyzer=None):
    """Terms an analyzer gives for text (tests and query building)."""
    return [token.text for token in (analyzer or ChineseAnalyzer())(text)]
