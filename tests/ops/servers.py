"""Real processes for the operations tests: gunicorn with gunicorn.conf.py on a port of
19500–19999, its stderr (the logs) collected."""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
PORTS = range(19500, 20000)


def free_port():
    for port in PORTS[os.getpid() % 250:]:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 19500–19999")


def app_environment(database_url, tmp_path, **extra):
    """The environment of a production host of the tests (a fresh copy of this one's, plus settings)."""
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("GUNICORN_", "PROMETHEUS_", "FLASK_"))}
    environment.update({
        "PYTHONPATH": str(ROOT), "APP_ENV": "production", "SECRET_KEY": "ops-test-secret",
        "DATABASE_URL": database_url, "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "UPLOAD_DIR": str(tmp_path / "uploads"), "STRIPE_API_BASE": "http://127.0.0.1:9",
        "AUDIT_CHECKPOINT_KEY": "ops-test-checkpoint-key",
        # Workers that warm the index start accepting at different times, which tests about
        # spreading requests over workers do not want; test_serving's warm-up test turns it on.
        "SEARCH_WARM_UP": "0",
    })
    environment.update({key: str(value) for key, value in extra.items()})
    return environment


class Gunicorn:
    def __init__(self, environment, workers=2, threads=2, **settings):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {**environment, "GUNICORN_BIND": f"127.0.0.1:{self.port}", "GUNICORN_WORKERS": workers,
                       "GUNICORN_THREADS": threads,
                       **{f"GUNICORN_{key.upper()}": value for key, value in settings.items()}}
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
            cwd=ROOT, env={key: str(value) for key, value in environment.items()},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        try:
            self.wait_ready()
        except Exception:
            self.stop()
            raise

    def _read(self):
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_ready(self, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn stopped:\n" + "\n".join(self.lines[-30:]))
            try:
                if requests.get(self.url + "/healthz", timeout=10).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer:\n" + "\n".join(self.lines[-30:]))

    def json_lines(self):
        records = []
        for line in list(self.lines):
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
        return records

    def reload(self):
        os.kill(self.process.pid, signal.SIGHUP)

    def stop(self):
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(40)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.reader.join(5)
        self.process.stderr.close()
