"""Page-number pagination for list pages (keyset pagination lives where lists are huge)."""
from marketplace.inputs import arg_int

MAX_PAGE = 100000


def page_arg():
    """The ?page= argument as a positive int; anything else ('²', '-1', 10^20) is a 404 rather than a crash."""
    return arg_int("page", default=1, minimum=1, maximum=MAX_PAGE)


def paginate(query, per_page):
    from marketplace.extensions import db

    return db.paginate(query, page=page_arg(), per_page=per_page, error_out=False)
