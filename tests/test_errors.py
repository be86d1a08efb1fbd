import pytest

from marketplace import create_app
from tests.conftest import config_for_tests


@pytest.fixture
def failing_app(database_url, tmp_path):
    app = create_app(config_for_tests(database_url, tmp_path))
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    @app.route("/api/v1/boom")
    def api_boom():
        raise RuntimeError("secret internals")

    return app


def test_404_page_is_in_the_site_layout(client):
    response = client.get("/no-such-page")
    page = response.get_data(as_text=True)
    assert response.status_code == 404 and "页面不存在" in page and "site-header" in page


def test_500_page_never_shows_a_stack_trace(failing_app):
    response = failing_app.test_client().get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "出错了" in page and "Traceback" not in page and "secret internals" not in page


def test_api_errors_are_json(failing_app):
    client = failing_app.test_client()
    assert client.get("/api/v1/nothing").get_json()["error"]["status"] == 404
    response = client.get("/api/v1/boom")
    assert response.status_code == 500 and "secret internals" not in response.get_data(as_text=True)


def test_405_is_explained(client):
    assert client.delete("/").status_code == 405
