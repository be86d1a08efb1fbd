"""Running a job over its items: each item in its own transaction (with the usual retries of
transient refusals), so one bad item is logged and recorded and never stops the rest. An item
that later succeeds closes its failure. Handlers re-read and lock their item and do nothing when
a rival (another worker, a user) moved it first, so several workers may run the same job."""
import logging
from dataclasses import dataclass, field

from sqlalchemy import select, update

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.jobs.models import JobFailure
from marketplace.ledger import run_in_transaction

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    done: int = 0
    failed: int = 0
    results: dict = field(default_factory=dict)  # handler result → count

    def __bool__(self):
        return bool(self.done or self.failed)

    def __str__(self):
        return f"{self.done} done, {self.failed} failed {self.results or ''}".strip()


def run_items(job, items, handle, key=lambda item: str(item)):
    """handle(item) for each item, each in its own transaction. Returns an Outcome."""
    outcome = Outcome()
    failing = open_failures_of(job)
    for item in items:
        name = key(item)
        try:
            result = run_in_transaction(db.session, lambda: handle(item))
        except Exception as error:  # noqa: BLE001 — any failure of one item is recorded, the rest go on
            db.session.rollback()
            log.exception("job %s failed on %s", job, name)
            record_failure(job, name, error)
            outcome.failed += 1
            continue
        outcome.done += 1
        outcome.results[result] = outcome.results.get(result, 0) + 1
        log.log(logging.INFO if result is not None else logging.DEBUG, "job %s %s: %s", job, name, result)
        if name in failing:
            close_failure(job, name)
    return outcome


def open_failures_of(job):
    return set(db.session.scalars(select(JobFailure.item).where(JobFailure.job == job,
                                                                 JobFailure.resolved_at.is_(None))))


def record_failure(job, item, error):
    message = f"{type(error).__name__}: {error}"[:2000]

    def write():
        row = db.session.scalar(select(JobFailure).where(JobFailure.job == job, JobFailure.item == item))
        if row is None:
            db.session.add(JobFailure(job=job, item=item, error=message))
        else:
            row.error, row.last_at, row.resolved_at = message, utcnow(), None
            row.attempts += 1
        db.session.flush()

    try:
        run_in_transaction(db.session, write)
    except Exception:  # the database itself is failing: the log line above is all we can keep
        db.session.rollback()
        log.exception("could not record the failure of job %s on %s", job, item)


def close_failure(job, item):
    run_in_transaction(db.session, lambda: db.session.execute(
        update(JobFailure).where(JobFailure.job == job, JobFailure.item == item, JobFailure.resolved_at.is_(None))
        .values(resolved_at=utcnow())))


def open_failures(limit=50):
    """Failures not yet resolved, newest first (the admin dashboard)."""
    return db.session.scalars(select(JobFailure).where(JobFailure.resolved_at.is_(None))
                              .order_by(JobFailure.last_at.desc()).limit(limit)).all()


JOB_LABELS = {
    "ledger hold expiry": N_("Holds past the redemption deadline"), "order timeouts": N_("Order deadlines"),
    "expire vouchers": N_("Voucher expiry"), "expiry reminders": N_("Expiry reminders"),
    "refunds": N_("Refunds to Stripe"), "mail": N_("E-mail"), "search outbox": N_("Search index"),
    "search outbox pruning": N_("Search outbox pruning"), "ledger checkpoint": N_("Latest ledger checkpoint"),
}


def job_label(job):
    """The job's name in the reader's language (the worker names jobs in English)."""
    from flask_babel import gettext

    return gettext(JOB_LABELS[job]) if job in JOB_LABELS else job
