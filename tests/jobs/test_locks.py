"""Worker jobs with several workers: one worker at a time runs a job (PostgreSQL advisory lock,
a file lock on SQLite), the per-host search outbox job is never locked, and two real worker
processes over ~300 expiring vouchers and 50 e-mails handle each item exactly once."""
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.jobs.locks import job_lock
from marketplace.notifications.models import MailStatus, OutboxMail
from marketplace.vouchers import services
from marketplace.vouchers.models import Voucher, VoucherProgram
from marketplace.worker import run_job

ROOT = Path(__file__).resolve().parents[2]


def test_a_job_held_by_another_worker_is_skipped_not_run_twice(app, make_program, enterprise, issue):
    from marketplace.notifications.models import OutboxMail

    db.session.add(OutboxMail(to_email="a@example.com", subject="s", body="b"))
    db.session.commit()
    with job_lock("mail") as held:  # another worker, as far as run_job can tell
        assert held
        with job_lock("mail") as second:
            assert not second
        assert not run_job("mail")  # nothing done: the mail waits for the holder
        assert db.session.scalar(select(OutboxMail.status)) == MailStatus.PENDING
    assert run_job("mail").results == {(("logged", 1),): 1}
    assert db.session.scalar(select(OutboxMail.status)) == MailStatus.LOGGED


def test_locks_are_per_job_and_the_per_host_search_job_is_never_locked(app):
    with job_lock("mail"):
        with job_lock("refunds") as other:
            assert other
        with job_lock("search outbox", locked=False) as mine, job_lock("search outbox", locked=False) as again:
            assert mine and again
    from marketplace.worker import PER_HOST_JOBS

    assert PER_HOST_JOBS == {"search outbox", "ledger checkpoint"}


@pytest.fixture
def due_work(app, make_program, make_org, admin):
    """300 vouchers past their program's use_by and 50 pending e-mails, committed."""
    orgs = [make_org(kind="enterprise") for _ in range(300)]
    db.session.commit()
    program = make_program(enterprise_cap_fen=10_000_00)
    raw = ("credit_code,amount_yuan,memo\n" + "\n".join(f"{org.credit_code},100,批" for org in orgs) + "\n").encode()
    batch = services.preview_batch(program.id, "grants.csv", raw, admin)
    services.confirm_batch(batch.id, admin)
    # The program's last day of use has passed (test set-up: the dates are moved, not the clock).
    db.session.execute(update(VoucherProgram).where(VoucherProgram.id == program.id).values(
        use_by=program.valid_from, valid_from=program.valid_from - timedelta(days=1)))
    for number in range(50):
        db.session.add(OutboxMail(to_email=f"ent{number}@example.com", subject=f"邮件 {number}", body="正文"))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Voucher)) == 300
    return program


def worker_process(database_url, tmp_path, name):
    environment = {key: value for key, value in os.environ.items() if not key.startswith("FLASK_")}
    environment.update({"PYTHONPATH": str(ROOT), "DATABASE_URL": database_url, "SECRET_KEY": "jobs-test",
                        "SEARCH_INDEX_DIR": str(tmp_path / f"index-{name}"), "UPLOAD_DIR": str(tmp_path / "uploads"),
                        "STRIPE_API_BASE": "http://127.0.0.1:9", "MAIL_SERVER": "", "LOG_FORMAT": "json",
                        "LOG_LEVEL": "DEBUG"})
    return subprocess.Popen([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "worker", "--once"], cwd=ROOT,
                            env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def lines_of(process):
    _, err = process.communicate(timeout=400)
    assert process.returncode == 0, err[-3000:]
    records = []
    for line in err.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            pass
    return records


def test_two_workers_handle_each_item_exactly_once(due_work, database_url, tmp_path):
    db.session.remove()
    workers = [worker_process(database_url, tmp_path, name) for name in ("a", "b")]
    logs = [lines_of(process) for process in workers]
    expired, mailed = Counter(), Counter()
    for records in logs:
        for record in records:
            message = record["message"]
            if message.startswith("job expire vouchers voucher:"):
                expired[message.split()[3].rstrip(":")] += 1
                assert record["request_id"].startswith("job-")  # the run's id on each item's line
            elif message.startswith("mail to "):
                mailed[message.split()[2].rstrip(":")] += 1
    assert len(expired) == 300 and set(expired.values()) == {1}
    assert len(mailed) == 50 and set(mailed.values()) == {1}
    # No item was even looked at by both workers: each job ran in one of them at a time.
    by_worker = [{record["message"].split()[3] for record in records
                  if record["message"].startswith("job expire vouchers voucher:")} for records in logs]
    assert not (by_worker[0] & by_worker[1])
    assert db.session.scalar(select(func.count()).select_from(Voucher).where(Voucher.lapsed_at.is_not(None))) == 300
    assert db.session.scalar(select(func.count()).select_from(OutboxMail)
                             .where(OutboxMail.status == MailStatus.LOGGED)) == 50
    from marketplace.ledger import TransferKind
    from marketplace.ledger.models import Transfer
    from marketplace.ledger.verify import verify

    assert db.session.scalar(select(func.count()).select_from(Transfer)
                             .where(Transfer.kind == TransferKind.LAPSE)) == 300
    db.session.commit()
    assert verify(db.engine).ok
