import re

import flask_babel
import pytest
from flask import g
from flask.testing import FlaskClient
from flask_migrate import upgrade

from marketplace import create_app
from marketplace.auth.models import Organisation, OrgStatus, User
from marketplace.auth import credit_code
from marketplace.extensions import db
from tests.databases import databases_for_run

pytest_plugins = ["tests.vouchers.fixtures", "tests.payments.fixtures"]

PASSWORD = "test-pass-123"
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    """Without Chromium every browser test would fail with the same traceback: stop at once
    instead and say how to install it (`make test` installs it itself when run as root)."""
    import os

    if os.environ.get("CLUSTER") != "1":  # minutes of real processes: only when asked for
        deselected = [item for item in items if item.get_closest_marker("cluster")]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = [item for item in items if not item.get_closest_marker("cluster")]
    if any(item.get_closest_marker("browser") for item in items) and not os.path.exists(CHROMIUM):
        pytest.exit(f"The browser tests need Chromium at {CHROMIUM} and a CJK font. Install them with:\n"
                    "  sudo scripts/system_deps.sh\n(or deselect them: make test PYTEST_ARGS='-m \"not browser\"')",
                    returncode=4)


class CSRFClient(FlaskClient):
    """A test client that posts forms like a browser: it fetches a CSRF token first.

    Pass csrf_token=None in data to post without one (to test the protection itself)."""

    def post(self, *args, **kwargs):
        data = kwargs.get("data")
        if isinstance(data, dict) and "csrf_token" not in data:
            kwargs["data"] = {**data, "csrf_token": self.csrf_token()}
        elif isinstance(data, dict) and data.get("csrf_token") is None:
            kwargs["data"] = {k: v for k, v in data.items() if k != "csrf_token"}
        return super().post(*args, **kwargs)

    def csrf_token(self):
        page = self.get("/auth/login" if not self._logged_in() else "/auth/account", follow_redirects=True)
        match = CSRF_INPUT.search(page.get_data(as_text=True))
        assert match, "no CSRF token on the page"
        return match.group(1)

    def _logged_in(self):
        with self.session_transaction() as session:
            return "_user_id" in session


def config_for_tests(database_url, tmp_path):
    return {
        "TESTING": True,
        "APP_ENV": "testing",
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SEARCH_INDEX_DIR": str(tmp_path / "index"), "SEARCH_WARM_MIN_DOCS": 0,
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        # Never Stripe itself: a closed loopback port unless a test asks for localstripe (stripe_app).
        "STRIPE_API_BASE": "http://127.0.0.1:9", "STRIPE_MAX_NETWORK_RETRIES": 0,
    }


@pytest.fixture
def auditor(make_user):
    """A read-only admin (审计)."""
    user = make_user("admin")
    user.admin_role = "auditor"
    db.session.commit()
    return user


@pytest.fixture
def four_eyes(app):
    """Two different operators required, as in production (FOUR_EYES)."""
    app.config["FOUR_EYES"] = True
    yield
    app.config["FOUR_EYES"] = False


@pytest.fixture
def refuse_next_commit(monkeypatch):
    """refuse_next_commit(): the session's next commit fails as a busy database would (SQLite's
    "database is locked", which the transaction helper retries like PostgreSQL's serialization
    failures); later commits go through. Returns the list of commit calls."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    real_commit, calls = db.session.commit, []

    def arm():
        def commit():
            calls.append("commit")
            if len(calls) == 1:
                raise OperationalError("COMMIT", {}, sqlite3.OperationalError("database is locked"))
            return real_commit()
        monkeypatch.setattr(db.session, "commit", commit)
        return calls
    return arm


@pytest.fixture
def clock():
    """clock(instant): the app's time is `instant` until the test ends (the simulation's seam)."""
    from marketplace.database import SimulatedClock

    def set_to(instant):
        SimulatedClock.now = instant
    yield set_to
    SimulatedClock.now = None


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    databases = databases_for_run(str(tmp_path_factory.mktemp("db")))
    migrating_app = create_app(config_for_tests(databases.template_url(), tmp_path_factory.mktemp("migrate")))
    with migrating_app.app_context():
        upgrade(directory="migrations")
        db.engine.dispose()
    yield databases
    databases.finish()


@pytest.fixture
def database_url(databases):
    url = databases.clone()
    yield url
    databases.drop(url)


def forget_previous_request():
    """Tests hold one app context open, so requests share `g`; a real server gives each request a
    fresh one. Drop what Flask-Login and Flask-Babel cache on `g` so each request starts clean."""
    g.pop("_login_user", None)
    flask_babel.refresh()


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(config_for_tests(database_url, tmp_path))
    app.test_client_class = CSRFClient
    app.before_request(forget_previous_request)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_codes = iter(range(10**6, 10**7))


@pytest.fixture
def make_org(app):
    """make_org(kind="enterprise", status="approved", **fields) → a flushed Organisation."""
    def make(kind="enterprise", status=OrgStatus.APPROVED, **fields):
        code = credit_code.complete(f"9135020{next(_codes):07d}MA0"[:17])
        values = {"legal_name": f"测试{kind}{code[-4:]}有限公司", "credit_code": code,
                  "legal_representative": f"法人{code[-5:]}", "city": "厦门", "contact_name": "李四",
                  "contact_phone": f"0592-{code[7:14]}", **fields}
        organisation = Organisation(kind=kind, status=status, **values)
        db.session.add(organisation)
        db.session.flush()
        return organisation
    return make


@pytest.fixture
def make_user(make_org):
    """make_user(role="enterprise", org_status="approved", email=None) → a committed User."""
    counter = iter(range(1, 10**6))

    def make(role="enterprise", org_status=OrgStatus.APPROVED, email=None, organisation=None):
        if role != "admin" and organisation is None:
            organisation = make_org(kind=role, status=org_status)
        user = User(email=email or f"{role}{next(counter)}@example.com", name="测试用户", role=role,
                    organisation=organisation if role != "admin" else None)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        return user
    return make


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, user_or_email, password=PASSWORD):
        email = getattr(user_or_email, "email", user_or_email)
        return self.client.post("/auth/login", data={"email": email, "password": password})

    def logout(self):
        return self.client.post("/auth/logout", data={})


@pytest.fixture
def auth(client):
    return AuthActions(client)
