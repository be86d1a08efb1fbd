import uuid

import pytest

from marketplace import create_app
from marketplace.extensions import db
from tests.conftest import CSRFClient, config_for_tests, forget_previous_request
from tests.storage.seaweed import SeaweedFS


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory):
    server = SeaweedFS(tmp_path_factory.mktemp("seaweedfs"))
    yield server
    server.stop()


@pytest.fixture(params=["local", "s3"])
def storage_kind(request):
    return request.param


@pytest.fixture
def app(database_url, tmp_path, storage_kind, request):
    """The test app with its uploads on local disk, or in SeaweedFS under a prefix of its own."""
    config = config_for_tests(database_url, tmp_path)
    if storage_kind == "s3":
        config.update(request.getfixturevalue("seaweedfs").settings(prefix=uuid.uuid4().hex))
    app = create_app(config)
    app.test_client_class = CSRFClient
    app.before_request(forget_previous_request)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


# The catalogue's fixtures (a provider, a listing), for uploads through the views.
from tests.catalog.conftest import make_listing, make_provider  # noqa: E402,F401
