"""Abuse limits: how often one address or one account may register, log in, ask for quotes, post
messages, upload files and call the search API. Counted by Flask-Limiter in Redis when REDIS_URL
is set (RATELIMIT_STORAGE_URI, see config.py), in memory otherwise. A breach is a 429 page in the
user's language (errors.py), JSON under /api/.

Each limit's rate is a setting (e.g. QUOTE_RATE_LIMIT = "10 per hour"), so operators tune them
without a release; the decorators below are applied once, where the views are defined.
"""
from flask import abort, current_app, request
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import parse_many

from marketplace.extensions import limiter

RATES = {
    "REGISTER_RATE_LIMIT": "10 per hour",
    "LOGIN_ACCOUNT_RATE_LIMIT": "30 per hour",  # failed logins against one account, from anywhere
    "LOGIN_ADDRESS_RATE_LIMIT": "100 per hour",  # failed logins from one address, whichever accounts
    "QUOTE_RATE_LIMIT": "10 per hour",
    "MESSAGE_RATE_LIMIT": "20 per minute;200 per day",
    "UPLOAD_RATE_LIMIT": "30 per minute;300 per day",
    "SEARCH_API_RATE_LIMIT": "120 per minute",
}


def rate(name):
    return lambda: current_app.config.get(name) or RATES[name]


def by_address():
    return get_remote_address()


def by_account():
    """The e-mail a login is tried with (normalised), wherever it comes from."""
    from marketplace.auth.services import normalise_email

    return f"account:{normalise_email(request.form.get('email'))}"


def by_user():
    """The logged-in user (the address for anonymous requests, which views refuse anyway)."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


def failed(response):
    return response.status_code == 401


registration = limiter.limit(rate("REGISTER_RATE_LIMIT"), key_func=by_address, methods=["POST"])
login_per_account = limiter.shared_limit(rate("LOGIN_ACCOUNT_RATE_LIMIT"), scope="login-account",
                                         key_func=by_account, methods=["POST"], deduct_when=failed)
login_per_address = limiter.shared_limit(rate("LOGIN_ADDRESS_RATE_LIMIT"), scope="login-address",
                                         key_func=by_address, methods=["POST"], deduct_when=failed)
quote_requests = limiter.limit(rate("QUOTE_RATE_LIMIT"), key_func=by_user, methods=["POST"])
messages = limiter.shared_limit(rate("MESSAGE_RATE_LIMIT"), scope="messages", key_func=by_user, methods=["POST"])
uploads = limiter.shared_limit(rate("UPLOAD_RATE_LIMIT"), scope="uploads", key_func=by_user)


def limit_uploads():
    """before_request: any request carrying a file counts against the uploader's upload limit,
    whichever page it is sent from (profiles, listings, deliveries, messages, redemption)."""
    if request.method == "POST" and any(upload.filename for upload in request.files.values()):
        with uploads:
            pass


# -- counted before the page cache answers ----------------------------------------------------
# Flask-Limiter counts a decorated view's requests when the view runs, so a page the cache answers
# (in a before_request hook, or before Flask dispatches: page_cache.AnswerHits) would never be
# counted. These endpoints are counted per address by `allows`, which both of those call first,
# with the `limits` library Flask-Limiter is built on, in the same storage.
COUNTED_PER_ADDRESS = {"search.api_search": "SEARCH_API_RATE_LIMIT"}  # endpoint → its rate setting


def allows(app, endpoint, address):
    """Count one request to `endpoint` from `address`; False once its rate is used up. Endpoints
    not in COUNTED_PER_ADDRESS are always allowed. A storage outage allows (and is logged): the
    limit is a guard, the page is the service."""
    setting = COUNTED_PER_ADDRESS.get(endpoint)
    if setting is None or not app.config.get("RATELIMIT_ENABLED", True):
        return True
    try:
        strategy = address_counter(app)
        return all([strategy.hit(item, "per-address", endpoint, address or "")
                    for item in parse_many(app.config[setting])])  # a list: every window counts the hit
    except Exception:
        app.logger.exception("rate limit storage unavailable: %s not counted", endpoint)
        return True


def address_counter(app):
    counter = app.extensions.get("address_counter")
    if counter is None:
        from limits.storage import storage_from_string
        from limits.strategies import FixedWindowRateLimiter

        counter = FixedWindowRateLimiter(storage_from_string(app.config["RATELIMIT_STORAGE_URI"]))
        app.extensions["address_counter"] = counter
    return counter


def count_per_address():
    """before_request, ahead of the page cache: 429 once this address has used up the endpoint's rate."""
    if not allows(current_app, request.endpoint, get_remote_address()):
        abort(429)


def register(app):
    for name, value in RATES.items():
        app.config.setdefault(name, value)
    app.before_request(limit_uploads)
    app.before_request(count_per_address)
