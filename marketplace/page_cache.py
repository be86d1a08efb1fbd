"""Anonymous visitors' public pages from a cache, invalidated by a generation counter.

What is cached: anonymous GETs of the catalogue and search pages (PAGE_ENDPOINTS), keyed by the
cache generation, the local date, the visitor's language (`i18n.visitor_locale`, what
`select_locale` gives anyone not logged in), the path and the query string. Never a logged-in user's page, nor a response that sets a cookie or carries
a flash message.

When it is invalidated: a commit that wrote a row a public page shows (`watched_classes`: listings
and their search outbox rows, reviews, programs, providers' profiles and organisations, categories,
synonyms, the search index's position; an order entering or leaving the done states, which cards count) bumps the generation after the commit, so the next request
looks under a new key. The generation is read before the page's data, and bumped after the data
is committed, so a page stored under the current generation is never older than it. It lives
where every process of the host reads it: in Redis with REDIS_URL (the cache too), otherwise in a
file in the instance folder next to each process's in-memory cache (so several hosts need Redis).
Entries also expire after PAGE_CACHE_TIMEOUT seconds (600), which bounds what changes with the
clock alone within a day.

Every cached page carries an ETag and Last-Modified, and answers conditional GETs with 304.

Where hits are answered: for a visitor with no session or remember-me cookie, before Flask
dispatches (`AnswerHits`, the innermost WSGI layer: a hit through Flask's request hooks cost ten
times a bare Flask response); for anyone else Flask's own hooks look it up (`serve_from_cache`).
Both count the search API's per-address limit first (`limits.allows`).
"""
import hashlib
import os
import time
import uuid
from datetime import datetime, timezone

from flask import current_app, g, has_app_context, request, session
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.http import http_date, is_resource_modified, quote_etag
from werkzeug.wrappers import Request

from marketplace.database import utcnow
from marketplace.extensions import cache
from marketplace.i18n import visitor_locale
from marketplace.limits import allows

PAGE_ENDPOINTS = frozenset({"catalog.home", "catalog.category", "catalog.listing", "catalog.provider",
                            "search.results", "search.api_search", "site.help_centre", "site.privacy"})
CHANGED = "page_cache_changed"  # session.info flag: this transaction wrote something a page shows


# -- the generation ---------------------------------------------------------------------------
GENERATION_KEY = "generation"


def uses_redis():
    return current_app.config["CACHE_TYPE"] == "RedisCache"


def generation():
    """The current generation: a token that changes with every bump."""
    if uses_redis():
        return cache.get(GENERATION_KEY) or "0"
    try:
        with open(current_app.config["PAGE_CACHE_GENERATION_FILE"]) as file:
            return file.read() or "0"
    except FileNotFoundError:
        return "0"


def bump():
    """A new generation: every page cached so far is out of date."""
    token = uuid.uuid4().hex  # a fresh token, never an increment: two bumps at once cannot collide
    if uses_redis():
        cache.set(GENERATION_KEY, token, timeout=0)
        return
    path = current_app.config["PAGE_CACHE_GENERATION_FILE"]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = f"{path}.{os.getpid()}.{token}"
    with open(temporary, "w") as file:
        file.write(token)
    os.replace(temporary, path)  # atomic: readers see the old token or the new one


def per_generation(name, compute):
    """compute() once per cache generation and day: language-independent figures many pages
    repeat (plain values only, None included: never ORM objects, which belong to one session)."""
    if not current_app.config["PAGE_CACHE"]:
        return compute()
    from marketplace.vouchers.rules import local_date

    try:
        key = f"figure:{generation()}:{local_date(utcnow())}:{name}"
        stored = cache.get(key)
    except Exception:  # Redis away: compute it as if nothing were cached
        current_app.logger.exception("page cache unavailable")
        return compute()
    if stored is None:
        stored = (compute(),)  # a tuple, so that a None figure is kept too
        cache.set(key, stored)
    return stored[0]


