import pytest

from marketplace import create_app
from marketplace.extensions import db
from tests.conftest import config_for_tests, forget_previous_request


@pytest.fixture
def open_app(database_url, tmp_path):
    """The app without CSRF tokens and with rates no fuzzer reaches, so its forms reach validation
    and the services behind it (both protections have tests of their own). Not RATELIMIT_ENABLED:
    Flask-Limiter keeps that on its one shared object, switching limits off for later tests."""
    from marketplace.limits import RATES

    unlimited = {name: "1000000 per minute" for name in [*RATES, "LOGIN_RATE_LIMIT"]}
    app = create_app({**config_for_tests(database_url, tmp_path), "WTF_CSRF_ENABLED": False, **unlimited})
    app.before_request(forget_previous_request)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
