"""The one boundary for untrusted input: every request passes `refuse_hostile_text` before a view
runs, and views read numbers and dates only through the helpers here.

Why a boundary rather than per-view checks: PostgreSQL refuses NUL in text while SQLite stores it
(and openpyxl later refuses it in exports), `str.isdigit()` is true for '²' and '١٢', and a number
beyond the column's range reaches the database as an error. Each of these was a 500 somewhere; the
class is closed here once.
"""
import csv
import io
import re
import unicodedata
from datetime import date
from urllib.parse import unquote_to_bytes, urlsplit

from flask import abort, request
from flask_babel import gettext
from werkzeug.routing import IntegerConverter

from marketplace.errors import ValidationFailed, render_error
from marketplace.i18n import N_

MAX_ID = 2**31 - 1  # the largest INTEGER on PostgreSQL; ids and counts above it cannot exist
ASCII_INT = re.compile(r"[0-9]{1,10}")
EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2099, 12, 31)
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Bidirectional overrides and isolates: they make a text read differently from what it stores.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
TEXT_BREAKS = frozenset("\t\n\r")  # allowed in form values (text areas), never in addresses
LINE_BREAKS = frozenset("\t\n\r\v\f\u2028\u2029\x85")
FORM_MIMETYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
EXEMPT_ENDPOINTS = {"static"}


def hostile_character(text, allowed=frozenset()):
    """The first character no text of ours may hold (controls, DEL, bidi overrides, lone
    surrogates, the replacement character of undecodable bytes), or None."""
    for character in text:
        if character in allowed:
            continue
        if character in BIDI_CONTROLS or character == "\ufffd":
            return character
        if unicodedata.category(character) in ("Cc", "Cs"):
            return character
    return None


def valid_utf8(raw):
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def raw_address_is_clean():
    """Path and query string as the client sent them: valid UTF-8 once percent-decoded."""
    path = request.environ.get("PATH_INFO", "").encode("latin-1", "replace")
    return valid_utf8(path) and valid_utf8(unquote_to_bytes(request.query_string))


def hostile_request():
    if not raw_address_is_clean() or hostile_character(request.path):
        return True
    for key, value in request.args.items(multi=True):
        if hostile_character(key) or hostile_character(value):
            return True
    if request.mimetype in FORM_MIMETYPES:
        for key, value in request.form.items(multi=True):
            if hostile_character(key) or hostile_character(value, TEXT_BREAKS):
                return True
        for upload in request.files.values():
            if hostile_character(upload.filename or ""):
                return True
    return False


def refuse_hostile_text():
    """before_request: a request carrying hostile characters stops here with a 400 in the
    user's language, before any view, form or query sees it."""
    if request.endpoint in EXEMPT_ENDPOINTS:
        return None
    if hostile_request():
        return render_error(400, gettext("Bad request"), gettext(
            "The address or the form contains characters that are not allowed (control characters, "
            "text direction overrides or bytes that are not UTF-8). Please remove them and try again."))
    return None


class BoundedIntegerConverter(IntegerConverter):
    """`<int:…>` matches ASCII digits up to 2^31−1 only; anything else is a 404, never a query."""

    regex = r"[0-9]{1,10}"

    def to_python(self, value):
        number = int(value)
        if number > MAX_ID:
            from werkzeug.routing import ValidationError
            raise ValidationError()
        return number


def register(app):
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.before_request(refuse_hostile_text)


# ---- parsing helpers: views read numbers and dates only through these ----

def parse_int(text, minimum=0, maximum=MAX_ID):
    """ASCII digits within [minimum, maximum] → int; anything else (Unicode digits, signs,
    blanks, huge numbers) → None."""
    text = (text or "").strip()
    if not ASCII_INT.fullmatch(text):
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


def arg_int(name, default=None, minimum=0, maximum=MAX_ID, missing=404):
    """The query (or form) argument `name` as an int. Absent → `default`; present but not a whole
    number in range → abort(missing) (404 for addresses that cannot exist)."""
    raw = request.values.get(name, "")
    if raw.strip() == "":
        if default is None:
            abort(missing)
        return default
    number = parse_int(raw, minimum, maximum)
    if number is None:
        abort(missing)
    return number


def form_ints(name, maximum=MAX_ID):
    """Every value of a repeated form field (ticked checkboxes) that is a valid id; others are ignored."""
    values = (parse_int(raw, 1, maximum) for raw in request.form.getlist(name))
    return [number for number in values if number is not None]


def parse_date(text):
    """'2027-03-01' within 2000-01-01 … 2099-12-31 → date; anything else → None."""
    text = (text or "").strip()
    if not ISO_DAY.fullmatch(text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if EARLIEST_DAY <= day <= LATEST_DAY else None


def one_line(text):
    """True when `text` holds no line break or tab (for one-line fields: names, numbers, titles)."""
    return not any(character in LINE_BREAKS for character in text or "")


# ---- CSV files uploaded by users (batch issuance, catalogue import) ----

class CSVRefused(ValidationFailed):
    message = N_("The file cannot be read as CSV.")


def csv_rows(text, refused=CSVRefused):
    """Yield (line number, cells) of an uploaded CSV, header included. An over-long field, broken
    quoting or a hostile character refuses the whole file, naming the line, rather than reaching a
    500 or the database. `refused` is the caller's DomainError class for a refused file."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise refused(N_("Line %(line)s cannot be read: a field is longer than %(limit)s characters or a "
                                "quotation mark is not closed."), line=max(reader.line_num, 1), limit=csv.field_size_limit())
        if any(hostile_character(cell, TEXT_BREAKS) for cell in cells):
            raise refused(N_("Line %(line)s contains characters that are not allowed (control characters "
                                "or text direction overrides)."), line=reader.line_num)
        yield reader.line_num, cells


def safe_next(target, default):
    """A ?next= or form `next` target: only same-site paths, so a crafted one cannot send the user elsewhere."""
    parts = urlsplit(target or "")
    if target and not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//") \
            and "\\" not in target:  # browsers read a backslash as a slash: /\\evil.example
        return target
    return default
