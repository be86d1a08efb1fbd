"""`flask --app wsgi worker`: the periodic jobs of one host (expiry, reminders, mail, …).

Each job runs in its own transaction, so one failing job never blocks the others."""
import logging
import time

import click
from flask import current_app

from marketplace.extensions import db
from marketplace.ledger import run_in_transaction

log = logging.getLogger(__name__)


def deliver_mail():
    from marketplace.notifications.services import deliver_pending

    config = current_app.config
    return deliver_pending(db.session, config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_FROM"])


def expire_vouchers():
    from marketplace.vouchers.services import expire_vouchers as expire

    return expire()


def remind_expiring():
    from marketplace.vouchers.services import send_expiry_reminders

    return send_expiry_reminders()


# (name, seconds between runs, job). Later features append theirs (search outbox, order timeouts).
JOBS = [("expire vouchers", 3600, expire_vouchers), ("expiry reminders", 3600, remind_expiring),
        ("mail", 10, deliver_mail)]


def sync_search():
    from marketplace.search.indexer import sync

    return sync()


def prune_search_outbox():
    from marketplace.search.indexer import prune_outbox

    return prune_outbox()


JOBS += [("search outbox", 2, sync_search), ("search outbox pruning", 3600, prune_search_outbox)]


def order_timeouts():
    from marketplace.orders.services import run_timeouts

    return run_timeouts()


def expire_ledger_holds():
    """Holds past their timeout (a program's redeem_by) are released in the ledger."""
    from marketplace import ledger

    return len(ledger.expire_holds(db.session))


JOBS += [("order timeouts", 60, order_timeouts), ("ledger hold expiry", 3600, expire_ledger_holds)]


def did_something(result):
    if isinstance(result, dict):
        return any(result.values())
    if isinstance(result, tuple):
        return any(result)
    return bool(result)


def run_due(last_run, now):
    for name, interval, job in JOBS:
        if now - last_run.get(name, float("-inf")) < interval:
            continue
        last_run[name] = now
        try:
            result = run_in_transaction(db.session, job)
            # A job that found nothing to do is not news every two seconds.
            log.log(logging.INFO if did_something(result) else logging.DEBUG, "worker job %s: %s", name, result)
        except Exception:  # keep the loop alive; the failure is logged with its traceback
            log.exception("worker job %s failed", name)


@click.command("worker")
@click.option("--once", is_flag=True, help="Run every job once and exit.")
def worker_command(once):
    """Run the periodic jobs (voucher expiry, reminders, mail) until stopped."""
    last_run = {}
    while True:
        run_due(last_run, time.monotonic())
        if once:
            return click.echo("worker: all jobs ran once.")
        time.sleep(1)
