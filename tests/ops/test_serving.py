"""Production serving through real gunicorn (gunicorn.conf.py) on the test database: request ids,
JSON logs, the client's address through one trusted proxy, metrics added up over workers, and a
graceful reload under load with no failed request."""
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests


def access_lines(server, request_id=None):
    return [line for line in server.json_lines() if line.get("logger") == "marketplace.access"
            and (request_id is None or line.get("request_id") == request_id)]


def wait_for(predicate, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_request_ids_are_kept_or_made_returned_and_logged_as_json(serve):
    server = serve(LOG_FORMAT="json")
    given = requests.get(server.url + "/healthz", headers={"X-Request-ID": "lb-1234abcd"})
    assert given.status_code == 200 and given.json() == {"status": "ok"}
    assert given.headers["X-Request-ID"] == "lb-1234abcd"
    made = requests.get(server.url + "/search?q=%E6%A3%80%E6%B5%8B")
    assert made.status_code == 200
    made_id = made.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{16}", made_id)
    # Something that is not an id (spaces, too long) is replaced, not logged as given.
    odd = requests.get(server.url + "/healthz", headers={"X-Request-ID": "a b" + "x" * 200})
    assert re.fullmatch(r"[0-9a-f]{16}", odd.headers["X-Request-ID"])
    assert wait_for(lambda: access_lines(server, "lb-1234abcd") and access_lines(server, made_id))
    line, = access_lines(server, "lb-1234abcd")
    assert line["status"] == 200 and line["path"] == "/healthz" and line["level"] == "INFO"
    assert {"time", "process", "duration_ms", "remote_addr"} <= set(line)
    assert access_lines(server, made_id)[0]["path"] == "/search"
    # gunicorn's own lines are JSON too.
    assert any(line.get("logger") == "gunicorn.error" for line in server.json_lines())


def test_the_client_address_and_scheme_come_from_the_trusted_proxy_only(serve):
    server = serve(TRUSTED_PROXY_HOPS=1)
    requests.get(server.url + "/healthz", headers={
        "X-Request-ID": "through-proxy", "X-Forwarded-For": "6.6.6.6, 203.0.113.9",
        "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"})
    requests.get(server.url + "/healthz", headers={"X-Request-ID": "direct"})
    assert wait_for(lambda: access_lines(server, "through-proxy") and access_lines(server, "direct"))
    proxied, = access_lines(server, "through-proxy")
    # The address the one trusted proxy saw, not one the client wrote into the header itself.
    assert proxied["remote_addr"] == "203.0.113.9" and proxied["scheme"] == "https"
    assert access_lines(server, "direct")[0]["remote_addr"] == "127.0.0.1"


def test_with_no_trusted_proxy_forwarded_headers_are_ignored(serve):
    server = serve()
    requests.get(server.url + "/healthz", headers={"X-Request-ID": "spoofed", "X-Forwarded-For": "203.0.113.9",
                                                   "X-Forwarded-Proto": "https"})
    assert wait_for(lambda: access_lines(server, "spoofed"))
    line, = access_lines(server, "spoofed")
    assert line["remote_addr"] == "127.0.0.1" and line["scheme"] == "http"


def metric(text, name, **labels):
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            if all(f'{key}="{value}"' in line for key, value in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
    return total


def healthz(server, request_id):
    with requests.Session() as fresh:  # a new connection each time: the requests spread over workers
        return fresh.get(server.url + "/healthz", headers={"X-Request-ID": request_id}).status_code


def test_metrics_add_up_over_workers_and_want_the_token(serve):
    server = serve(workers=3, METRICS_ENABLED=1, METRICS_TOKEN="scrape-me")
    token = {"Authorization": "Bearer scrape-me"}
    before = requests.get(server.url + "/metrics", headers=token).text  # the start-up check counted too
    sent, pids = 0, set()
    # Rounds of concurrent requests on fresh connections until two workers have answered: which
    # worker accepts is the kernel's choice, and on a busy machine one may win a whole round.
    while len(pids) < 2 and sent < 600:
        with ThreadPoolExecutor(max_workers=10) as pool:
            codes = list(pool.map(lambda n: healthz(server, f"m{n}"), range(sent, sent + 30)))
        assert codes == [200] * 30
        sent += 30
        assert wait_for(lambda: len(access_lines(server)) >= sent + 1)
        pids = {line["process"] for line in access_lines(server) if line["request_id"].startswith("m")}
    assert len(pids) >= 2, "the requests should have reached more than one worker"
    assert requests.get(server.url + "/metrics").status_code == 401
    assert requests.get(server.url + "/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    scraped = requests.get(server.url + "/metrics", headers=token)
    assert scraped.status_code == 200
    text = scraped.text
    for name, labels in (("marketplace_requests_total", {"status": "200"}),
                         ("marketplace_request_duration_seconds_count", {})):
        counted = metric(text, name, endpoint="ops.healthz", **labels) - metric(before, name, endpoint="ops.healthz", **labels)
        assert counted == sent, name
    # Read from the database at scrape time.
    for name in ("marketplace_holds_open", "marketplace_holds_open_fen", "marketplace_job_failures_open",
                 "marketplace_refunds_pending", "marketplace_mail_pending"):
        assert re.search(rf"^{name} \d", text, re.M), name
    assert "marketplace_search_replica_lag{" in text


def test_metrics_are_not_served_unless_enabled(serve):
    server = serve()
    assert requests.get(server.url + "/metrics").status_code == 404


def test_a_worker_warms_the_search_index_before_it_accepts_requests(serve):
    server = serve(workers=1, SEARCH_WARM_UP=1)  # serve() returns once /healthz answers
    # logged before the worker accepted (the line may reach our reader a moment after the answer)
    assert wait_for(lambda: any("search warm-up: {" in line for line in server.lines))
    answer = requests.get(server.url + "/readyz")
    assert answer.status_code == 200 and answer.json()["checks"]["search_index"] == "ok"


def hammer_through_reloads(server):
    """Keep-alive clients hammer the host while it is reloaded twice (HUP) and its workers recycle
    every ~20 requests. Returns (status codes, errors, workers recycled, workers booted)."""
    stop, results, errors = threading.Event(), [], []

    def client():
        with requests.Session() as session:
            while not stop.is_set():
                for path in ("/healthz", "/readyz", "/search?q=%E6%A3%80%E6%B5%8B"):
                    try:
                        results.append(session.get(server.url + path, timeout=30).status_code)
                    except requests.RequestException as error:
                        errors.append(repr(error))

    clients = [threading.Thread(target=client) for _ in range(6)]
    for thread in clients:
        thread.start()
    for _reload in range(2):
        assert wait_for(lambda: len(results) + len(errors) >= 30 * (_reload + 1), 90)
        server.reload()
    assert wait_for(lambda: len(results) + len(errors) >= 120, 120)
    stop.set()
    for thread in clients:
        thread.join(60)
    recycled = sum("Autorestarting worker" in line for line in server.lines)
    booted = sum("Booting worker" in line for line in server.lines)
    return results, errors, recycled, booted


def test_a_graceful_reload_and_worker_recycling_under_load_fail_no_request(serve):
    """Every request gets its answer through reloads and recycling. Stock gthread resets
    connections on every recycle (gunicorn #3038: dozens of failures a run); with our worker a
    single reset was seen twice on 2026-12-05 with two test legs at once on 2 cores (a race not yet
    found, see docs/deploy.md). So one more run on a fresh server is allowed, and it must be clean:
    the systematic failure still fails both."""
    for attempt in (1, 2):
        server = serve(workers=2, threads=4, gunicorn={"max_requests": 20, "max_requests_jitter": 3})
        results, errors, recycled, booted = hammer_through_reloads(server)
        assert recycled >= 2 and booted >= 6  # both the recycling and the reloads really happened
        if not errors or attempt == 2 or len(errors) > 1:
            break
        server.stop()
    assert not errors, f"{len(errors)} failed of {len(results) + len(errors)} (run {attempt}): {errors[:3]}"
    assert set(results) == {200}
