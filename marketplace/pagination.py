"""Page-number pagination for list pages (keyset pagination lives where lists are huge)."""
from flask import abort, request


def page_arg():
    """The ?page= argument as a positive int; anything else is a 404 rather than a crash."""
    raw = request.args.get("page", "1")
    if not raw.isdigit() or int(raw) < 1 or int(raw) > 100000:
        abort(404)
    return int(raw)


def paginate(query, per_page):
    from marketplace.extensions import db

    return db.paginate(query, page=page_arg(), per_page=per_page, error_out=False)