# -- what bumps it ----------------------------------------------------------------------------
def watched_classes():
    from marketplace.auth.models import Organisation
    from marketplace.catalog.models import (Category, Listing, ListingImage, ListingPackage, ListingRevision,
                                            ProviderProfile, Qualification, SearchOutbox)
    from marketplace.orders.models import Review
    from marketplace.search.models import Synonym
    from marketplace.vouchers.models import VoucherProgram

    return (SearchOutbox, Listing, ListingRevision, ListingPackage, ListingImage, Review, VoucherProgram,
            ProviderProfile, Qualification, Organisation, Category, Synonym)


def note_flush(session, flush_context, instances):
    watched = watched_classes()
    if any(isinstance(item, watched) for rows in (session.new, session.dirty, session.deleted) for item in rows):
        session.info[CHANGED] = True
    elif any(changes_completed_count(item) for item in session.dirty):
        session.info[CHANGED] = True


def changes_completed_count(item):
    """An order entering or leaving the done states changes its listing card's completed count."""
    from sqlalchemy import inspect

    from marketplace.orders.models import DONE_STATES, Order

    if not isinstance(item, Order):
        return False
    history = inspect(item).attrs.status.history
    return any(status in DONE_STATES for status in (*history.added, *history.deleted))


def note_statement(state):
    """Bulk writes bypass the flush: the catalogue import's outbox rows, the index's position."""
    if not (state.is_insert or state.is_update or state.is_delete) or state.bind_mapper is None:
        return
    from marketplace.search.models import SearchReplica

    entity = state.bind_mapper.class_
    if entity is SearchReplica:
        # The indexer reports a new position after applying outbox rows (search pages change);
        # a heartbeat only touches seen_at.
        if "position_id" in state.statement.compile().params:
            state.session.info[CHANGED] = True
    elif issubclass(entity, watched_classes()):
        state.session.info[CHANGED] = True


def bump_after_commit(session):
    if session.info.pop(CHANGED, False) and has_app_context() and "cache" in current_app.extensions:
        try:
            bump()
        except Exception:  # the data is committed: a cache outage must not turn that into an error
            current_app.logger.exception("page cache: the generation could not be bumped")


def watch_writes():
    """Listen on every session (once per process): the web app, the worker and the CLI alike."""
    if not event.contains(Session, "before_flush", note_flush):
        event.listen(Session, "before_flush", note_flush)
        event.listen(Session, "do_orm_execute", note_statement)
        event.listen(Session, "after_commit", bump_after_commit)


# -- serving pages ----------------------------------------------------------------------------
def cacheable_request():
    return (current_app.config["PAGE_CACHE"] and request.method in ("GET", "HEAD")
            and request.endpoint in PAGE_ENDPOINTS and "_flashes" not in session and anonymous())


def anonymous():
    """No login in the session and no remember-me cookie: nobody to load (the cheap answer),
    otherwise Flask-Login decides."""
    if "_user_id" not in session and remember_cookie(current_app) not in request.cookies:
        return True
    return not current_user.is_authenticated


def remember_cookie(app):
    return app.config.get("REMEMBER_COOKIE_NAME", "remember_token")


def page_key(incoming, generation_token):
    """Where the page `incoming` asks for is kept. The raw address (PATH_INFO, QUERY_STRING as the
    server gave them), so only an address that passed the input boundary once can ever hit."""
    from marketplace.vouchers.rules import local_date

    day = local_date(utcnow())  # what depends on today (open programs, valid qualifications) turns over at midnight
    environ = incoming.environ
    return (f"pages:{generation_token}:{day}:{visitor_locale(incoming)}:"
            f"{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}")


last_seen = {}  # this process's last reading of the generation in Redis


def look_up(incoming):
    """(key, cached entry or None) of the page under the current generation. In Redis one round
    trip when the generation has not changed since this process last read it: the generation and
    the page under that reading come back together (MGET), and only a changed generation costs a
    second lookup."""
    if not uses_redis():
        key = page_key(incoming, generation())
        return key, cache.get(key)
    guess = last_seen.get("generation")
    if guess is not None:
        key = page_key(incoming, guess)
        current, entry = cache.get_many(GENERATION_KEY, key)
        if (current or "0") == guess:
            return key, entry
    current = last_seen["generation"] = generation()
    key = page_key(incoming, current)
    return key, cache.get(key)


