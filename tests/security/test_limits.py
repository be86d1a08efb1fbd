"""Abuse limits (marketplace/limits.py): registration, login per account and per address, quote
requests, messages, uploads and the search API answer 429 — a page in the user's language, JSON
under /api/ — once their rate is used up. Small rates are set per test so the tests stay quick."""
import io

import pytest

from marketplace import create_app
from tests.conftest import CSRFClient, config_for_tests, forget_previous_request
from tests.auth.test_register import VALID


@pytest.fixture
def limited(database_url, tmp_path):
    def make(**rates):
        app = create_app({**config_for_tests(database_url, tmp_path), **rates})
        app.test_client_class = CSRFClient
        app.before_request(forget_previous_request)
        return app
    return make


def test_registration_is_limited_per_address(limited):
    app = limited(REGISTER_RATE_LIMIT="2 per hour")
    with app.app_context():
        client = app.test_client()
        statuses = [client.post("/auth/register", data={**VALID, "email": f"r{n}@example.com"}).status_code
                    for n in range(3)]
        assert statuses[-1] == 429
        page = client.post("/auth/register", data=VALID)
        assert page.status_code == 429 and "尝试次数过多" in page.get_data(as_text=True)
        client.set_cookie("lang", "en")
        assert "Too many attempts" in client.post("/auth/register", data=VALID).get_data(as_text=True)


def test_failed_logins_are_limited_per_account_from_any_address(limited, make_user):
    app = limited(LOGIN_ACCOUNT_RATE_LIMIT="3 per hour", LOGIN_RATE_LIMIT="100 per hour")
    with app.app_context():
        user = make_user("enterprise")
        answers, client = [], app.test_client()
        for n in range(4):
            answers.append(client.post("/auth/login", data={"email": user.email, "password": "wrong-pass-1"},
                                       environ_base={"REMOTE_ADDR": f"10.0.0.{n + 1}"}).status_code)
        assert answers == [401, 401, 401, 429]


def test_failed_logins_are_limited_per_address_across_accounts(limited):
    app = limited(LOGIN_ADDRESS_RATE_LIMIT="3 per hour", LOGIN_RATE_LIMIT="100 per hour")
    with app.app_context():
        client = app.test_client()
        answers = [client.post("/auth/login", data={"email": f"nobody{n}@example.com", "password": "x"}).status_code
                   for n in range(4)]
        assert answers == [401, 401, 401, 429]


def test_the_search_api_is_limited_with_a_json_answer(limited):
    app = limited(SEARCH_API_RATE_LIMIT="2 per minute")
    with app.app_context():
        client = app.test_client()
        answers = [client.get("/api/v1/search?q=专利") for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429] and answers[-1].is_json


def test_the_search_api_answers_when_the_limit_storage_is_away(limited, monkeypatch):
    """The limit is a guard, the search is the service: a storage outage lets requests through."""
    app = limited(SEARCH_API_RATE_LIMIT="1 per minute", RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0")
    monkeypatch.setattr(app.logger, "disabled", True)
    with app.app_context():
        client = app.test_client()
        assert [client.get("/api/v1/search?q=专利").status_code for _ in range(3)] == [200, 200, 200]


def test_messages_and_uploads_are_limited_per_user(limited, make_order, make_user):
    from tests.catalog.conftest import PDF

    app = limited(MESSAGE_RATE_LIMIT="2 per minute", UPLOAD_RATE_LIMIT="1 per minute")
    with app.app_context():
        buyer = make_user("enterprise")
        order = make_order(buyer=buyer)
        client = app.test_client()
        client.post("/auth/login", data={"email": buyer.email, "password": "test-pass-123"})
        url = f"/orders/{order.number}/messages"
        with_file = client.post(url, data={"body": "附件", "attachment": (io.BytesIO(PDF), "a.pdf")},
                                content_type="multipart/form-data")
        assert with_file.status_code == 302
        second_file = client.post(url, data={"body": "附件", "attachment": (io.BytesIO(PDF), "b.pdf")},
                                  content_type="multipart/form-data")
        assert second_file.status_code == 429
        assert client.post(url, data={"body": "你好"}).status_code in (302, 429)
        assert client.post(url, data={"body": "你好"}).status_code == 429


def test_quote_requests_are_limited_per_user(limited, make_user):
    app = limited(QUOTE_RATE_LIMIT="1 per hour")
    with app.app_context():
        user = make_user("enterprise")
        client = app.test_client()
        client.post("/auth/login", data={"email": user.email, "password": "test-pass-123"})
        first = client.post("/orders/quotes/new?listing=1", data={"request": "请报价"}).status_code
        assert first != 429
        assert client.post("/orders/quotes/new?listing=1", data={"request": "请报价"}).status_code == 429
