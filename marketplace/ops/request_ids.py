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


def start():
    given = request.headers.get(HEADER, "")
    g.request_id = given if ACCEPTED.match(given) else new_id()
    g.request_started = time.perf_counter()
    g.request_token = current_id.set(g.request_id)


def finish(response):
    response.headers[HEADER] = g.get("request_id", "")
    seconds = time.perf_counter() - g.get("request_started", time.perf_counter())
    from marketplace.ops import metrics

    metrics.observe_request(request.endpoint or "(unmatched)", request.method, response.status_code, seconds)
    if request.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn"):
        log.info("%s %s %s", request.method, request.path, response.status_code,
                 extra={"method": request.method, "path": request.path, "status": response.status_code,
                        "duration_ms": round(seconds * 1000, 1), "remote_addr": request.remote_addr,
                        "scheme": request.scheme})
    return response


def forget(_error=None):
    token = g.pop("request_token", None)
    if token is not None:
        current_id.reset(token)
