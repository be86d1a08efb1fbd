"""localstripe, the Stripe emulator, for development, demo and tests: serve it on loopback only,
wait for it, reset it, and register our webhook with it.

    python -m marketplace.payments.localstripe --port 8420 [--state FILE]

localstripe itself binds every interface and pickles its state to a fixed file in the system
temp folder, so two emulators on one machine (`make run` and a test run) would overwrite each
other's file. This launcher binds 127.0.0.1 and keeps the state in FILE, or only in memory
without --state. Importing this module does not import localstripe or aiohttp; only `serve` does,
in its own process.
"""
import argparse
import os
import pickle
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

WEBHOOK_ID = "marketplace"


def serve(port, state=None):
    import logging

    from aiohttp import web
    from localstripe import resources, server

    def load(store):
        if state and os.path.exists(state):
            with open(state, "rb") as handle:
                store.clear()
                store.update(pickle.load(handle))

    def dump(store):
        if state:
            with open(f"{state}.tmp", "wb") as handle:
                pickle.dump(dict(store), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(f"{state}.tmp", state)

    resources.Store.try_load_from_disk = load
    resources.Store.dump_to_disk = dump
    resources.store.try_load_from_disk()
    exit_with_parent()
    logger = logging.getLogger("aiohttp.access")
    logger.setLevel(logging.INFO)
    logger.addHandler(logging.StreamHandler())
    web.run_app(server.app, host="127.0.0.1", port=port, access_log=logger,
                print=lambda message: print(message, flush=True))


def exit_with_parent():
    """Stop when whoever started us is gone (a test run killed by a timeout, a closed terminal):
    an orphaned emulator would hold its port and serve stale data to nobody."""
    import threading

    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def main(argv=None):
    parser = argparse.ArgumentParser(description="localstripe on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--state", help="file that keeps the emulator's data across restarts")
    args = parser.parse_args(argv)
    serve(args.port, args.state)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(port, state=None, log=None):
    """Start the emulator in a child process (the caller stops it: `stop(process)`)."""
    command = [sys.executable, "-m", "marketplace.payments.localstripe", "--port", str(port)]
    if state:
        command += ["--state", state]
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return subprocess.Popen(command, cwd=root, stdout=log or subprocess.DEVNULL,
                            stderr=subprocess.STDOUT if log else subprocess.DEVNULL)


def stop(process, timeout=10):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _call(method, url, fields=None, timeout=5):
    data = urllib.parse.urlencode(fields).encode() if fields is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def wait_ready(api_base, timeout=20, process=None):
    """Wait until the emulator answers; RuntimeError if it does not (or its process died)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            _call("GET", f"{api_base}/js.stripe.com/v3/", timeout=1)
            return
        except (urllib.error.URLError, OSError):
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"localstripe exited with code {process.returncode}") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"localstripe did not answer at {api_base}") from None
            time.sleep(0.1)


def reset(api_base):
    """Forget every object (webhook registrations stay)."""
    _call("DELETE", f"{api_base}/_config/data")


def register_webhook(api_base, url, secret, webhook_id=WEBHOOK_ID):
    """Have the emulator deliver every event, signed with `secret`, to `url` (replaces an earlier
    registration with the same id)."""
    _call("POST", f"{api_base}/_config/webhooks/{webhook_id}", {"url": url, "secret": secret})


if __name__ == "__main__":
    main()
