"""Audit console benchmark against PostgreSQL (not a test). From the repository root:

    .venv/bin/python bench/audit_bench.py [--server postgresql+psycopg://root@127.0.0.1:5432] [--transfers 1000000]

Generates `--transfers` transfers through the real ledger (bench/ledger_bench.generate), tags the
generated accounts with one program id, then times (p50/p95 over `--repeat` runs) the explorer's
first page, filtered pages (kind, account, amount range, date range), the statement of a busy
account and the program reconciliation — the reads the audit console makes. The database it
creates is dropped.
"""
import argparse
import os
import statistics
import sys
import time
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.ledger_bench import Databases, generate, migrate  # noqa: E402


def timed(work, repeat):
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def measure(url, repeat):
    from sqlalchemy import text

    from marketplace import create_app, ledger
    from marketplace.audit import explorer
    from marketplace.database import utcnow
    from marketplace.extensions import db
    from marketplace.vouchers.rules import local_date

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "APP_ENV": "bench"})
    with app.app_context():
        db.session.execute(text("UPDATE ledger_accounts SET program_id = 1 WHERE code LIKE 'bench:gen%'"))
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        today = local_date(utcnow())
        busy = db.session.scalar(text("SELECT id FROM ledger_accounts WHERE code = 'bench:gen:0'"))
        middle = db.session.scalar(text("SELECT max(id) / 2 FROM ledger_transfers"))
        F = explorer.TransferFilter
        cases = {
            "explorer first page": lambda: explorer.page(F()),
            "explorer page deep in history (keyset)": lambda: explorer.page(F(), before=middle),
            "filter kind=issue": lambda: explorer.page(F(kind="issue")),
            "filter account (exact code)": lambda: explorer.page(F(account="bench:gen:42")),
            "filter amount 500–510 yuan fen range": lambda: explorer.page(F(min_fen=500, max_fen=510)),
            "filter date range (today)": lambda: explorer.page(F(since=today - timedelta(days=1), until=today)),
            "filter program": lambda: explorer.page(F(program_id=1)),
            "account statement (first page)": lambda: ledger.statement(db.session, busy, limit=50),
            "account statement (late page)": lambda: ledger.statement(db.session, busy, after_id=middle, limit=50),
            "program reconciliation": lambda: ledger.reconciliation(db.session, 1),
        }
        results = {}
        for name, work in cases.items():
            results[name] = timed(work, repeat)
            db.session.rollback()
        db.engine.dispose()
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgresql+psycopg://root@127.0.0.1:5432")
    parser.add_argument("--transfers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    options = parser.parse_args()
    databases = Databases(options.server)
    try:
        url = databases.create(f"audit_bench_{os.getpid()}")
        migrate(url)
        started = time.perf_counter()
        generate(url, options.transfers)
        print(f"generated {options.transfers:,} transfers in {time.perf_counter() - started:,.0f} s")
        for name, (p50, p95) in measure(url, options.repeat).items():
            flag = "" if p95 <= 300 else "  (over 300 ms)"
            print(f"{name:<42} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms{flag}")
    finally:
        databases.drop_all()


if __name__ == "__main__":
    main()
