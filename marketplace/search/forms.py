"""Search parameters (shared by the results page and the JSON API) and the synonym form."""
from flask_babel import lazy_gettext as _l
from wtforms import StringField

from marketplace.errors import DomainError
from marketplace.forms import Form, length, required, strip
from marketplace.inputs import parse_int
from marketplace.money import parse_yuan
from marketplace.search.backend import SORTS, SearchRequest

MAX_QUERY = 200
MAX_PAGE = 1000
MAX_PER_PAGE = 50
FLAGS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False, "": None}


class BadParameter(ValueError):
    """A query-string parameter is invalid; `name` says which."""

    def __init__(self, name, message):
        super().__init__(message)
        self.name, self.message = name, message


def integer(args, name, default, maximum):
    raw = args.get(name, "").strip()
    if not raw:
        return default
    number = parse_int(raw, 1, maximum)
    if number is None:
        raise BadParameter(name, f"{name} must be a whole number from 1 to {maximum}")
    return number


def flag(args, name):
    raw = args.get(name, "").strip().lower()
    if raw not in FLAGS:
        raise BadParameter(name, f"{name} must be 1 or 0")
    return FLAGS[raw]


def price(args, name):
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        return parse_yuan(raw)
    except DomainError:
        raise BadParameter(name, f"{name} must be an amount in yuan with at most two decimals") from None


def text(args, name, maximum):
    value = " ".join(args.get(name, "").split())
    if len(value) > maximum:
        raise BadParameter(name, f"{name} may have at most {maximum} characters")
    return value


def parse_params(args, categories, default_per_page=20):
    """A SearchRequest from query-string args. Raises BadParameter naming the first bad one."""
    category = args.get("category", "").strip()
    if category and category not in categories:
        raise BadParameter("category", "category must be a category slug such as ip or testing-emc")
    sort = args.get("sort", "").strip() or "relevance"
    if sort not in SORTS:
        raise BadParameter("sort", f"sort must be one of {', '.join(SORTS)}")
    request = SearchRequest(q=text(args, "q", MAX_QUERY), category=category, voucher=flag(args, "voucher"),
                            city=text(args, "city", 50), verified=flag(args, "verified"),
                            min_price=price(args, "min_price"), max_price=price(args, "max_price"), sort=sort,
                            page=integer(args, "page", 1, MAX_PAGE),
                            per_page=integer(args, "per_page", default_per_page, MAX_PER_PAGE))
    if request.min_price is not None and request.max_price is not None and request.min_price > request.max_price:
        raise BadParameter("min_price", "min_price must not be greater than max_price")
    return request


def lenient_params(args, categories, default_per_page=20):
    """For the HTML page: drop bad parameters one by one instead of refusing the page.
    Returns (request, names of the dropped parameters)."""
    args, dropped = dict(args.items()), []
    while True:
        try:
            return parse_params(args, categories, default_per_page), dropped
        except BadParameter as error:
            args.pop(error.name, None)
            dropped.append(error.name)


class SynonymForm(Form):
    terms = StringField(_l("Equivalent terms"), filters=[strip], validators=[required(), length(300)],
                        description=_l("Separate the terms with commas, e.g. 检测, 测试, 检验. A search for "
                                       "any of them also finds the others."))
