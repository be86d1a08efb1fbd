"""HTTP benchmark of the public pages against a bare Flask app (not a test). From the repository root:

    .venv/bin/python bench/http_bench.py [--source DIR] [--duration 10] [--warmup 2] [--connections 50] [--port 19100]

Seeds the demo data into a temporary SQLite database (`flask db upgrade`, `flask seed demo`, which
also builds the search index), then starts gunicorn (`-w 2`, APP_ENV=production, a generated
SECRET_KEY) with the bare "hello" app (bench/hello_app.py) and measures it with
`wrk -t2 -c50 -d10s --latency`, then starts the marketplace the same way (gunicorn.conf.py's
settings; once every worker has logged its search warm-up) and measures each page one after
another, each after `--warmup` seconds of the same load (steady state: each worker has rendered
and cached the page; a miss's cost is measured in-process, docs/benchmarks.md "Pages at
scale"). Prints req/s, p50 and p99 per page and the ratio to hello's rate in the same run, with
the load average before each measurement (the machine is shared: a ratio is only meaningful
with it). `--source` serves another checkout of the app (e.g. a worktree of an older
commit) with the same script, for before/after figures; `--redis URL` sets REDIS_URL.
"""
import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from urllib.parse import quote

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(REPO, ".venv", "bin")
PAGES = ("/", "/categories/testing", "/listings/1", "/providers/{provider}", "/search?q=检测",
         "/api/v1/search?q=检测")
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def main():
    options = parse_args()
    workdir = tempfile.mkdtemp(prefix="http-bench-")
    try:
        env = app_environment(options, workdir)
        seed(options.source, env)
        rows = [measure_app(options, "hello", "bench.hello_app:app", REPO, {**env, "PYTHONPATH": REPO}, ["/"])]
        provider = first_provider_with_listings(env["DATABASE_URL"])
        pages = [page.format(provider=provider) for page in PAGES]
        rows += measure_app(options, "marketplace", "wsgi:app", options.source, env, pages, many=True)
        report(rows, options)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", default=REPO, help="checkout of the app to serve (default: this one)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per page")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of load before each page is measured (0: none)")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=19100)
    parser.add_argument("--redis", default="", help="REDIS_URL for the app (default: none, in-process cache)")
    options = parser.parse_args()
    options.source = os.path.abspath(options.source)
    return options


def app_environment(options, workdir):
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "FLASK_APP")}
    env.update({"APP_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
                "DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3",
                "SEARCH_INDEX_DIR": f"{workdir}/index", "UPLOAD_DIR": f"{workdir}/uploads",
                "RATELIMIT_STORAGE_URI": "memory://", "PYTHONPATH": options.source,
                # wrk sends everything from one address: the search API's per-address limit would
                # answer 429 after 120 requests, and a benchmark of the 429 page measures nothing.
                "SEARCH_API_RATE_LIMIT": "1000000 per minute"})
    if options.redis:
        env["REDIS_URL"] = options.redis
    return env


def seed(source, env):
    flask = [os.path.join(VENV_BIN, "flask"), "--app", "wsgi"]
    for command in (["db", "upgrade"], ["seed", "demo"]):
        subprocess.run(flask + command, cwd=source, env=env, check=True, stdout=subprocess.DEVNULL)


def first_provider_with_listings(database_url):
    import sqlite3

    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
        return connection.execute("SELECT provider_id FROM listings WHERE status = 'published' "
                                  "GROUP BY provider_id ORDER BY count(*) DESC, provider_id LIMIT 1").fetchone()[0]


def measure_app(options, name, target, source, env, pages, many=False):
    port = options.port + (0 if name == "hello" else 1)
    log_path = os.path.join(tempfile.gettempdir(), f"http-bench-{name}-{os.getpid()}.log")
    with open(log_path, "w") as log:
        server = subprocess.Popen([os.path.join(VENV_BIN, "gunicorn"), "-w", str(options.workers), "-b",
                                   f"127.0.0.1:{port}", "--log-level", "info", target],
                                  cwd=source, env=env, start_new_session=True, stdout=log, stderr=log)
    try:
        wait_for(port, server)
        wait_for_workers(log_path, options.workers, name)
        rows = []
        for page in pages:
            url = f"http://127.0.0.1:{port}{quote(page, safe='/?=&')}"
            check(url)
            if options.warmup:  # steady state: every worker has rendered and cached the page
                run_wrk(url, options, options.warmup)
            rows.append({"app": name, "page": page, "load": os.getloadavg(), **run_wrk(url, options)})
        return rows if many else rows[0]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        os.unlink(log_path)


def wait_for(port, server, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"nothing listens on port {port} after {timeout} s")


def wait_for_workers(log_path, workers, name, timeout=300):
    """Until every worker has warmed its search index (gunicorn.conf.py's post_worker_init logs
    "search warm-up" before the worker accepts): the first page would otherwise be measured
    with one worker serving while the other still reads. The hello app does not warm."""
    if name == "hello":
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(log_path) as log:
            if log.read().count("search warm-up:") >= workers:
                return
        time.sleep(0.2)
    raise SystemExit(f"the workers did not finish warming up in {timeout} s (see {log_path})")


def check(url):
    """One request first: the page must answer 200 (a benchmark of an error page measures nothing)."""
    with urllib.request.urlopen(url, timeout=30) as response:
        if response.status != 200:
            raise SystemExit(f"{url} answered {response.status}")


def run_wrk(url, options, duration=None):
    output = subprocess.run(["wrk", f"-t{options.threads}", f"-c{options.connections}", f"-d{duration or options.duration}s",
                             "--latency", url], check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    timeouts = re.search(r"timeout (\d+)", output)  # wrk gives up on a request after 2 s
    return {"rate": rate, "p50": latency(output, "50%"), "p99": latency(output, "99%"),
            "errors": int(errors.group(1)) if errors else 0, "timeouts": int(timeouts.group(1)) if timeouts else 0}


def latency(output, percentile):
    value, unit = re.search(rf"^\s+{percentile}\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
    return float(value) * UNITS[unit]


def report(rows, options):
    hello = rows[0]["rate"]
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, gunicorn -w "
          f"{options.workers}, wrk -t{options.threads} -c{options.connections} -d{options.duration}s "
          f"after {options.warmup} s of warm-up, "
          f"source {options.source}, cache {'Redis' if options.redis else 'in-process'}")
    print("| page | req/s | × hello | p50 ms | p99 ms | non-2xx | timeouts | load average (1/5/15 min) |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        load = " / ".join(f"{value:.1f}" for value in row["load"])
        name = "hello (bare Flask)" if row["app"] == "hello" else f"`{row['page']}`"
        print(f"| {name} | {row['rate']:,.0f} | {row['rate'] / hello:.3f} | {row['p50']:.1f} | {row['p99']:.1f} "
              f"| {row['errors']} | {row['timeouts']} | {load} |")


if __name__ == "__main__":
    sys.exit(main())
