"""Abuse limits: how often one address or one account may register, log in, ask for quotes, post
messages, upload files and call the search API. Counted by Flask-Limiter in Redis when REDIS_URL
is set (RATELIMIT_STORAGE_URI, see config.py), in memory otherwise. A breach is a 429 page in the
user's language (errors.py), JSON under /api/.

Each limit's rate is a setting (e.g. QUOTE_RATE_LIMIT = "10 per hour"), so operators tune them
without a release; the decorators below are applied once, where the views are defined.
"""
from flask import current_app, request
from flask_limiter.util import get_remote_address
from flask_login import current_user

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
search_api = limiter.limit(rate("SEARCH_API_RATE_LIMIT"), key_func=by_address)
uploads = limiter.shared_limit(rate("UPLOAD_RATE_LIMIT"), scope="uploads", key_func=by_user)


def limit_uploads():
    """before_request: any request carrying a file counts against the uploader's upload limit,
    whichever page it is sent from (profiles, listings, deliveries, messages, redemption)."""
    if request.method == "POST" and any(upload.filename for upload in request.files.values()):
        with uploads:
            pass


def register(app):
    for name, value in RATES.items():
        app.config.setdefault(name, value)
    app.before_request(limit_uploads)
