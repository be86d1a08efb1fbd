"""Role gates for views: anonymous → login page, wrong role → 403."""
from functools import wraps

from flask import abort, request
from flask_login import current_user, login_required


def role_required(*roles):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


admin_required = role_required("admin")


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def operator_required(view):
    """Admin endpoints that change something: an auditor (read-only admin) may look at a form
    (GET) but gets 403 on any write."""
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user.role != "admin" or (current_user.is_auditor and request.method not in SAFE_METHODS):
            abort(403)
        return view(*args, **kwargs)
    return wrapped
