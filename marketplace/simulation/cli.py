"""`flask --app wsgi simulate --seed S --steps N`: run the marketplace simulation in a scratch
database (never the app's own) with localstripe beside it; exit 0 when no invariant broke, 1 with
the seed, the step and the last actions otherwise."""
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from marketplace.payments import localstripe

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")


@click.command("simulate")
@click.option("--seed", type=int, default=1, show_default=True, help="The first seed.")
@click.option("--seeds", type=int, default=1, show_default=True, help="How many seeds, from --seed on.")
@click.option("--steps", type=int, default=1000, show_default=True, help="Steps per seed.")
@click.option("--database-url", default=None,
              help="An empty database to run in, created if missing (PostgreSQL) — default: a temporary SQLite file.")
@click.option("--fault-rate", type=float, default=0.05, show_default=True,
              help="Share of actions with an exception injected between two of their statements.")
@click.option("--verify-every", type=int, default=250, show_default=True, help="Steps between full ledger verifies.")
@click.option("--keep", is_flag=True, help="Keep the scratch database afterwards.")
def simulate_command(seed, seeds, steps, database_url, fault_rate, verify_every, keep):
    """Run the whole marketplace through random sequences of actions and check every invariant."""
    from marketplace.simulation.driver import InvariantBroken

    totals = []
    with emulator() as stripe_base:
        for current in range(seed, seed + seeds):
            try:
                totals.append(run_seed(current, steps, database_url, stripe_base, fault_rate, verify_every, keep))
            except InvariantBroken as broken:
                click.echo(broken.report(), err=True)
                raise SystemExit(1) from None
    if seeds > 1:
        click.echo(f"{seeds} seeds, {sum(s.steps for s in totals)} steps, {sum(s.checks for s in totals)} "
                   f"invariant checks, 0 breaks, {sum(s.seconds for s in totals):.0f} s")


def run_seed(seed, steps, database_url, stripe_base, fault_rate, verify_every, keep):
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.extensions import db
    from marketplace.simulation.driver import Simulation

    with scratch_database(database_url, seed, keep) as url, tempfile.TemporaryDirectory() as folder:
        app = create_app(scratch_config(url, folder, stripe_base))
        with app.app_context(), quiet("alembic"):
            upgrade(directory=MIGRATIONS)
            simulation = Simulation(seed, fault_rate=fault_rate, verify_every=verify_every)
            try:
                with click.progressbar(length=steps, label=f"seed {seed}", show_pos=True, show_eta=True) as bar:
                    summary = simulation.run(steps, progress=bar.update)
            finally:
                simulation.close()
                db.session.remove()
                db.engine.dispose()
    click.echo(describe(summary))
    return summary


def scratch_config(url, folder, stripe_base):
    return {"DATABASE_URL": url, "SECRET_KEY": "simulation", "APP_ENV": "simulation", "TESTING": False,
            "UPLOAD_DIR": os.path.join(folder, "uploads"), "SEARCH_INDEX_DIR": os.path.join(folder, "index"),
            "SEARCH_WARM_MIN_DOCS": 0, "RATELIMIT_STORAGE_URI": "memory://", "MAIL_SERVER": "",
            "STRIPE_API_BASE": stripe_base, "STRIPE_SECRET_KEY": "sk_test_simulation",
            "STRIPE_WEBHOOK_SECRET": "whsec_simulation", "STRIPE_MAX_NETWORK_RETRIES": 0,
            "SEARCH_SYNC_AFTER_REQUEST": False}


def describe(summary):
    lines = [f"seed {summary.seed}: {summary.steps} steps in {summary.seconds:.1f} s "
             f"({summary.steps / max(summary.seconds, 1e-9):.0f} steps/s), {summary.checks} invariant checks, 0 breaks, "
             f"{summary.faults} injected faults (each retried), {summary.gateway_faults} gateway failures"]
    by_action = {}
    for (action, outcome), count in summary.actions.items():
        by_action.setdefault(action, {})[outcome] = count
    for action in sorted(by_action):
        outcomes = ", ".join(f"{outcome} {count}" for outcome, count in sorted(by_action[action].items()))
        lines.append(f"  {action:<20} {outcomes}")
    return "\n".join(lines)


@contextmanager
def quiet(logger):
    import logging

    level = logging.getLogger(logger).level
    logging.getLogger(logger).setLevel(logging.WARNING)
    try:
        yield
    finally:
        logging.getLogger(logger).setLevel(level)


@contextmanager
def emulator():
    """localstripe on a free loopback port for the whole run (memory only)."""
    port = localstripe.free_port()
    process = localstripe.start(port)
    try:
        base = f"http://127.0.0.1:{port}"
        localstripe.wait_ready(base, process=process)
        yield base
    finally:
        localstripe.stop(process)


@contextmanager
def scratch_database(url, seed, keep):
    """A database for one seed: a temporary SQLite file, or a PostgreSQL database created for it
    (the URL names a new or empty one; `{seed}` in the name is replaced)."""
    if url is None:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/simulation-{seed}.sqlite3"
        return
    url = url.replace("{seed}", str(seed))
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        yield url
        return
    server = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database})
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
            # A scratch database: what a crash of the server would lose is not what the simulation
            # checks, so commits need not wait for the disk (≈ 0.7 ms each here, several a step).
            connection.execute(text(f'ALTER DATABASE "{parsed.database}" SET synchronous_commit = off'))
    check = create_engine(url)
    try:
        if inspect(check).get_table_names():
            raise click.ClickException(f"{parsed.database} is not empty: the simulation needs a database of its own")
    finally:
        check.dispose()
    try:
        yield url
    finally:
        if not keep:
            with server.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        server.dispose()
