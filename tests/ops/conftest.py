import pytest

from marketplace.extensions import db
from tests.ops.servers import Gunicorn, app_environment


@pytest.fixture
def indexed(app):
    """The test app's database with its search index built (a host is ready only with one)."""
    from marketplace.search.indexer import rebuild

    rebuild(reason="tests")
    db.session.remove()
    db.engine.dispose()
    return app


@pytest.fixture
def serve(indexed, database_url, tmp_path):
    """serve(workers=2, **env) → a running Gunicorn on the test database (stopped afterwards)."""
    servers = []

    def start(workers=2, threads=2, gunicorn=None, **settings):
        environment = app_environment(database_url, tmp_path, **settings)
        server = Gunicorn(environment, workers=workers, threads=threads, **(gunicorn or {}))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
