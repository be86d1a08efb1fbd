"""Logging of web processes and the worker: one line per record, JSON (python-json-logger) or
text (LOG_FORMAT; JSON by default in production), at LOG_LEVEL, each naming the request or job
run it belongs to (`request_id`)."""
import logging
import sys

from marketplace.ops.context import current_id

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(process)d %(request_id)s %(message)s"
HANDLER_NAME = "marketplace"


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        if not getattr(record, "request_id", None):
            record.request_id = current_id.get() or "-"
        return True


def formatter(kind):
    if kind == "json":
        from pythonjsonlogger.json import JsonFormatter

        return JsonFormatter(JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                             json_ensure_ascii=False, timestamp=False)
    return logging.Formatter(TEXT_FORMAT)


def handler(kind):
    handler = logging.StreamHandler(sys.stderr)
    handler.name = HANDLER_NAME
    handler.setFormatter(formatter(kind))
    handler.addFilter(RequestIdFilter())
    return handler


def configure(app):
    """Install the one handler on the root logger (not in tests and the debugger: they keep theirs)."""
    if app.debug or app.testing:
        return
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.name == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler(app.config["LOG_FORMAT"]))
    root.setLevel(app.config["LOG_LEVEL"])
    logging.getLogger("stripe").setLevel(logging.WARNING)  # one INFO line per API call otherwise
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # a line per plugin at import
    # Flask's own app logger would otherwise also print through its default handler.
    app.logger.handlers.clear()
    app.logger.propagate = True
