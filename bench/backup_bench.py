"""Backup benchmark (not a test): `flask backup create`, `verify` and `restore` timed as an
operator runs them (separate processes), at the demo size and optionally with N ledger transfers.
Run from the repository root:

    .venv/bin/python bench/backup_bench.py [--server postgresql+psycopg://root@127.0.0.1:5432]
                                           [--transfers 1000000] [--sqlite]

For PostgreSQL it creates throwaway databases (the source, and an empty one to restore into),
migrates and seeds the demo through the real commands, adds --transfers ledger transfers (as
bench/ledger_bench.py generates them), and drops them all at the end. --sqlite measures the
demo on a SQLite file instead."""
import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.ledger_bench import Databases, generate  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLASK = os.path.join(os.path.dirname(sys.executable), "flask")


def flask(environment, *args):
    started = time.perf_counter()
    done = subprocess.run([FLASK, "--app", "wsgi", *args], cwd=ROOT, env=environment, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in (0,):
        raise SystemExit(f"flask {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return seconds, (done.stdout + done.stderr).strip()


def environment_for(url, folder, name):
    return {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "AUDIT_CHECKPOINT_KEY": "bench-key",
            "UPLOAD_DIR": os.path.join(folder, f"{name}-uploads"), "SEARCH_INDEX_DIR": os.path.join(folder, f"{name}-index"),
            "LEDGER_CHECKPOINT_FILE": os.path.join(folder, "latest-checkpoint.json"), "LOG_LEVEL": "WARNING",
            "STRIPE_API_BASE": "http://127.0.0.1:9"}


def measure(source_url, target_url, folder, transfers):
    source = environment_for(source_url, folder, "source")
    flask(source, "db", "upgrade")
    flask(source, "seed", "demo")
    if transfers:
        started = time.perf_counter()
        generate(source_url, transfers)
        print(f"generated up to {transfers:,} transfers in {time.perf_counter() - started:.1f} s", flush=True)
    path = os.path.join(folder, "backup.tar")
    rows = []
    seconds, output = flask(source, "backup", "create", path)
    rows.append(("backup create", seconds, f"{os.path.getsize(path) / 1e6:,.1f} MB"))
    print(output, flush=True)
    seconds, output = flask(source, "backup", "verify", path)
    rows.append(("backup verify (scratch restore + ledger verify)", seconds, ""))
    print(output, flush=True)
    seconds, output = flask(environment_for(target_url, folder, "target"), "backup", "restore", path)
    rows.append(("backup restore (into an empty database)", seconds, ""))
    print(output, flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgresql+psycopg://root@127.0.0.1:5432")
    parser.add_argument("--transfers", type=int, default=0, help="ledger transfers to add to the demo (e.g. 1000000)")
    parser.add_argument("--sqlite", action="store_true", help="measure the demo on SQLite instead")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="backup-bench-") as folder:
        if options.sqlite:
            rows = measure(f"sqlite:///{folder}/source.sqlite3", f"sqlite:///{folder}/target.sqlite3", folder,
                           options.transfers)
        else:
            databases = Databases(options.server)
            try:
                tag = uuid.uuid4().hex[:6]
                rows = measure(databases.create(f"backup_bench_{tag}"), databases.create(f"backup_bench_{tag}_restore"),
                               folder, options.transfers)
            finally:
                databases.drop_all()
    kind = "SQLite" if options.sqlite else "PostgreSQL"
    print(f"\n| {kind}, demo + {options.transfers:,} transfers | seconds (process included) | size |")
    print("|---|---|---|")
    for name, seconds, size in rows:
        print(f"| {name} | {seconds:.1f} | {size} |")


if __name__ == "__main__":
    main()
