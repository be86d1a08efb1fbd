"""/healthz, /readyz and /metrics in the app (the served versions: test_serving.py), and the
operation settings."""
import json
import logging

import pytest

from marketplace.config import ConfigError, load_config
from marketplace.ops import logs
from marketplace.ops.context import working_on


@pytest.fixture
def ready_app(app):
    from marketplace.search.indexer import rebuild

    rebuild(reason="tests")
    return app


def test_healthz_answers_without_asking_anything(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_checks_database_index_and_uploads(ready_app, client):
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ready", "checks": {"database": "ok", "redis": "skipped",
                                                               "search_index": "ok", "uploads": "ok"}}


def test_readyz_is_503_when_the_upload_folder_cannot_be_written(ready_app, client, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    ready_app.config["UPLOAD_DIR"] = str(blocker)
    answer = client.get("/readyz")
    assert answer.status_code == 503
    body = answer.get_json()
    assert body["status"] == "not ready" and body["checks"]["uploads"] != "ok"
    assert body["checks"]["database"] == "ok"


def test_readyz_is_503_without_a_readable_index(app, client, tmp_path):
    app.config["SEARCH_INDEX_DIR"] = str(tmp_path / "no-index-here")
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.get_json()["checks"]["search_index"] != "ok"


@pytest.fixture
def redis_url():
    """The machine's Redis (db 6) when it answers, else a redis-server of our own on a test port."""
    import shutil
    import subprocess
    import time

    import redis

    from tests.ops.servers import free_port

    try:
        redis.Redis(port=6379, socket_connect_timeout=1).ping()
        yield "redis://127.0.0.1:6379/6"
        return
    except redis.ConnectionError:
        pass
    if not shutil.which("redis-server"):
        pytest.skip("no Redis on 127.0.0.1:6379 and no redis-server to start")
    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no"], stdout=subprocess.DEVNULL)
    try:
        for _ in range(50):
            try:
                redis.Redis(port=port, socket_connect_timeout=1).ping()
                break
            except redis.ConnectionError:
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/6"
    finally:
        server.terminate()
        server.wait(10)


def test_readyz_checks_redis_when_configured(ready_app, client, redis_url):
    ready_app.config["REDIS_URL"] = redis_url
    assert client.get("/readyz").get_json()["checks"]["redis"] == "ok"
    ready_app.config["REDIS_URL"] = "redis://127.0.0.1:9/6"  # nothing listens there
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.get_json()["checks"]["redis"].startswith("ConnectionError")


def test_metrics_are_off_by_default_and_read_the_database_when_on(app, client, runner):
    assert client.get("/metrics").status_code == 404
    app.config["METRICS_ENABLED"] = True
    assert runner.invoke(args=["ledger", "verify"]).exit_code == 0  # the CLI run is kept: its age is a metric
    text = client.get("/metrics").get_data(as_text=True)
    assert "marketplace_ledger_verify_age_seconds " in text and "marketplace_ledger_verify_ok 1.0" in text
    assert "marketplace_holds_open 0.0" in text and "marketplace_mail_pending 0.0" in text


def test_request_ids_are_returned(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    assert len(client.get("/healthz").headers["X-Request-ID"]) == 16


def test_json_log_lines_name_the_request_or_job_run(capsys):
    logger = logging.getLogger("tests.ops.json")
    logger.addHandler(handler := logs.handler("json"))
    logger.setLevel(logging.INFO)
    try:
        with working_on("job-0123456789abcdef"):
            logger.info("expired %s", "voucher:7")
        logger.info("outside")
    finally:
        logger.removeHandler(handler)
    first, second = (json.loads(line) for line in capsys.readouterr().err.splitlines())
    assert first["message"] == "expired voucher:7" and first["request_id"] == "job-0123456789abcdef"
    assert first["level"] == "INFO" and first["logger"] == "tests.ops.json"
    assert second["request_id"] == "-"


@pytest.mark.parametrize("setting, value", [("TRUSTED_PROXY_HOPS", "two"), ("LOG_FORMAT", "xml"),
                                            ("LOG_LEVEL", "LOUD"), ("METRICS_ENABLED", "maybe")])
def test_bad_operation_settings_are_refused(setting, value, tmp_path):
    with pytest.raises(ConfigError, match=setting):
        load_config(str(tmp_path), {setting: value})


def test_production_logs_json_by_default(tmp_path):
    production = load_config(str(tmp_path), {"APP_ENV": "production", "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})
    assert production["LOG_FORMAT"] == "json"
    assert load_config(str(tmp_path), {})["LOG_FORMAT"] == "text"
    assert load_config(str(tmp_path), {})["METRICS_ENABLED"] is False


def test_worker_job_runs_failures_and_durations_are_counted(app, client):
    from marketplace.worker import run_job

    def scraped(name, job):
        text = client.get("/metrics").get_data(as_text=True)
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith(name + "{") and f'job="{job}"' in line)

    app.config["METRICS_ENABLED"] = True
    runs, timed = scraped("marketplace_job_runs_total", "mail"), scraped("marketplace_job_duration_seconds_count", "mail")
    run_job("mail")
    run_job("mail")
    assert scraped("marketplace_job_runs_total", "mail") == runs + 2
    assert scraped("marketplace_job_duration_seconds_count", "mail") == timed + 2
