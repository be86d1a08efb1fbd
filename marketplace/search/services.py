"""Search for the web pages and the API, synonym administration, and the labels of facets.
Requests only read the index; when it cannot be read they get a plain database search."""
import logging
import threading

from flask import current_app
from sqlalchemy import or_, select

from marketplace.catalog.models import Category
from marketplace.errors import Duplicate, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.search import indexer, parsing
from marketplace.search.backend import PRICE_BANDS, IndexUnavailable, SearchResult
from marketplace.search.models import Synonym, split_terms

log = logging.getLogger(__name__)

SORT_LABELS = {"relevance": N_("Best match"), "price_asc": N_("Price: low to high"),
               "price_desc": N_("Price: high to low"), "newest": N_("Newest"), "rating": N_("Best rated")}
FACET_LABELS = {"category": N_("Category"), "price": N_("Price"), "voucher": N_("Innovation vouchers"),
                "city": N_("City"), "verified": N_("Provider")}
PRICE_LABELS = {"under-1k": N_("Under ¥1,000"), "1k-5k": N_("¥1,000 – ¥5,000"), "5k-20k": N_("¥5,000 – ¥20,000"),
                "20k-plus": N_("¥20,000 and more"), "on-request": N_("Price on request")}
VOUCHER_LABELS = {"1": N_("Voucher eligible"), "0": N_("Cash only")}
VERIFIED_LABELS = {"1": N_("Verified qualifications"), "0": N_("Qualifications not verified")}
# conditions read from the query text (parsing.py); amount: "¥5,000", city: as stored
UNDERSTOOD_LABELS = {"voucher": N_("Voucher eligible"), "free": N_("Free (¥0)"), "max_price": N_("Up to %(amount)s"),
                     "min_price": N_("%(amount)s and more"), "city": N_("%(city)s first")}


def synonym_groups():
    return [split_terms(terms) for terms in db.session.scalars(select(Synonym.terms))]


_warm_up = {"state": "not started", "result": None, "error": None}  # → warming → done | failed
_warm_up_lock = threading.Lock()


def warm_up():
    """Read what the first searches need (WhooshBackend.warm) with the synonym groups users
    search with. Run by gunicorn before a worker accepts requests (gunicorn.conf.py
    post_worker_init); /readyz says "warming up" meanwhile. Idempotent: once done it returns
    the first result; a concurrent call waits for the running one. Never raises: an unreadable
    index is reported by /readyz's search_index check and answered from the database."""
    with _warm_up_lock:
        if _warm_up["state"] == "done":
            return _warm_up["result"]
        _warm_up.update(state="warming", error=None)
        try:
            result = indexer.backend().warm(synonym_groups())
        except Exception as error:  # noqa: BLE001 (the first searches will read what they need)
            log.warning("search warm-up failed: %r", error)
            _warm_up.update(state="failed", error=repr(error))
            return None
        finally:
            db.session.remove()
        _warm_up.update(state="done", result=result)
        return result


def warm_up_pending():
    """None when this process is warm (or need not be); else why not, starting the warm-up in
    the background if nothing runs it (servers without gunicorn's hook; a failed attempt)."""
    if not current_app.config.get("SEARCH_WARM_UP") or _warm_up["state"] == "done":
        return None
    if _warm_up["state"] != "warming" and not _warm_up_lock.locked():
        app = current_app._get_current_object()

        def run():
            with app.app_context():
                warm_up()

        threading.Thread(target=run, name="search-warm-up", daemon=True).start()
    return "warming up" if _warm_up["state"] != "failed" else f"warming up (last attempt: {_warm_up['error']})"


def search(request):
    """Results for a SearchRequest; never raises for an unreadable index (falls back)."""
    try:
        return indexer.backend().search(request, synonym_groups())
    except IndexUnavailable as error:
        log.warning("search index unavailable, answering from the database: %s", error)
        return database_search(request)


def suggest(text, limit=8):
    if not text.strip():
        return []
    try:
        return indexer.backend().suggest(text, limit)
    except IndexUnavailable:
        return []


