"""Prometheus metrics (METRICS_ENABLED; `/metrics`, with METRICS_TOKEN as a bearer token when set).

Counted in the process: request latency by endpoint, worker job runs, failed items and durations.
Under gunicorn every worker process writes its counts to PROMETHEUS_MULTIPROC_DIR (set up by
gunicorn.conf.py) and a scrape adds them up, whichever worker answers; a `flask worker` started
with the same directory is counted too. Read from the database at scrape time (so any host
answers the same): each search replica's lag, open holds, the age of the last `ledger verify`,
open job failures, pending refunds and pending mail."""
import os

from flask import current_app
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

REQUEST_SECONDS = Histogram("marketplace_request_duration_seconds", "Time to answer a request, by endpoint",
                            ["endpoint", "method"],
                            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
REQUESTS = Counter("marketplace_requests", "Requests answered, by endpoint and status", ["endpoint", "method", "status"])
JOB_RUNS = Counter("marketplace_job_runs", "Worker job runs", ["job"])
JOB_FAILURES = Counter("marketplace_job_item_failures", "Items a worker job failed on", ["job"])
JOB_SECONDS = Histogram("marketplace_job_duration_seconds", "Time of one worker job run", ["job"],
                        buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900))
SKIPPED_ENDPOINTS = {"ops.metrics", "static"}


def init_app(app):
    if app.config["METRICS_ENABLED"] and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        app.logger.info("metrics: no PROMETHEUS_MULTIPROC_DIR, so each process counts on its own")


def enabled():
    return bool(current_app.config.get("METRICS_ENABLED"))


def observe_request(endpoint, method, status, seconds):
    if enabled() and endpoint not in SKIPPED_ENDPOINTS:
        REQUEST_SECONDS.labels(endpoint, method).observe(seconds)
        REQUESTS.labels(endpoint, method, str(status)).inc()


def observe_job(job, outcome, seconds):
    if enabled():
        JOB_RUNS.labels(job).inc()
        if outcome.failed:
            JOB_FAILURES.labels(job).inc(outcome.failed)
        JOB_SECONDS.labels(job).observe(seconds)


def exposition():
    """The text a scrape gets: the processes' counters, then the database's figures."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        from prometheus_client import REGISTRY as counted
    read = CollectorRegistry(auto_describe=False)
    read.register(DatabaseCollector())
    return generate_latest(counted) + generate_latest(read)


class DatabaseCollector:
    """Figures read from the database on each scrape (inside the scrape's request)."""

    def collect(self):
        from marketplace.ops import figures

        values = figures.read()
        lag = GaugeMetricFamily("marketplace_search_replica_lag", "Outbox rows a host's search index has not applied",
                                labels=["replica"])
        seen = GaugeMetricFamily("marketplace_search_replica_seen_age_seconds",
                                 "Seconds since a host's search indexer last reported", labels=["replica"])
        for replica in values["replicas"]:
            lag.add_metric([replica["name"]], replica["lag"])
            seen.add_metric([replica["name"]], replica["seen_age"])
        yield lag
        yield seen
        yield GaugeMetricFamily("marketplace_holds_open", "Voucher and cash holds not yet posted, voided or expired",
                                value=values["holds_open"])
        yield GaugeMetricFamily("marketplace_holds_open_fen", "Amount held by open holds (fen)",
                                value=values["holds_open_fen"])
        if values["verify_age"] is not None:
            yield GaugeMetricFamily("marketplace_ledger_verify_age_seconds",
                                    "Seconds since the last ledger verify run", value=values["verify_age"])
            yield GaugeMetricFamily("marketplace_ledger_verify_ok", "1 when the last ledger verify found the ledger intact",
                                    value=1 if values["verify_ok"] else 0)
        yield GaugeMetricFamily("marketplace_job_failures_open", "Worker job items failing and not yet resolved",
                                value=values["job_failures_open"])
        yield GaugeMetricFamily("marketplace_refunds_pending", "Refunds recorded and not yet sent to Stripe",
                                value=values["refunds_pending"])
        yield GaugeMetricFamily("marketplace_mail_pending", "E-mails waiting in the outbox",
                                value=values["mail_pending"])
