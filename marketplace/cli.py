"""Command groups for `flask --app wsgi …`; each command parses input, calls a service, commits."""
import sys

import click
from flask.cli import AppGroup

from marketplace.errors import DomainError
from marketplace.extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")
seed_cli = AppGroup("seed", help="Load demo data.")


def fail(error: DomainError):
    db.session.rollback()
    raise click.ClickException(str(error))


@users_cli.command("create-admin")
@click.option("--email", required=True, help="Login e-mail of the new admin.")
@click.option("--name", default="管理员", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--auditor", is_flag=True, help="A read-only admin: sees, verifies and exports; decides nothing.")
def create_admin(email, name, password_stdin, auditor):
    """Create an administrator (password prompted, or read from stdin)."""
    from marketplace.auth.services import create_admin as create

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create(email, password, name)
    except DomainError as error:
        fail(error)
    user.admin_role = "auditor" if auditor else "operator"
    db.session.commit()
    click.echo(f"{'Auditor' if auditor else 'Admin'} {user.email} created.")


@seed_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Only load when the database has no users yet.")
def seed_demo(if_empty):
    """Load the demo data (idempotent) and print the demo logins."""
    from marketplace import seed

    if if_empty and not seed.database_is_empty():
        click.echo("The database already has data: demo data not loaded again.")
    else:
        from marketplace.search.indexer import rebuild

        seed.seed_demo()
        db.session.commit()
        rebuild(reason="seed demo")  # the demo catalogue is searchable at once
    click.echo(f"Demo logins (password for all: {seed.DEMO_PASSWORD}):")
    for role, email, label in seed.demo_logins():
        click.echo(f"  {role:<10} {email:<26} {label}")


@seed_cli.command("orders")
def seed_orders():
    """Create demo orders in every state, paying through the payment gateway (needs it up)."""
    from marketplace import seed
    from marketplace.orders.demo import seed_orders as seed_demo_orders

    try:
        made = seed_demo_orders(seed.demo_admin())
    except DomainError as error:
        db.session.rollback()
        return click.echo(f"Demo orders skipped: {error}")
    db.session.commit()
    click.echo(f"{made} demo order(s) created." if made else "Demo orders already exist.")


def register(app):
    from marketplace.backup.cli import backup_cli
    from marketplace.catalog.cli import catalog_cli
    from marketplace.ledger.cli import ledger_cli
    from marketplace.payments.cli import payments_cli
    from marketplace.search.cli import search_cli
    from marketplace.simulation.cli import simulate_command
    from marketplace.vouchers.cli import vouchers_cli
    from marketplace.worker import worker_command

    for group in (users_cli, seed_cli, ledger_cli, vouchers_cli, worker_command, catalog_cli, search_cli,
                  payments_cli, simulate_command, backup_cli):
        app.cli.add_command(group)
