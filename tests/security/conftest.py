import pytest

from marketplace import create_app
from marketplace.extensions import db
from tests.conftest import config_for_tests, forget_previous_request


@pytest.fixture
def open_app(database_url, tmp_path):
    """The app without CSRF tokens and rate limits, so a fuzzer's forms reach validation and
    the services behind it (both protections have tests of their own)."""
    app = create_app({**config_for_tests(database_url, tmp_path), "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False})
    app.before_request(forget_previous_request)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