def serve_from_cache():
    """before_request (after the address limits have counted it): a cached copy of the page, or
    None (the view renders it; after_request stores it)."""
    if not cacheable_request():
        return None
    try:
        key, entry = look_up(request)
    except Exception:  # Redis away: render the page as if nothing were cached
        current_app.logger.exception("page cache unavailable")
        return None
    if entry is None:
        g.page_cache_key = key
        return None
    body, headers, etag, last_modified, _endpoint = entry
    g.page_cache_hit = True
    if not is_resource_modified(request.environ, etag=etag, last_modified=last_modified):
        return current_app.response_class(status=304, headers=headers[1:])
    return current_app.response_class(body, headers=headers)


def store_page(response):
    """after_request: keep a fresh anonymous page with its validators (ETag, Last-Modified)."""
    key, hit = g.pop("page_cache_key", None), g.pop("page_cache_hit", False)
    if key is None or hit or not storable(response):
        return response
    body = response.get_data()
    etag = hashlib.blake2b(body, digest_size=16).hexdigest()
    last_modified = datetime.now(timezone.utc).replace(microsecond=0)
    # Browsers revalidate each time (a 304 costs a key lookup); the language comes from a cookie
    # or, without one, from Accept-Language.
    headers = [("Content-Type", response.content_type), ("ETag", quote_etag(etag)),
               ("Last-Modified", http_date(last_modified)), ("Cache-Control", "no-cache"),
               ("Vary", "Cookie, Accept-Language")]
    try:
        cache.set(key, (body, headers, etag, last_modified, request.endpoint))
    except Exception:
        current_app.logger.exception("page cache unavailable")
    for name, value in headers[1:]:
        response.headers[name] = value
    return response.make_conditional(request)


def storable(response):
    return (response.status_code == 200 and not response.direct_passthrough and not session.modified
            and "Set-Cookie" not in response.headers and "_flashes" not in session)


# -- hits before Flask ------------------------------------------------------------------------
class AnswerHits:
    """WSGI middleware: a cached page for a visitor without a session or remember-me cookie
    (nobody logged in, no flash message waiting) is answered here, before Flask builds its request
    context and runs a dozen request hooks for it (a hit cost ten times a bare Flask response).
    What those hooks add to a hit is added here from the same functions: the security headers,
    the request id, the metric and the access line. Anything else, or any doubt, goes to Flask."""

    def __init__(self, app, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD") and self.app.config["PAGE_CACHE"]:
            started = time.perf_counter()
            incoming = Request(environ)
            if self.cookieless(incoming):
                with self.app.app_context():
                    answer = self.answer(incoming, started, start_response)
                if answer is not None:
                    return answer
        return self.wsgi_app(environ, start_response)

    def cookieless(self, incoming):
        cookies = incoming.cookies
        return self.app.config["SESSION_COOKIE_NAME"] not in cookies and remember_cookie(self.app) not in cookies

    def answer(self, incoming, started, start_response):
        try:
            _key, entry = look_up(incoming)
        except Exception:  # Redis away: Flask renders the page (and logs the outage)
            return None
        if entry is None or not allows(self.app, entry[4], incoming.remote_addr):
            return None  # Flask renders it, or counts again and answers 429
        body, headers, etag, last_modified, endpoint = entry
        from marketplace.ops.context import working_on
        from marketplace.ops.request_ids import HEADER, accepted_id, record
        from marketplace.security import app_headers

        with working_on(accepted_id(incoming.headers.get(HEADER, ""))) as request_id:
            extra = [*app_headers(self.app), (HEADER, request_id)]
            if not is_resource_modified(incoming.environ, etag=etag, last_modified=last_modified):
                status, headers, body = 304, headers[1:], b""
            else:
                status, headers = 200, [*headers, ("Content-Length", str(len(body)))]
                body = b"" if incoming.method == "HEAD" else body
            start_response("304 Not Modified" if status == 304 else "200 OK", [*headers, *extra])
            record(incoming, endpoint, status, time.perf_counter() - started)
        return [body]


def register(app):
    watch_writes()
    app.before_request(serve_from_cache)
    app.after_request(store_page)


def answer_hits_before_flask(app):
    app.wsgi_app = AnswerHits(app, app.wsgi_app)
