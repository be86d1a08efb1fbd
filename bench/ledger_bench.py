"""Ledger benchmark against PostgreSQL (not a test). Run from the repository root:

    .venv/bin/python bench/ledger_bench.py [--server postgresql+psycopg://root@127.0.0.1:5432]

1. single transfers through the real service (run_in_transaction + transfer), 1 and 4 client
   processes, each for --seconds, against pgbench tpcb-like (scale 10, same clients, same
   server, its own throwaway database) → both rates and the ratio ours/pgbench. The two
   alternate (ours, pgbench, ours, pgbench, … --rounds times) so that drift in the machine's
   speed, large on shared virtual machines, weighs on both alike; the ratio is of the means;
2. bulk issuance: transfers/s writing batches of 1,000 through `batch`;
3. `ledger verify` over --verify-transfers transfers (generated through `batch`).
Every database it creates is dropped at the end.
"""
import argparse
import multiprocessing
import os
import random
import re
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from marketplace.ledger import (AccountKind, TransferRequest, batch, open_accounts,  # noqa: E402
                                run_in_transaction, transfer, verify)
from marketplace.ledger.accounts import account_values  # noqa: E402

CLIENTS = (1, 4)
PAIRS = 1_000


class Databases:
    def __init__(self, server):
        self.server = make_url(server)
        self.admin = create_engine(self.server.set(database="postgres"), isolation_level="AUTOCOMMIT")
        self.created = []

    def create(self, name):
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.server.set(database=name).render_as_string(hide_password=False)

    def drop_all(self):
        with self.admin.connect() as connection:
            for name in self.created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


