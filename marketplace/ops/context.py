"""The id of what this thread is working on — a web request or one worker job run — so every
log line names it. A context variable: each gunicorn thread (and the worker) has its own."""
import uuid
from contextlib import contextmanager
from contextvars import ContextVar

current_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_id(prefix=""):
    return prefix + uuid.uuid4().hex[:16]


@contextmanager
def working_on(identifier):
    token = current_id.set(identifier)
    try:
        yield identifier
    finally:
        current_id.reset(token)
