"""Security headers on every response, from one after-request function (marketplace/security.py)."""
import pytest

from marketplace import create_app
from tests.conftest import config_for_tests


@pytest.mark.parametrize("path", ["/", "/auth/login", "/search?q=专利", "/no/such/page", "/api/v1/search",
                                  "/static/css/app.css"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    response.close()
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "stripe" not in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in headers


def test_admin_decisions_cannot_be_framed(client, auth, make_user):
    auth.login(make_user("admin"))
    response = client.get("/admin/organisations")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_production_adds_hsts_and_stripes_sources(database_url, tmp_path):
    app = create_app({**config_for_tests(database_url, tmp_path), "APP_ENV": "production"})
    headers = app.test_client().get("/auth/login").headers
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self' https://js.stripe.com" in csp
    assert "frame-src https://js.stripe.com https://hooks.stripe.com" in csp
    assert "connect-src 'self' https://api.stripe.com" in csp


def test_no_template_has_inline_script_or_style():
    import pathlib
    import re

    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|<style|\son[a-z]+=", re.I)
    offenders = [str(path) for path in pathlib.Path("templates").rglob("*.html") if inline.search(path.read_text())]
    assert not offenders


def test_uploaded_files_keep_their_own_sandbox_policy(app):
    from marketplace.security import security_headers

    with app.test_request_context("/files/x"):
        response = app.response_class("x")
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        assert security_headers(response).headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
