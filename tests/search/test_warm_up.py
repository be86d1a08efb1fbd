"""Warm-up before serving (issue 19 item 7): WhooshBackend.warm reads the columns, the frequent
terms' posting arrays, the spelling word lists and CC-CEDICT now, once per index generation;
services.warm_up runs it once per process; /readyz says "warming up" until it is done; gunicorn's
post_worker_init runs it before the worker accepts requests."""
import importlib.util
import threading
from pathlib import Path

import pytest

from marketplace.search import backend as backend_module
from marketplace.search import bridge, columns, postings, services, spelling
from marketplace.search.backend import WhooshBackend
from tests.search.catalogue import documents

ROOT = Path(__file__).resolve().parents[2]


def empty_caches():
    postings.posting_cache.clear()
    postings.scored_cache.clear()
    postings._lengths.clear()
    columns._segment_columns.clear()
    columns._merged_columns.clear()


@pytest.fixture
def built(tmp_path):
    backend = WhooshBackend(str(tmp_path / "index"), warm_min_docs=3)  # terms of ≥ 3 of the 41 listings
    backend.rebuild(documents())
    empty_caches()
    return backend


def test_warm_reads_what_the_first_searches_need_once_per_generation(built, monkeypatch):
    calls = []
    monkeypatch.setattr(spelling, "warm", lambda searcher: calls.append("spelling"))
    first = built.warm()
    assert first["terms"] > 0 and not first["already"] and calls == ["spelling"]
    assert postings.posting_cache.size > 0 and columns._segment_columns and postings._lengths
    cached = postings.posting_cache.size
    assert built.warm() == {"terms": 0, "seconds": 0.0, "already": True}  # idempotent
    assert calls == ["spelling"] and postings.posting_cache.size == cached
    # the background read-ahead of the same generation has nothing left to do
    started = []
    monkeypatch.setattr(threading, "Thread", lambda *a, **k: started.append(k) or pytest.fail("a thread"))
    with built.searcher() as searcher:
        built.warm_in_background(searcher)
    assert started == []


def test_a_new_generation_is_warmed_again(built):
    assert not built.warm()["already"]
    built.rebuild(documents()[:30])
    assert not built.warm()["already"]


def test_warm_loads_cc_cedict(built):
    bridge.cedict.cache_clear()
    built.warm()
    assert bridge.cedict.cache_info().currsize == 1


# -- the process: services.warm_up, /readyz, gunicorn ------------------------------------------
@pytest.fixture
def fresh_process(monkeypatch):
    """This process as if just started: no warm-up done."""
    monkeypatch.setattr(services, "_warm_up", {"state": "not started", "result": None, "error": None})
    monkeypatch.setattr(backend_module.WhooshBackend, "_warmed", set())


@pytest.fixture
def indexed_app(app, fresh_process):
    from marketplace.search.indexer import rebuild

    rebuild(reason="tests")
    app.config["SEARCH_WARM_UP"] = True
    return app


def test_warm_up_runs_once_per_process(indexed_app, monkeypatch):
    calls = []
    real = WhooshBackend.warm
    monkeypatch.setattr(WhooshBackend, "warm", lambda self, synonyms=None: calls.append(synonyms) or real(self))
    first = services.warm_up()
    assert first is not None and not first["already"] and services._warm_up["state"] == "done"
    assert services.warm_up() is first and len(calls) == 1
    assert isinstance(calls[0], list)  # the synonym groups users search with


def test_readyz_says_warming_up_until_the_warm_up_is_done(indexed_app, client, monkeypatch):
    release, entered = threading.Event(), threading.Event()

    def slow_warm(self, synonyms=None):
        entered.set()
        assert release.wait(30)
        return {"terms": 1, "seconds": 0.1, "already": False}

    monkeypatch.setattr(WhooshBackend, "warm", slow_warm)
    answer = client.get("/readyz")  # nothing warmed this process: the check starts the warm-up
    assert answer.status_code == 503 and answer.get_json()["checks"]["search_index"] == "warming up"
    assert entered.wait(30)
    assert client.get("/readyz").status_code == 503  # still warming: not started twice
    release.set()
    for _ in range(300):
        if services._warm_up["state"] == "done":
            break
        threading.Event().wait(0.1)
    answer = client.get("/readyz")
    assert answer.status_code == 200 and answer.get_json()["checks"]["search_index"] == "ok"


def test_readyz_does_not_wait_when_warm_up_is_off(app, client, fresh_process):
    from marketplace.search.indexer import rebuild

    rebuild(reason="tests")
    assert app.config["SEARCH_WARM_UP"] is False  # tests and development; production: on
    assert client.get("/readyz").status_code == 200 and services._warm_up["state"] == "not started"


def gunicorn_settings():
    spec = importlib.util.spec_from_file_location("gunicorn_settings", ROOT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeWorker:
    def __init__(self, app):
        self.wsgi, self.notified, self.logged = app, 0, []
        self.log = type("Log", (), {"info": lambda _, *args: self.logged.append(args)})()

    def notify(self):
        self.notified += 1


def test_gunicorn_warms_before_the_worker_accepts_requests(indexed_app):
    worker = FakeWorker(indexed_app)
    gunicorn_settings().post_worker_init(worker)  # returns only when the warm-up is done
    assert services._warm_up["state"] == "done" and worker.logged


def test_gunicorn_does_not_warm_when_warm_up_is_off(indexed_app):
    indexed_app.config["SEARCH_WARM_UP"] = False
    gunicorn_settings().post_worker_init(FakeWorker(indexed_app))
    assert services._warm_up["state"] == "not started"
