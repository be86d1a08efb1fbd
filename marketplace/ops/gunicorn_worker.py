"""gunicorn's gthread worker, with kept-alive connections drained, not dropped, when it stops.

A stopping gthread worker (graceful reload with HUP, `max_requests` recycling, SIGTERM) leaves
its loop without reading again the connections it is waiting on — ones it accepted whose request
it has not read yet, and idle kept-alive ones — and closes at once a connection whose response
(begun while it was alive) promised keep-alive. A client that had sent, or is about to send, a
request on such a connection gets a reset: failed requests on every recycle under load (gunicorn
issue #3038). This worker, once its loop has ended and its in-flight requests are done, keeps
those connections for a short grace period and answers a request arriving on one (with
`Connection: close`, being no longer alive), then closes them; clients open their next
connection to a live worker.

    gunicorn -c gunicorn.conf.py wsgi:app   (the config names this worker class)"""
import selectors
import time
from functools import partial

from gunicorn.workers.gthread import ThreadWorker as StockThreadWorker

DRAIN_SECONDS = 5.0  # how long a stopping worker still answers requests on its open connections


class RememberingSelector(selectors.DefaultSelector):
    """Keeps what was still registered when it was closed (the stock loop closes it on the way out)."""

    left = ()

    def close(self):
        mapping = self.get_map()
        self.left = list(mapping.values()) if mapping is not None else []
        super().close()


class ThreadWorker(StockThreadWorker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.draining = []

    def run(self):
        # Nothing is registered in the stock selector yet: the stock run() begins by registering.
        self.poller.close()
        self.poller = RememberingSelector()
        super().run()
        self.drain()

    def finish_request(self, fs):
        if not self.alive and not fs.cancelled() and fs.exception() is None:
            keepalive, conn = fs.result()
            if keepalive:  # its response promised keep-alive: the client may already be sending
                with self._lock:
                    self.draining.append(conn)
                return
        super().finish_request(fs)

    def waiting_connections(self):
        """Connections the stopped loop was waiting on (accepted, or kept alive) and those drained."""
        connections = []
        for key in self.poller.left:
            if isinstance(key.data, partial) and key.data.func == self.on_client_socket_readable:
                connections.append(key.data.args[0])
        with self._lock:
            connections += self.draining
            self._keep.clear()
            self.draining = []
        return connections

    def drain(self):
        connections = self.waiting_connections()
        if not connections:
            return
        selector = selectors.DefaultSelector()
        for conn in connections:
            conn.sock.setblocking(False)
            selector.register(conn.sock, selectors.EVENT_READ, conn)
        deadline = time.monotonic() + min(DRAIN_SECONDS, self.cfg.graceful_timeout)
        try:
            while selector.get_map() and (remaining := deadline - time.monotonic()) > 0:
                for key, _ in selector.select(remaining):
                    selector.unregister(key.fileobj)
                    self.answer_last(key.data)
        finally:
            for key in list(selector.get_map().values()):
                key.data.close()
            selector.close()

    def answer_last(self, conn):
        try:
            conn.init()  # blocking from here; reads the request with its parser (made if new)
            self.handle(conn)  # not alive: answered with Connection: close
        except Exception:  # noqa: BLE001 — a broken client connection must not stop the others
            self.log.debug("could not answer a draining connection", exc_info=True)
        finally:
            conn.close()
