"""Request-wide security rules: the auditor is read-only everywhere, and every response carries
the browser's security headers. One place each, not per-view code."""
import time

from flask import abort, current_app, flash, request, session
from flask_babel import gettext
from flask_login import current_user, logout_user

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What an auditor may still send: leaving, their own session's housekeeping, and running the
# ledger verifier (it records the run, changes no business data, and is an auditor's job).
AUDITOR_MAY_POST = frozenset({"auth.logout", "auth.login", "auth.password", "auth.language", "admin.audit_verify"})


def auditors_only_read():
    """before_request: an auditor (read-only admin) gets 403 on any state-changing request,
    whatever the view checks itself — so a view that forgets its role check cannot be written
    through by an auditor (POST /orders/<number>/messages was)."""
    if request.method in SAFE_METHODS or request.endpoint in AUDITOR_MAY_POST:
        return None
    if current_user.is_authenticated and current_user.is_auditor:
        abort(403)
    return None


# Stripe's Payment Element (production only: elsewhere payments go through the emulator and the
# server confirms with test methods, so no page loads anything from outside).
STRIPE_SOURCES = {"script-src": "https://js.stripe.com", "frame-src": "https://js.stripe.com https://hooks.stripe.com",
                  "connect-src": "https://api.stripe.com"}
BASE_POLICY = {
    "default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "img-src": "'self' data:",
    "font-src": "'self'", "connect-src": "'self'", "frame-src": "'none'", "object-src": "'none'",
    "base-uri": "'self'", "form-action": "'self'", "frame-ancestors": "'none'",
}
HSTS = "max-age=31536000; includeSubDomains"


def content_security_policy(production):
    """No inline script or style anywhere (the templates load static files only)."""
    policy = dict(BASE_POLICY)
    if production:
        for directive, sources in STRIPE_SOURCES.items():
            current = policy[directive]
            policy[directive] = sources if current == "'none'" else f"{current} {sources}"
    return "; ".join(f"{directive} {sources}" for directive, sources in policy.items())


def header_list(production):
    """The security headers every response carries, as (name, value) pairs."""
    payment = '(self "https://js.stripe.com")' if production else "(self)"  # wallets inside Stripe's frame
    headers = [("Content-Security-Policy", content_security_policy(production)), ("X-Frame-Options", "DENY"),
               ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"),
               ("Permissions-Policy", f"camera=(), microphone=(), geolocation=(), payment={payment}"),
               ("Cross-Origin-Opener-Policy", "same-origin")]
    if production:
        headers.append(("Strict-Transport-Security", HSTS))
    return headers


def app_headers(app):
    """This app's security headers, computed once (every response, including the page cache's
    hits answered before Flask dispatches, sends the same list)."""
    headers = app.extensions.get("security_headers")
    if headers is None:
        headers = app.extensions["security_headers"] = header_list(app.config["APP_ENV"] == "production")
    return headers


def security_headers(response):
    """after_request: the same headers on every response; a view that set a stricter policy of its
    own (uploaded files are sandboxed) keeps it."""
    headers = response.headers
    for name, value in app_headers(current_app):
        if name not in headers:
            headers.add(name, value)
    return response


def session_timeouts():
    """before_request: log out a session idle longer than SESSION_IDLE_MINUTES or older than
    SESSION_MAX_HOURS (0 turns either off). Times are kept in the signed session cookie."""
    if not current_user.is_authenticated:
        return None
    now, config = int(time.time()), current_app.config
    started, seen = session.setdefault("started", now), session.get("seen", now)
    idle, longest = config["SESSION_IDLE_MINUTES"] * 60, config["SESSION_MAX_HOURS"] * 3600
    if (idle and now - seen > idle) or (longest and now - started > longest):
        logout_user()
        session.pop("started", None)
        session.pop("seen", None)
        flash(gettext("Your session has ended. Please log in again."), "info")
        return None
    session["seen"] = now
    return None


def register(app):
    from flask_login import user_logged_in

    user_logged_in.connect(lambda _app, user: session.update(started=int(time.time()), seen=int(time.time())),
                           weak=False)
    app.before_request(session_timeouts)
    app.before_request(auditors_only_read)
    app.after_request(security_headers)
