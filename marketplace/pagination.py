"""Page-number pagination for list pages (keyset pagination lives where lists are huge)."""
from marketplace.inputs import arg_int

MAX_PAGE = 100000


def page_arg():
    """The ?page= argument as a positive int; anything else ('²', '-1', 10^20) is a 404 rather than a crash."""
    return arg_int("page", default=1, minimum=1, maximum=MAX_PAGE)


def paginate(query, per_page, total=None):
    """`total`: the number of rows when the caller knows it (a figure kept per cache generation),
    which saves counting them on every request."""
    from marketplace.extensions import db

    if total is None:
        return db.paginate(query, page=page_arg(), per_page=per_page, error_out=False)
    page = db.paginate(query, page=page_arg(), per_page=per_page, error_out=False, count=False)
    page.total = total
    return page
