import pytest

from tests.orders.conftest import buyer, funded_buyer, listing, make_listing, make_provider, package_of, seller  # noqa: F401
from tests.redemption.conftest import complete_order, program  # noqa: F401


@pytest.fixture
def operator(make_user):
    return make_user("admin")


@pytest.fixture
def second_operator(make_user):
    return make_user("admin")


