from datetime import timedelta

import pytest

from marketplace.database import utcnow
from marketplace.extensions import db
from tests.catalog.conftest import make_listing, make_provider  # noqa: F401  (fixtures shared with catalog tests)


@pytest.fixture
def seller(make_provider):
    """An admitted provider (admitted a month ago) with a member who can act."""
    user = make_provider()
    profile = user.organisation.provider_profile if hasattr(user.organisation, "provider_profile") else None
    from marketplace.catalog.models import ProviderProfile

    profile = profile or db.session.query(ProviderProfile).filter_by(organisation_id=user.organisation_id).one()
    profile.admitted_at = utcnow() - timedelta(days=30)
    db.session.commit()
    return user


@pytest.fixture
def listing(seller, make_listing):
    """A published, voucher-eligible IP listing: 标准版 ¥6,800 and 加急版 ¥9,800."""
    return make_listing(seller)


@pytest.fixture
def buyer(make_user):
    return make_user("enterprise")


@pytest.fixture
def funded_buyer(buyer, make_program, issue):
    """A buyer holding a ¥100,000 voucher in an open 35% program (order cap ¥20,000)."""
    program = make_program(order_cap_fen=2_000_000, enterprise_cap_fen=10_000_000)
    voucher = issue(program, buyer, 10_000_000)
    return buyer, program, voucher


def package_of(listing, index=0):
    return listing.published_revision.packages[index]


# Browser tests in this folder use the same Chromium set-up as tests/browser.
from tests.browser.conftest import browser_context_args, browser_type_launch_args, page  # noqa: E402,F401
