"""Request-wide security rules: the auditor is read-only everywhere, and every response carries
the browser's security headers. One place each, not per-view code."""
from flask import abort, request
from flask_login import current_user

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What an auditor may still send: leaving, their own session's housekeeping, and running the
# ledger verifier (it records a run and changes no business data).
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


def register(app):
    app.before_request(auditors_only_read)
