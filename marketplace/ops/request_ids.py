"""Each web request's id: the `X-Request-ID` a proxy sent (when it looks like an id), else a new
one; returned in the response's `X-Request-ID` and named by every log line of the request. Under
gunicorn one access line per request is logged (the development server logs its own)."""
import logging
import re
import time

from flask import g, request

from marketplace.ops.context import current_id, new_id

log = logging.getLogger("marketplace.access")
HEADER = "X-Request-ID"
ACCEPTED = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def init_app(app):
    app.before_request(start)
    app.after_request(finish)
    app.teardown_request(forget)


def accepted_id(given):
    """The proxy's id when it looks like one, else a new id."""
    return given if given and ACCEPTED.match(given) else new_id()


def start():
    g.request_id = accepted_id(request.headers.get(HEADER, ""))
    g.request_started = time.perf_counter()
    g.request_token = current_id.set(g.request_id)


def finish(response):
    response.headers[HEADER] = g.get("request_id", "")
    seconds = time.perf_counter() - g.get("request_started", time.perf_counter())
    record(request, request.endpoint, response.status_code, seconds)
    return response


def record(incoming, endpoint, status, seconds):
    """The request's metric and, under gunicorn, its access line. `incoming` is a werkzeug
    Request: Flask's, or the one the page cache reads a hit from before Flask dispatches."""
    from marketplace.ops import metrics

    metrics.observe_request(endpoint or "(unmatched)", incoming.method, status, seconds)
    if incoming.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn"):
        log.info("%s %s %s", incoming.method, incoming.path, status,
                 extra={"method": incoming.method, "path": incoming.path, "status": status,
                        "duration_ms": round(seconds * 1000, 1), "remote_addr": incoming.remote_addr,
                        "scheme": incoming.scheme})


def forget(_error=None):
    token = g.pop("request_token", None)
    if token is not None:
        current_id.reset(token)
