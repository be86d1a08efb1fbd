"""The unit of work for standalone ledger calls (CLI, worker, tests, benchmarks).

Web views commit through their own request boundary; anything else runs its ledger work here so
that PostgreSQL's transient refusals — serialization failures, deadlocks, and the unique
violation a concurrent duplicate hits — are retried with the same idempotency keys instead of
reaching the caller (and are never reported as insufficient funds).
"""
import random
import time

from sqlalchemy.exc import DBAPIError

RETRYABLE_SQLSTATES = frozenset({
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "23505",  # unique_violation: a concurrent duplicate committed first; the retry replays it
    "55P03",  # lock_not_available
})


def is_transient(error):
    state = getattr(error.orig, "sqlstate", None)
    if state is not None:
        return state in RETRYABLE_SQLSTATES
    return "database is locked" in str(error.orig)  # SQLite past its busy timeout


def run_in_transaction(session, work, *, attempts=8):
    """Run `work()` and commit; on a transient database refusal roll back and run it again, at
    most `attempts` times. Any other exception rolls back and propagates. Returns work()'s result.

    `work` must be safe to re-run: ledger operations with explicit keys are."""
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("run_in_transaction needs a session without unflushed changes")
    for attempt in range(1, attempts + 1):
        try:
            result = work()
            session.commit()
            return result
        except DBAPIError as error:
            session.rollback()
            if attempt == attempts or not is_transient(error):
                raise
            time.sleep(random.uniform(0, 0.002 * 2 ** attempt))
        except BaseException:
            session.rollback()
            raise
