import pytest


@pytest.fixture(autouse=True)
def _stripe(stripe_app):
    """Every payments test talks to a freshly emptied localstripe."""
