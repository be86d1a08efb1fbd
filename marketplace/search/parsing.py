"""Words of a query that are really conditions: 免费 / free, 可用创新券 / voucher eligible,
5000元以内 / under 5000 / 不超过2万, 1万以上 / over 10k, and a city of the catalogue. They are taken
out of the text (a listing need not contain them) and become the request's own filters
(`voucher`, `min_price`, `max_price` — the same ones the facets set) or, for a city, a boost
that ranks that city's listings first. Pure functions: the searcher calls them with the cities
of its index, the database fallback without cities.

Decisions (docs/search.md): "free" means a listed price of ¥0 — "price on request" is a quote,
not free. It is a boost, not a filter, like a city: 免费 is as often part of what a service
offers (首次免费咨询 in a paid listing) as a condition, so ¥0 listings rank first and the others
still follow. A condition the request already sets through its parameters is left to the
parameter (the parameter wins).""" 
import re
import unicodedata
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from marketplace.money import MAX_FEN
from marketplace.search.analysis import fold, pinyin

VOUCHER, FREE, MAX_PRICE, MIN_PRICE, CITY = "voucher", "free", "max_price", "min_price", "city"
BOOSTS = (FREE, CITY)  # conditions that rank first rather than filter (see the module's decisions)
HIGHEST_FEN = MAX_FEN - 1  # below the "price on request" sort value: such listings never fall in a range

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
MULTIPLIERS = {"万": 10000, "w": 10000, "千": 1000, "k": 1000, "百": 100}

NUMBER = (r"(?P<num>\d+(?:,\d{3})*(?:\.\d+)?(?![\d.,]*\d)|[零〇一二两三四五六七八九十百千万]+(?![零〇一二两三四五六七八九十百千万]))"
          r"\s*(?P<mult>万|千|百|k|w(?![a-z]))?")
CURRENCY = r"(?:¥|rmb\s*|cny\s*)?"
UNIT = r"(?:\s*(?:元|块钱|块|人民币|rmb|cny|yuan|rmb))?"
# a number followed by one of these is not an amount of money (under 10 days, 3 米, 50%)
NOT_MONEY = r"(?!\s*(?:天|日|小时|周|个|月|年|米|度|人|项|件|台|%|days?\b|weeks?\b|hours?\b|months?\b|years?\b|mm\b|cm\b|m\b|kg\b|g\b|v\b|kv\b|hz\b|mhz\b|ghz\b|db\b|pcs\b|pieces?\b|units?\b))"
AMOUNT = CURRENCY + NUMBER + UNIT + NOT_MONEY
PRICE_WORD = r"(?:(?:价格|价钱|费用|预算|报价|收费|价位)\s*(?:在|为)?\s*)?"

PATTERNS = [  # (kind, compiled pattern); earlier kinds take their text first
    (MAX_PRICE, PRICE_WORD + AMOUNT + r"\s*(?:及以下|或以下|以内|以下|之内|之下|内|封顶)(?:的)?"),
    (MAX_PRICE, r"(?:不超过|不高于|不多于|不大于|低于|少于|小于|最多|最高|控制在|预算)\s*" + AMOUNT
     + r"(?:\s*(?:以内|以下|之内|内))?(?:的)?"),
    (MAX_PRICE, r"(?<![\w-])(?:under|below|less\s+than|cheaper\s+than|up\s+to|at\s+most|max(?:imum)?|within|"
     r"no\s+more\s+than|not\s+more\s+than|budget(?:\s+of)?|<=?|≤)\s*" + AMOUNT),
    (MAX_PRICE, r"(?<![\w.,])" + AMOUNT + r"\s+(?:or\s+less|or\s+under|max(?:imum)?)(?![\w-])"),
    (MIN_PRICE, PRICE_WORD + AMOUNT + r"\s*(?:及以上|或以上|以上)"),
    (MIN_PRICE, r"(?:不低于|不少于|高于|超过|至少|最低)\s*" + AMOUNT + r"(?:\s*以上)?"),
    (MIN_PRICE, r"(?<![\w-])(?:over|above|more\s+than|at\s+least|min(?:imum)?)\s*" + AMOUNT),
    (FREE, r"(?:免费|不要钱|不收费|零收费|零元|(?<![\w.,])0\s*元)(?:的)?"),
    (FREE, r"(?<![\w-])(?:free\s+of\s+charge|for\s+free|free(?!\s+trade)|no[\s-]cost|gratis)(?![\w-])"),
    (VOUCHER, r"(?:(?:可以|可|能|能够|支持|接受|允许)\s*(?:使用|用)?\s*)?(?:科技)?创新券"
     r"(?!\s*(?:申请|申报|政策|兑付|兑现|办理|登记|额度))(?:\s*(?:可用|可以用|能用|支付|抵扣|适用))?(?:的)?"),
    (VOUCHER, r"(?:可以|可|能|能够|支持)\s*用\s*券(?:的)?"),
    (VOUCHER, r"(?<![\w-])(?:(?:eligible|payable)\s+(?:for|with|by)\s+(?:an?\s+)?(?:innovation\s+)?vouchers?"
     r"|(?:(?:accepts?|takes?|with|using|use|pay\s+(?:by|with))\s+(?:an?\s+)?)?(?:innovation\s+)?vouchers?"
     r"(?!\s+(?:application|applications|policy|scheme))(?:[\s-]+(?:eligible|accepted|ok|friendly))?)(?![\w-])"),
]
COMPILED = [(kind, re.compile(pattern, re.IGNORECASE), True) for kind, pattern in PATTERNS]
CITY_AFTER = r"(?:市|地区|本地|当地)?(?!大学|理工|学院|医科)"


