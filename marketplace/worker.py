"""`flask --app wsgi worker`: the periodic jobs of one host.

Each job lists its due items and handles each in its own transaction (marketplace/jobs): one
bad item is logged, recorded and shown on the admin dashboard, and the rest go on. Handlers
re-read their item under a lock and do nothing when a rival already moved it, and every ledger
write carries an idempotency key, so several workers may run side by side. Calls to outside
services (SMTP, Stripe) are made with no transaction open."""
import logging
import time
from dataclasses import dataclass
from typing import Callable

import click
from flask import current_app

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.jobs.services import Outcome, run_items
from marketplace.ledger import run_in_transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    interval: int  # seconds between runs
    items: Callable  # items(now) → the due items (read in a short transaction)
    handle: Callable  # handle(item, now) → a result, in the item's own transaction
    key: Callable = str  # how a failing item is named on the dashboard


def order_timeout_items(now):
    from marketplace.orders.services import due_orders

    return due_orders(now)


def order_timeout(order_id, now):
    from marketplace.orders.services import run_timeout

    return run_timeout(order_id, now)


def overdue_hold_items(now):
    from marketplace.orders.services import orders_with_overdue_holds

    return orders_with_overdue_holds(now)


def lapse_order(order_id, now):
    from marketplace.orders.services import lapse_order as lapse

    return lapse(order_id, now) and "lapsed"


def expiry_items(now):
    from marketplace.vouchers.expiry import vouchers_to_expire

    return vouchers_to_expire(now)


def expire_voucher(voucher_id, now):
    from marketplace.vouchers.expiry import expire_voucher as expire

    return expire(voucher_id, now) and "lapsed"


def reminder_items(now):
    from marketplace.vouchers.expiry import vouchers_to_remind

    return vouchers_to_remind(now)


def remind(item, now):
    from marketplace.vouchers.expiry import remind as send

    return send(*item) and "reminded"


def refund_items(now):
    from marketplace.payments.services import pending_refunds

    return pending_refunds()


def dispatch_refund(refund_id, now):
    from marketplace.payments.services import dispatch_refund as dispatch

    return dispatch(refund_id)


def single(now):
    return [None]


def deliver_mail(_item, now):
    from marketplace.notifications.services import deliver_pending

    config = current_app.config
    sent = deliver_pending(db.session, config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_FROM"])
    return tuple(sorted((k, v) for k, v in sent.items() if v)) or None


def sync_search(_item, now):
    from marketplace.search.indexer import sync

    return sync() or None


def prune_search_outbox(_item, now):
    from marketplace.search.indexer import prune_outbox

    return prune_outbox() or None


def write_checkpoint(_item, now):
    from marketplace.backup.services import write_checkpoint as write

    head = write(now)
    return head and "written"


# Order matters within one pass: holds past redeem_by lapse before deadlines act on their orders.
JOBS = (
    Job("ledger hold expiry", 300, overdue_hold_items, lapse_order, key=lambda item: f"order:{item}"),
    Job("order timeouts", 60, order_timeout_items, order_timeout, key=lambda item: f"order:{item}"),
    Job("expire vouchers", 3600, expiry_items, expire_voucher, key=lambda item: f"voucher:{item}"),
    Job("expiry reminders", 3600, reminder_items, remind, key=lambda item: f"voucher:{item[0]}:{item[1]}d"),
    Job("refunds", 10, refund_items, dispatch_refund, key=lambda item: f"refund:{item}"),
    Job("mail", 10, single, deliver_mail, key=lambda item: "outbox"),
    Job("search outbox", 2, single, sync_search, key=lambda item: "index"),
    Job("search outbox pruning", 3600, single, prune_search_outbox, key=lambda item: "outbox"),
    Job("ledger checkpoint", 3600, single, write_checkpoint, key=lambda item: "LEDGER_CHECKPOINT_FILE"),
)
JOBS_BY_NAME = {job.name: job for job in JOBS}
# Each host follows the search outbox into its own index (search/outbox_log.py) and keeps its own
# copy of the latest checkpoint (backup/checkpoints.py): these are never locked.
PER_HOST_JOBS = frozenset({"search outbox", "ledger checkpoint"})


def run_job(name, now=None):
    """Run one job over its due items now, under its own `job-…` id (every log line of the run
    names it) and, unless the job is per host, under the job's lock so that of several workers
    one runs it at a time. Returns its Outcome (failures are recorded)."""
    from marketplace.jobs.locks import job_lock
    from marketplace.ops import metrics
    from marketplace.ops.context import new_id, working_on

    job = JOBS_BY_NAME[name]
    started = time.perf_counter()
    with working_on(new_id("job-")):
        with job_lock(name, locked=name not in PER_HOST_JOBS) as held:
            if not held:
                log.debug("worker job %s: another worker is running it", name)
                return Outcome()
            outcome = _run_job(job, now or utcnow())
        # A job that found nothing to do is not news every two seconds.
        log.log(logging.INFO if outcome else logging.DEBUG, "worker job %s: %s", name, outcome)
    metrics.observe_job(name, outcome, time.perf_counter() - started)
    return outcome


def _run_job(job, now):
    name = job.name
    try:
        items = run_in_transaction(db.session, lambda: job.items(now))
    except Exception as error:  # listing the items failed: recorded like a failing item
        db.session.rollback()
        log.exception("worker job %s could not list its items", name)
        from marketplace.jobs.services import record_failure

        record_failure(name, "(listing due items)", error)
        return Outcome(failed=1)
    return run_items(name, items, lambda item: job.handle(item, now), key=job.key)


def run_due(last_run, clock):
    for job in JOBS:
        if clock - last_run.get(job.name, float("-inf")) < job.interval:
            continue
        last_run[job.name] = clock
        run_job(job.name)


@click.command("worker")
@click.option("--once", is_flag=True, help="Run every job once and exit.")
def worker_command(once):
    """Run the periodic jobs (holds past redeem_by, order deadlines, voucher expiry, reminders,
    refunds to Stripe, mail, search outbox) until stopped."""
    last_run = {}
    while True:
        run_due(last_run, time.monotonic())
        if once:
            return click.echo("worker: all jobs ran once.")
        time.sleep(1)