def migrate(url):
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.extensions import db

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "APP_ENV": "bench"})
    with app.app_context():
        upgrade(directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
        db.engine.dispose()


def make_accounts(session, count, kind, prefix):
    rows = [account_values(f"bench:{prefix}:{n}", kind) for n in range(count)]
    return run_in_transaction(session, lambda: open_accounts(session, rows))


def fund(session, source, targets, amount):
    for start in range(0, len(targets), 1_000):
        requests = [TransferRequest(source, target, amount, "issue")
                    for target in targets[start:start + 1_000]]
        run_in_transaction(session, lambda: batch(session, requests))


def setup_transfer_accounts(url):
    """1,000 funded vouchers and 100 receivables to move money between at random."""
    engine = create_engine(url)
    with Session(engine) as session:
        funder = make_accounts(session, 1, AccountKind.FUNDER, "funder")[0]
        vouchers = make_accounts(session, PAIRS, AccountKind.VOUCHER, "voucher")
        receivables = make_accounts(session, 100, AccountKind.PROVIDER_RECEIVABLE, "receivable")
        fund(session, funder, vouchers, 10**9)
    engine.dispose()
    return vouchers, receivables


def client(url, vouchers, receivables, seconds, results):
    """One client process: single transfers through the real service until time is up."""
    engine = create_engine(url)
    done = 0
    with Session(engine) as session:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            debit, credit = random.choice(vouchers), random.choice(receivables)
            key = uuid.uuid4().hex
            run_in_transaction(session, lambda: transfer(
                session, debit, credit, random.randint(1, 100), kind="adjust", key=key))
            done += 1
    engine.dispose()
    results.put(done)


def ledger_rate(url, accounts, clients, seconds):
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    processes = [context.Process(target=client, args=(url, *accounts, seconds, results))
                 for _ in range(clients)]
    started = time.perf_counter()
    for process in processes:
        process.start()
    total = sum(results.get() for _ in processes)
    for process in processes:
        process.join()
    # Process start-up (≈1 s of imports) is outside each client's timed loop.
    return total / seconds, time.perf_counter() - started


class PgBench:
    """pgbench tpcb-like at scale 10 in its own database, initialised and warmed up once."""

    def __init__(self, databases):
        url = make_url(databases.create(f"ledger_bench_pgbench_{os.getpid()}"))
        self.args = ["-h", url.host, "-p", str(url.port or 5432), "-U", url.username]
        self.database = url.database
        subprocess.run(["pgbench", "-i", "-q", "-s", "10", *self.args, self.database],
                       check=True, capture_output=True)
        self.rate(1, 5)  # the first runs after -i are slower

    def rate(self, clients, seconds):
        output = subprocess.run(
            ["pgbench", "-c", str(clients), "-j", str(clients), "-T", str(seconds), *self.args,
             self.database], check=True, capture_output=True, text=True).stdout
        return float(re.search(r"tps = ([\d.]+)", output).group(1))


def bulk_rate(url, batches):
    engine = create_engine(url)
    with Session(engine) as session:
        funder = make_accounts(session, 1, AccountKind.FUNDER, "bulk-funder")[0]
        budget = make_accounts(session, 1, AccountKind.PROGRAM_BUDGET, "bulk-budget")[0]
        fund(session, funder, [budget], 10**12)
        vouchers = make_accounts(session, batches * 1_000, AccountKind.VOUCHER, "bulk")
        started = time.perf_counter()
        for number in range(batches):
            requests = [TransferRequest(budget, voucher, 100_000, "issue", key=f"issue:{voucher}")
                        for voucher in vouchers[number * 1_000:(number + 1) * 1_000]]
            run_in_transaction(session, lambda: batch(session, requests))
        elapsed = time.perf_counter() - started
    engine.dispose()
    return batches * 1_000 / elapsed


def generate(url, total):
    """Write `total` transfers quickly: batches of 10,000 among 10,000 accounts."""
    engine = create_engine(url)
    with Session(engine) as session:
        existing = session.scalar(text("SELECT sequence FROM ledger_head"))
        funder = make_accounts(session, 1, AccountKind.FUNDER, "gen-funder")[0]
        targets = make_accounts(session, 10_000, AccountKind.VOUCHER, "gen")
        while existing < total:
            size = min(10_000, total - existing)
            requests = [TransferRequest(funder, targets[n], 1 + n % 997, "issue")
                        for n in range(size)]
            run_in_transaction(session, lambda: batch(session, requests))
            existing += size
    engine.dispose()


def timed_cli_verify(url):
    started = time.perf_counter()
    completed = subprocess.run([os.path.join(os.path.dirname(sys.executable), "flask"),
                                "--app", "wsgi", "ledger", "verify"],
                               env={**os.environ, "DATABASE_URL": url}, capture_output=True,
                               text=True)
    return completed.returncode, completed.stdout.strip(), time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgresql+psycopg://root@127.0.0.1:5432")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bulk-batches", type=int, default=20)
    parser.add_argument("--verify-transfers", type=int, default=1_000_000)
    options = parser.parse_args()
    databases = Databases(options.server)
    try:
        run(databases, options)
    finally:
        databases.drop_all()


def run(databases, options):
    url = databases.create(f"ledger_bench_{os.getpid()}")
    migrate(url)
    accounts = setup_transfer_accounts(url)
    ledger_rate(url, accounts, 1, 3)  # warm-up, like pgbench's
    theirs = PgBench(databases)
    for count in CLIENTS:
        pairs = [(ledger_rate(url, accounts, count, options.seconds)[0],
                  theirs.rate(count, options.seconds)) for _ in range(options.rounds)]
        ours_mean = sum(ours for ours, _ in pairs) / len(pairs)
        theirs_mean = sum(tps for _, tps in pairs) / len(pairs)
        rounds = ", ".join(f"{ours:,.0f} vs {tps:,.0f}" for ours, tps in pairs)
        print(f"single transfers, {count} client(s): ledger {ours_mean:,.0f}/s, pgbench tpcb-like "
              f"{theirs_mean:,.0f} TPS, ratio {ours_mean / theirs_mean:.2f} (rounds: {rounds})")
    print(f"bulk issuance (batches of 1,000): {bulk_rate(url, options.bulk_batches):,.0f} transfers/s")
    started = time.perf_counter()
    generate(url, options.verify_transfers)
    print(f"generated up to {options.verify_transfers:,} transfers in {time.perf_counter() - started:.1f} s")
    engine = create_engine(url)
    result = verify(engine)
    engine.dispose()
    print(f"verify(): ok={result.ok}, {result.transfers_checked:,} transfers in {result.seconds:.2f} s")
    code, output, seconds = timed_cli_verify(url)
    print(f"flask ledger verify: exit {code} in {seconds:.2f} s (process included): {output}")


if __name__ == "__main__":
    main()