@dataclass(frozen=True)
class Condition:
    """One condition read from the query: `kind` (voucher, free, max_price, min_price, city),
    `value` (True, fen, or the city), `phrase` as the user typed it, `without` the query
    text without it (the link that removes it)."""

    kind: str
    value: object
    phrase: str
    without: str

    @property
    def effect(self):
        return "boost" if self.kind in BOOSTS else "filter"


@dataclass
class Understood:
    text: str  # what is left to search as text
    conditions: list = field(default_factory=list)


def normalised(text):
    """NFKC (full-width digits and ￥ become ASCII) with single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def understand(text, cities=()):
    """The conditions in `text` and the text without them. `cities`: the catalogue's cities
    (a city in the query is understood only if listings have it)."""
    original = normalised(text)
    folded = fold(original)
    if len(folded) != len(original):  # folding changed lengths: match the unfolded text
        folded = original.lower()
    taken = [False] * len(original)
    found = []  # (start, end, kind, value)
    for kind, pattern, fixed in COMPILED + city_patterns(tuple(cities or ())):
        for match in pattern.finditer(folded):
            start, end = match.span()
            if start == end or any(taken[start:end]):
                continue
            value = amount_fen(match.group("num"), match.group("mult")) if kind in (MAX_PRICE, MIN_PRICE) else fixed
            if value is None:
                continue
            taken[start:end] = [True] * (end - start)
            found.append((start, end, kind, value))
    if not found:
        return Understood(original)
    found.sort()
    conditions, seen = [], set()
    for start, end, kind, value in found:
        if kind not in seen:  # the first of each kind counts; repeats are only taken out of the text
            seen.add(kind)
            conditions.append(Condition(kind, value, original[start:end].strip(), cut(original, [(start, end)])))
    return Understood(cut(original, [(start, end) for start, end, _, _ in found]), conditions)


def cut(text, spans):
    kept, cursor = [], 0
    for start, end in sorted(spans):
        kept.append(text[cursor:start])
        cursor = end
    kept.append(text[cursor:])
    return " ".join(" ".join(kept).split())


def amount_fen(number, multiplier):
    """'5,000' → 500000; '1.5', '万' → 1500000; '两千五' → 250000; None when it is no number."""
    try:
        value = Decimal(number.replace(",", "")) if number[0].isdigit() else Decimal(chinese_number(number))
    except (InvalidOperation, ValueError):
        return None
    if multiplier:
        value *= MULTIPLIERS[multiplier.lower()]
    return min(int(value * 100), HIGHEST_FEN)


def chinese_number(text):
    """一万 → 10000, 两千五 → 2500 (colloquial: the digit after the last unit is one unit lower),
    三万五 → 35000, 十万 → 100000. Raises ValueError for text that is not a number."""
    total, section, digit, last_unit = 0, 0, None, 0
    for char in text:
        if char in CN_DIGITS:
            if digit is not None:
                raise ValueError(text)
            digit = CN_DIGITS[char]
        elif char in CN_UNITS:
            section += (1 if digit is None else digit) * CN_UNITS[char]
            digit, last_unit = None, CN_UNITS[char]
        elif char == "万":
            total += (section + (digit or 0)) * 10000 if (section or digit) else 10000
            section, digit, last_unit = 0, None, 10000
        else:
            raise ValueError(text)
    if digit is not None and last_unit >= 10:
        digit *= last_unit // 10
    return total + section + (digit or 0)


@lru_cache(maxsize=8)
def city_patterns(cities):
    """(CITY, pattern, city) per city of the catalogue: its Chinese name (not 厦门大学), and its
    pinyin as an English word (Xiamen); the city as the index stores it."""
    patterns = []
    for city in cities:
        name = fold(city or "").strip()
        if len(name) < 2:
            continue
        options = [re.escape(name) + CITY_AFTER]
        sound = pinyin(name)
        if sound.isascii() and sound.isalpha() and len(sound) >= 4:
            options.append(r"(?<![a-z])" + sound + r"(?:\s+city)?(?![a-z])")
        patterns.append((CITY, re.compile("|".join(options), re.IGNORECASE), city))
    return patterns


def applied(request, understood):
    """The request to search: the text without its conditions, and each condition the
    parameters leave unset as the request's own filter. → (request, the conditions applied)."""
    changes, used = {"q": understood.text}, []
    for condition in understood.conditions:
        if condition.kind == VOUCHER and request.voucher is None:
            changes["voucher"] = True
        elif condition.kind == MAX_PRICE and request.max_price is None:
            changes["max_price"] = condition.value
        elif condition.kind == MIN_PRICE and request.min_price is None:
            changes["min_price"] = condition.value
        elif condition.kind == CITY and not request.city or condition.kind == FREE and request.max_price is None:
            pass  # a boost, applied by the searcher
        else:
            continue
        used.append(condition)
    return replace(request, **changes), used
