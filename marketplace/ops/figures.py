"""The operating figures read from the database (metrics at scrape time, docs/deploy.md alerts)."""
from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased

from marketplace.database import utcnow
from marketplace.extensions import db


def read():
    from marketplace.audit.models import VerifyRun
    from marketplace.jobs.models import JobFailure
    from marketplace.ledger.models import Transfer
    from marketplace.notifications.models import MailStatus, OutboxMail
    from marketplace.payments.models import Refund, RefundStatus
    from marketplace.search import outbox_log

    session, now = db.session, utcnow()
    resolution = aliased(Transfer)
    holds, held = session.execute(
        select(func.count(), func.coalesce(func.sum(Transfer.amount), 0))
        .where(Transfer.pending.is_(True), ~exists().where(resolution.pending_id == Transfer.id))).one()
    last_verify = session.execute(select(VerifyRun.created_at, VerifyRun.ok)
                                  .order_by(VerifyRun.id.desc()).limit(1)).first()
    figures = {
        "replicas": [{"name": replica["name"], "lag": replica["lag"],
                      "seen_age": (now - replica["seen_at"]).total_seconds()}
                     for replica in outbox_log.replicas(session)],
        "holds_open": holds, "holds_open_fen": int(held),
        "verify_age": None if last_verify is None else (now - last_verify.created_at).total_seconds(),
        "verify_ok": None if last_verify is None else last_verify.ok,
        "job_failures_open": session.scalar(select(func.count()).select_from(JobFailure)
                                            .where(JobFailure.resolved_at.is_(None))),
        "refunds_pending": session.scalar(select(func.count()).select_from(Refund)
                                          .where(Refund.status == RefundStatus.PENDING)),
        "mail_pending": session.scalar(select(func.count()).select_from(OutboxMail)
                                       .where(OutboxMail.status == MailStatus.PENDING)),
    }
    session.rollback()  # a read: end the transaction (SQLite would otherwise hold it)
    return figures
