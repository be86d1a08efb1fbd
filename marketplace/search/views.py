"""Search pages, autocomplete and the public JSON API (GET /api/v1/search, DESIGN.md)."""
from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext

from marketplace.money import format_fen
from marketplace.search import services
from marketplace.search.backend import PRICE_BANDS
from marketplace.search.forms import BadParameter, lenient_params, parse_params

bp = Blueprint("search", __name__)


@bp.route("/search")
def results():
    categories = services.categories_by_slug()
    search_request, dropped = lenient_params(request.args, categories, current_app.config.get("PER_PAGE", 20))
    result = services.search(search_request)
    labels = facet_labeller(categories)
    return render_template("search/results.html", req=search_request, result=result, categories=categories,
                           cards=services.result_cards(result.hits),
                           dropped=dropped, sort_labels=services.SORT_LABELS, labels=labels,
                           facet_labels=services.FACET_LABELS, popular=popular_categories(categories),
                           price_bands=PRICE_BANDS, band_params=band_params,
                           active_filters=active_filters(search_request, labels),
                           understood=[(understood_label(condition), search_url(search_request, q=condition.without))
                                       for condition in result.understood])


@bp.route("/search/suggest")
def suggest():
    text = " ".join(request.args.get("q", "").split())[:50]
    titles = services.suggest(text) if text else []
    return jsonify({"query": text, "suggestions": [{"title": title, "url": url_for("search.results", q=title)}
                                                   for title in titles]})


@bp.route("/api/v1/search")  # counted per address: limits.COUNTED_PER_ADDRESS
def api_search():
    categories = services.categories_by_slug()
    try:
        search_request = parse_params(request.args, categories)
    except BadParameter as error:
        return jsonify({"error": {"status": 400, "parameter": error.name, "message": error.message}}), 400
    result = services.search(search_request)
    label = facet_labeller(categories)
    return jsonify({
        "total": result.total, "page": result.page, "per_page": result.per_page,
        "hits": [api_hit(hit) for hit in result.hits],
        "facets": {name: [{"value": value, "count": count, "label": label(name, value)} for value, count in pairs]
                   for name, pairs in result.facets.items()},
        "suggestion": result.suggestion,
        "suggestion_translation": result.suggestion_translation,
        "searched_text": result.text if result.text is not None else search_request.q,
        "understood": [api_condition(condition) for condition in result.understood],
    })


def api_condition(condition):
    return {"kind": condition.kind, "value": condition.value, "phrase": condition.phrase, "effect": condition.effect,
            "label": understood_label(condition), "without": condition.without}


def understood_label(condition):
    """'¥5,000以内', '可用创新券', '厦门优先' … in the user's language."""
    template = services.UNDERSTOOD_LABELS[condition.kind]
    if condition.kind in ("max_price", "min_price"):
        return gettext(template, amount=whole_yuan(condition.value))
    if condition.kind == "city":
        return gettext(template, city=condition.value)
    return gettext(template)


def whole_yuan(fen):
    """500000 → '¥5,000'; 150050 → '¥1,500.50'."""
    return f"¥{fen // 100:,}" if fen % 100 == 0 else format_fen(fen)


@bp.route("/api/v1/openapi.json")
def api_description():
    from marketplace.search.openapi import document

    return jsonify(document(services.categories_by_slug()))


def api_hit(hit):
    return {"id": hit["id"], "external_id": hit["external_id"], "title": hit["title"], "provider": hit["provider"],
            "category": hit["category"], "price_fen": hit["price_fen"], "voucher_eligible": hit["voucher_eligible"],
            "highlights": {name: str(html) for name, html in hit["highlights"].items()},
            "city": hit["city"], "verified": hit["verified"], "url": url_for("catalog.listing", listing_id=hit["id"])}


def facet_labeller(categories):
    """label(facet, value) → text in the user's language."""
    fixed = {"price": services.PRICE_LABELS, "voucher": services.VOUCHER_LABELS, "verified": services.VERIFIED_LABELS}

    def label(facet, value):
        if facet == "category":
            category = categories.get(value)
            return category.name if category else value
        if facet in fixed:
            return gettext(fixed[facet].get(value, value))
        return value
    return label


def band_params(band):
    """Query parameters of a price-band facet value (None clears the price filter)."""
    for key, low, high in PRICE_BANDS:
        if key == band:
            return {"min_price": yuan(low), "max_price": yuan(high)}
    return {"min_price": None, "max_price": None}


def active_filters(req, label):
    """[(label, URL without that filter)] for the chips above the results."""
    chips = []
    if req.category:
        chips.append((label("category", req.category), search_url(req, category=None)))
    if req.voucher is not None:
        chips.append((label("voucher", "1" if req.voucher else "0"), search_url(req, voucher=None)))
    if req.verified is not None:
        chips.append((label("verified", "1" if req.verified else "0"), search_url(req, verified=None)))
    if req.city:
        chips.append((req.city, search_url(req, city=None)))
    if req.min_price is not None or req.max_price is not None:
        low = yuan(req.min_price) or "0"
        text = f"¥{low} – ¥{yuan(req.max_price)}" if req.max_price is not None else f"≥ ¥{low}"
        chips.append((text, search_url(req, min_price=None, max_price=None)))
    return chips


def popular_categories(categories):
    return [category for category in categories.values() if category.parent_id is None][:9]


@bp.app_template_global()
def search_url(req, **changes):
    """The results URL for the current request with some parameters changed (None removes)."""
    params = {"q": req.q, "category": req.category, "city": req.city, "sort": req.sort,
              "voucher": {True: "1", False: "0"}.get(req.voucher), "verified": {True: "1", False: "0"}.get(req.verified),
              "min_price": yuan(req.min_price), "max_price": yuan(req.max_price), "page": req.page}
    params.update(changes)
    if "page" not in changes:
        params["page"] = None
    if params.get("sort") == "relevance":
        params["sort"] = None
    return url_for("search.results", **{k: v for k, v in params.items() if v not in (None, "")})


def yuan(fen):
    return None if fen is None else (f"{fen // 100}" if fen % 100 == 0 else f"{fen / 100:.2f}")


AFTER_REQUEST_BATCH = 50  # outbox rows one request may apply (a few tens of ms at most)


@bp.after_app_request
def sync_after_request(response):
    """Development: apply one small batch of the search outbox after each request, so an edit
    shows at once without making any request wait for a backlog (after a catalogue import the
    worker or `flask search sync` applies the rest, or `search reindex` rebuilds). Never
    rebuilds here. Tests and production leave this off."""
    config = current_app.config
    enabled = config.get("SEARCH_SYNC_AFTER_REQUEST")
    if enabled is None:
        enabled = config.get("APP_ENV") == "development" and not current_app.testing
    if enabled and response.status_code < 400 and not request.path.startswith("/static/"):
        from marketplace.search.indexer import lag, sync

        try:
            if sync(batch_size=AFTER_REQUEST_BATCH, max_batches=1, repair=False) == AFTER_REQUEST_BATCH:
                current_app.logger.warning("search index is %s outbox rows behind; the worker or "
                                           "`flask search sync` applies them", lag())
        except Exception:  # never let indexing break the page the user asked for
            current_app.logger.exception("search sync after request failed")
    return response
