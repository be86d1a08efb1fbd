import threading

import pytest
from sqlalchemy import text

from marketplace import create_app
from marketplace.config import ConfigError


def test_production_refuses_to_start_without_secret_key_and_database(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY, DATABASE_URL"):
        create_app({"APP_ENV": "production"})


def test_production_sets_secure_cookies(tmp_path):
    app = create_app({"APP_ENV": "production", "SECRET_KEY": "x" * 32,
                      "DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite3"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_development_secret_key_is_generated_once_into_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    from marketplace.config import load_config

    first = load_config(str(tmp_path), {"APP_ENV": "development"})["SECRET_KEY"]
    second = load_config(str(tmp_path), {"APP_ENV": "development"})["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (tmp_path / "secret_key").read_text() == first
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_environment_variables_are_read(tmp_path, monkeypatch):
    monkeypatch.setenv("UPLOAD_DIR", str(tmp_path / "up"))
    monkeypatch.setenv("MAIL_PORT", "2525")
    app = create_app({"SECRET_KEY": "s", "DATABASE_URL": f"sqlite:///{tmp_path}/e.sqlite3"})
    assert app.config["UPLOAD_DIR"] == str(tmp_path / "up")
    assert app.config["MAIL_PORT"] == 2525


def test_redis_url_moves_rate_limits_to_redis(tmp_path):
    app = create_app({"SECRET_KEY": "s", "DATABASE_URL": f"sqlite:///{tmp_path}/r.sqlite3",
                      "REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


def test_database_session_settings(app):
    from marketplace.extensions import db

    with db.engine.connect() as connection:
        if db.engine.dialect.name == "sqlite":
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30000
        else:
            assert connection.execute(text("SHOW transaction_isolation")).scalar() == "read committed"


def test_concurrent_writers_queue_instead_of_failing(app):
    """SQLite: with deferred BEGIN, two read-then-write transactions fail with 'database is
    locked'; BEGIN IMMEDIATE makes the second wait. PostgreSQL: the row lock does the same."""
    from marketplace.extensions import db

    engine = db.engine
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE counter (n INTEGER)"))
        connection.execute(text("INSERT INTO counter VALUES (0)"))
    errors = []
    read = "SELECT n FROM counter" + ("" if engine.dialect.name == "sqlite" else " FOR UPDATE")

    def bump():
        try:
            for _ in range(20):
                with engine.begin() as connection:
                    value = connection.execute(text(read)).scalar()
                    connection.execute(text("UPDATE counter SET n = :n"), {"n": value + 1})
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM counter")).scalar() == 80


def test_search_read_ahead_comes_from_the_environment_and_must_be_a_number(tmp_path, monkeypatch):
    from marketplace.config import load_config

    monkeypatch.setenv("SEARCH_WARM_MIN_DOCS", "2000")
    assert load_config(str(tmp_path), {"APP_ENV": "development"})["SEARCH_WARM_MIN_DOCS"] == 2000
    monkeypatch.setenv("SEARCH_WARM_MIN_DOCS", "many")
    with pytest.raises(ConfigError, match="SEARCH_WARM_MIN_DOCS must be a whole number"):
        load_config(str(tmp_path), {"APP_ENV": "development"})


def test_search_warm_up_is_on_in_production_only_unless_set(tmp_path, monkeypatch):
    from marketplace.config import load_config

    production = {"APP_ENV": "production", "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"}
    assert load_config(str(tmp_path), production)["SEARCH_WARM_UP"] is True
    assert load_config(str(tmp_path), {"APP_ENV": "development"})["SEARCH_WARM_UP"] is False
    monkeypatch.setenv("SEARCH_WARM_UP", "off")
    assert load_config(str(tmp_path), production)["SEARCH_WARM_UP"] is False
    monkeypatch.setenv("SEARCH_WARM_UP", "sometimes")
    with pytest.raises(ConfigError, match="SEARCH_WARM_UP must be on or off"):
        load_config(str(tmp_path), production)
