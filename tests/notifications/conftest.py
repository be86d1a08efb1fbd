from tests.catalog.conftest import make_listing, make_provider  # noqa: F401  (fixtures shared with catalog tests)
from tests.orders.conftest import buyer, listing, seller  # noqa: F401  (fixtures shared with order tests)
