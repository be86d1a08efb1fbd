"""Year-end close benchmark (not a test). From the repository root:

    .venv/bin/python bench/year_end_bench.py [--server postgresql+psycopg://root@127.0.0.1:5432] [--vouchers 10000]

Builds a program with `--vouchers` enterprises each holding a voucher with money left, moves the
clock past `redeem_by` and times `lifecycle.close_year` — every voucher's balance lapses, the
budget and lapsed money return to the funder, the accounts close and the final account (决算) is
computed — then `ledger verify`. Runs on SQLite (a temporary file) and on PostgreSQL (a database
it creates and drops). In the same run it times the bare baseline: the same number of single
`ledger.transfer` calls, so the ratio says what the close costs beyond its transfers.
"""
import argparse
import os
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.ledger_bench import Databases, migrate  # noqa: E402


def build(url, vouchers):
    from marketplace import create_app
    from marketplace.auth.credit_code import complete
    from marketplace.auth.models import Organisation, User
    from marketplace.extensions import db
    from marketplace.vouchers import services
    from marketplace.vouchers.issuance import IssueItem

    migrate(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "APP_ENV": "bench"})
    with app.app_context():
        admin = User(email="bench-admin@example.com", name="admin", role="admin")
        admin.set_password("bench-pass-123")
        db.session.add(admin)
        db.session.add_all(Organisation(kind="enterprise", status="approved", legal_name=f"基准企业{n}",
                                        credit_code=complete(f"91350200{n:09d}"), city="厦门",
                                        legal_representative=f"代表{n}", contact_name="联系人",
                                        contact_phone="0592-5555555")
                           for n in range(vouchers))
        db.session.flush()
        today = date.today()
        program = services.create_program(services.ProgramData(
            code="YE", name="年终基准", funder="基准", budget_fen=vouchers * 1_000_000, valid_from=today,
            use_by=today + timedelta(days=1), redeem_by=today + timedelta(days=2), enterprise_cap_fen=10**10,
            eligible_categories=["ip"]), admin)
        services.open_program(program.id, admin)
        ids = db.session.scalars(db.select(Organisation.id).where(Organisation.kind == "enterprise")).all()
        for start in range(0, len(ids), 1000):
            services.issue_vouchers(program, [IssueItem(i, 500_000, f"ye:{i}") for i in ids[start:start + 1000]], admin)
        db.session.commit()
        return app, program.id, admin.id, today + timedelta(days=3)


def close(app, program_id, admin_id, day):
    from marketplace import ledger
    from marketplace.auth.models import User
    from marketplace.database import SimulatedClock
    from marketplace.extensions import db
    from marketplace.ledger.transaction import run_in_transaction
    from marketplace.ledger.verify import verify
    from marketplace.vouchers import lifecycle

    with app.app_context():
        SimulatedClock.now = datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=4)
        try:
            admin = db.session.get(User, admin_id)
            started = time.perf_counter()
            program = run_in_transaction(db.session, lambda: lifecycle.close_year(program_id, admin))
            seconds = time.perf_counter() - started
            totals = program.final_account["totals"]
            db.session.commit()  # let the verifier's own connection in (SQLite: one writer)
            started = time.perf_counter()
            report = verify(db.engine)
            verify_seconds = time.perf_counter() - started
        finally:
            SimulatedClock.now = None
        return seconds, totals, report, verify_seconds


def bare_transfers(app, count):
    """The baseline: `count` single ledger transfers, committed together."""
    from marketplace import ledger
    from marketplace.extensions import db

    with app.app_context():
        source = ledger.open_account(db.session, "bench:source", ledger.AccountKind.FUNDER)
        target = ledger.open_account(db.session, "bench:target", ledger.AccountKind.PROGRAM_BUDGET)
        db.session.commit()
        started = time.perf_counter()
        for n in range(count):
            ledger.transfer(db.session, source.id, target.id, 1, kind=ledger.TransferKind.ISSUE, key=f"bare:{n}")
        db.session.commit()
        return time.perf_counter() - started


def run(label, url, vouchers):
    started = time.perf_counter()
    app, program_id, admin_id, day = build(url, vouchers)
    setup = time.perf_counter() - started
    seconds, totals, report, verify_seconds = close(app, program_id, admin_id, day)
    bare = bare_transfers(app, vouchers)
    print(f"{label}: {vouchers} vouchers (set up in {setup:.1f} s) — close_year {seconds:.2f} s; "
          f"{vouchers} bare transfers {bare:.2f} s (ratio close/bare {seconds / bare:.2f}); "
          f"ledger verify {verify_seconds:.2f} s ({'intact' if report.ok else 'BROKEN'}); "
          f"lapsed ¥{totals.get('lapsed', 0) / 100:,.2f}, returned ¥{totals.get('returned', 0) / 100:,.2f}")
    with app.app_context():
        from marketplace.extensions import db
        db.engine.dispose()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default="postgresql+psycopg://root@127.0.0.1:5432")
    parser.add_argument("--vouchers", type=int, default=10_000)
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            run("SQLite", f"sqlite:///{folder}/year-end.db", args.vouchers)
    databases = Databases(args.server)
    try:
        run("PostgreSQL", databases.create("bench_year_end"), args.vouchers)
    finally:
        databases.drop_all()


if __name__ == "__main__":
    main()
