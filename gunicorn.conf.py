"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app` (docs/deploy.md).

Every setting can be changed by an environment variable (GUNICORN_BIND, GUNICORN_WORKERS, …,
below) or by gunicorn's own command-line options, which win over this file."""
import glob
import os
import tempfile


def setting(name, default):
    return os.environ.get(f"GUNICORN_{name}", default)


def flag(name):
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


bind = setting("BIND", "127.0.0.1:8000").split(",")
workers = int(setting("WORKERS", 2 * (os.cpu_count() or 1) + 1))
threads = int(setting("THREADS", 4))
# gthread, fixed so that a stopping worker finishes its kept-alive connections (see the module).
worker_class = setting("WORKER_CLASS", "marketplace.ops.gunicorn_worker.ThreadWorker")
timeout = int(setting("TIMEOUT", 30))  # a worker silent this long is killed and replaced
graceful_timeout = int(setting("GRACEFUL_TIMEOUT", 30))  # reload/stop: time to finish requests
keepalive = int(setting("KEEPALIVE", 75))  # longer than the load balancer's idle timeout
# Recycle each worker after this many requests (± jitter, so they do not all restart together): a
# guard against slow leaks. Not more often: a restart costs the worker's import and search warm-up
# (seconds, while the others carry its share and its kept-alive clients wait to reconnect), and a
# worker answering 1,500 cached pages a second restarted every 3 s at 5,000 and every minute at
# 100,000 (issue 18, bench/http_bench.py: p99 250–1,060 ms and 660 ms instead of 30–60 ms).
max_requests = int(setting("MAX_REQUESTS", 1000000))
max_requests_jitter = int(setting("MAX_REQUESTS_JITTER", max_requests // 10))
# Each worker imports the app itself: a reload (HUP) loads new code, and no database connection
# is ever shared across a fork.
preload_app = False
# The app's ProxyFix alone decides what forwarded headers to trust (TRUSTED_PROXY_HOPS).
forwarded_allow_ips = ""
secure_scheme_headers = {}
forwarder_headers = ""
accesslog = None  # the app logs one line per request, with its request id
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
proc_name = setting("PROC_NAME", "marketplace")

JSON_LOGS = os.environ.get("LOG_FORMAT", "json" if os.environ.get("APP_ENV") == "production" else "text") == "json"
if JSON_LOGS:
    logconfig_dict = {
        "version": 1, "disable_existing_loggers": False,
        "root": {"level": "INFO", "handlers": []},  # the app installs its own handler on the root logger
        "formatters": {"json": {"()": "pythonjsonlogger.json.JsonFormatter",
                                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"}}},
        "handlers": {"error_console": {"class": "logging.StreamHandler", "formatter": "json",
                                       "stream": "ext://sys.stderr"}},
        "loggers": {"gunicorn.error": {"level": loglevel.upper(), "handlers": ["error_console"],
                                       "propagate": False, "qualname": "gunicorn.error"}},
    }

# Metrics: every worker process counts into one directory and a scrape adds them up.
if flag("METRICS_ENABLED") and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="marketplace-metrics-")


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def on_starting(server):
    """Drop the counts of processes that are gone (a worker of this host may share the directory)."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return
    os.makedirs(folder, exist_ok=True)
    for path in glob.glob(os.path.join(folder, "*.db")):
        pid = os.path.basename(path).rsplit("_", 1)[-1][:-3]
        if pid.isdigit() and not pid_alive(int(pid)):
            os.remove(path)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    """Before this worker accepts a request, read what the first searches need (issue 19: search
    p95 ≤ 50 ms from a fresh process's first minute; search.services.warm_up), when the app's
    SEARCH_WARM_UP is on (production's default). It runs in a thread while this one keeps
    telling the arbiter the worker is alive (a 100,000-listing warm-up can outlast `timeout`)."""
    app = worker.wsgi
    if getattr(app, "config", {}).get("SEARCH_WARM_UP"):
        warm_search(worker, app)


def warm_search(worker, app):
    import threading

    from marketplace.search.services import warm_up

    def run():
        with app.app_context():
            result = warm_up()
        worker.log.info("search warm-up: %s", result)

    thread = threading.Thread(target=run, name="search-warm-up", daemon=True)
    thread.start()
    while thread.is_alive():
        worker.notify()
        thread.join(1)