def database_search(request):
    """A plain substring search over published listings, used only while the index is rebuilt."""
    from marketplace.search.documents import indexable
    from marketplace.catalog.models import Listing, ListingRevision

    request, understood = parsing.applied(request, parsing.understand(request.q))
    query = indexable()
    for word in request.q.split()[:5]:
        pattern = f"%{word}%"
        query = query.where(or_(ListingRevision.title.ilike(pattern), ListingRevision.summary.ilike(pattern),
                                ListingRevision.tags.ilike(pattern)))
    if request.voucher is not None:
        query = query.where(ListingRevision.voucher_eligible.is_(request.voucher))
    if request.min_price is not None:
        query = query.where(ListingRevision.price_from_fen >= request.min_price)
    if request.max_price is not None:
        query = query.where(ListingRevision.price_from_fen <= request.max_price)
    rows = db.session.execute(query.order_by(Listing.published_at.desc(), Listing.id.desc()).limit(200)).all()
    if request.category:
        rows = [row for row in rows if request.category in (row[4], row[5])]
    if request.city:
        rows = [row for row in rows if (row[1].city or row[3].city) == request.city]
    start = (request.page - 1) * request.per_page
    hits = [fallback_hit(row) for row in rows[start:start + request.per_page]]
    return SearchResult(total=len(rows), page=request.page, per_page=request.per_page, hits=hits,
                        stage="fallback", degraded=True, understood=understood, text=request.q)


def fallback_hit(row):
    from markupsafe import escape

    listing, revision, organisation, _profile, slug, parent = row
    return {"id": listing.id, "external_id": listing.external_id, "title": revision.title,
            "provider": organisation.legal_name, "category": slug, "category_top": parent or slug,
            "city": revision.city, "price_fen": revision.price_from_fen, "voucher_eligible": revision.voucher_eligible,
            "verified": False, "rating": 0.0, "summary": revision.summary,
            "highlights": {"title": escape(revision.title), "summary": escape(revision.summary)}}


def categories_by_slug():
    return {category.slug: category for category in db.session.scalars(select(Category))}


def price_range(band):
    """(min fen, max fen) of a price band key."""
    for key, low, high in PRICE_BANDS:
        if key == band:
            return low, high
    return None


# -- synonyms (admin) ------------------------------------------------------------------------
def clean_terms(text):
    """The canonical form of a synonym group. Raises ValidationFailed."""
    terms = split_terms(text)
    if len(terms) < 2:
        raise ValidationFailed(N_("Enter at least two terms separated by commas."), field="terms")
    if any(len(term) > 40 for term in terms):
        raise ValidationFailed(N_("Each term may have at most 40 characters."), field="terms")
    joined = ", ".join(terms)
    if len(joined) > 300:
        raise ValidationFailed(N_("A group may have at most 300 characters."), field="terms")
    return joined


def check_unique(joined, synonym_id=None):
    clash = db.session.scalar(select(Synonym).where(Synonym.terms == joined))
    if clash is not None and clash.id != synonym_id:
        raise Duplicate(N_("This synonym group already exists."), field="terms")


def create_synonym(actor, text):
    """Add a synonym group. Raises ValidationFailed, Duplicate."""
    joined = clean_terms(text)
    check_unique(joined)
    synonym = Synonym(terms=joined)
    db.session.add(synonym)
    db.session.flush()
    return synonym


def get_synonym(synonym_id):
    synonym = db.session.get(Synonym, synonym_id)
    if synonym is None:
        raise NotFound(N_("This synonym group does not exist."))
    return synonym


def update_synonym(actor, synonym_id, text):
    """Change a synonym group. Raises NotFound, ValidationFailed, Duplicate."""
    synonym = get_synonym(synonym_id)
    joined = clean_terms(text)
    check_unique(joined, synonym.id)
    synonym.terms = joined
    db.session.flush()
    return synonym


def delete_synonym(actor, synonym_id):
    """Remove a synonym group. Raises NotFound."""
    db.session.delete(get_synonym(synonym_id))
    db.session.flush()


def result_cards(hits):
    """{listing id: (listing, CardFacts)} for a page of hits: the cover, the provider's logo and
    badge, rating and completed orders the catalogue's cards show, in a few queries per page.
    A hit whose listing is no longer published (the index lags a moment) gets none."""
    from marketplace.catalog.models import Listing
    from marketplace.catalog.queries import card_facts, published_listings

    ids = [hit["id"] for hit in hits]
    if not ids:
        return {}
    listings = list(db.session.scalars(published_listings().where(Listing.id.in_(ids))).unique())
    facts = card_facts(listings)
    return {listing.id: (listing, facts[listing.id]) for listing in listings}
