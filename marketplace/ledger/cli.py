"""`flask --app wsgi ledger …`: verify the chain, show a balance, export transfers as CSV."""
import csv
import sys
from datetime import datetime, time

import click
from flask.cli import AppGroup

from marketplace.extensions import db
from marketplace.money import format_fen

ledger_cli = AppGroup("ledger", help="Audit the voucher and cash ledger.")


@ledger_cli.command("verify")
def verify_command():
    """Recompute the hash chain and replay all balances; exit 1 at the first problem. The run is
    kept with the others (the admin integrity page; the age of the last one is a metric)."""
    from sqlalchemy.exc import SQLAlchemyError

    from marketplace.audit.models import VerifyRun
    from marketplace.ledger.verify import verify

    result = verify(db.engine)
    click.echo(result.summary(), err=not result.ok)
    try:
        db.session.add(VerifyRun(ok=result.ok, transfers_checked=result.transfers_checked, head_hash=result.head_hash,
                                 duration_ms=int(result.seconds * 1000), first_bad_sequence=result.first_bad_sequence,
                                 problem=result.problem))
        db.session.commit()
    except SQLAlchemyError as error:  # e.g. run against a read-only standby: the check itself stands
        db.session.rollback()
        click.echo(f"(this run could not be recorded: {type(error).__name__})", err=True)
    sys.exit(0 if result.ok else 1)


@ledger_cli.command("bundle")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def bundle_command(path):
    """Write the signed audit bundle (chain, balances, signed checkpoint) to PATH; check it
    anywhere with `python -m marketplace.audit.bundle PATH --key-file KEY`."""
    from flask import current_app

    from marketplace.audit.bundle import write_bundle
    from marketplace.database import utcnow

    key = current_app.config.get("AUDIT_CHECKPOINT_KEY")
    transfers, accounts = write_bundle(db.engine, path, key, utcnow())
    signed = "signed" if key else "UNSIGNED (AUDIT_CHECKPOINT_KEY is not set)"
    click.echo(f"Bundle written to {path}: {transfers:,} transfers, {accounts:,} accounts, {signed}.")


@ledger_cli.command("balance")
@click.argument("code")
def balance_command(code):
    """Show the balance of the account with this CODE (e.g. voucher:HJ2026-000001-7)."""
    from marketplace.ledger.errors import AccountNotFound
    from marketplace.ledger.reads import balance

    try:
        found = balance(db.session, code)
    except AccountNotFound as error:
        raise click.ClickException(str(error))
    click.echo(f"{found.code} ({found.kind})")
    for label, amount in (("posted", found.posted), ("pending", found.pending),
                          ("incoming", found.incoming), ("available", found.available)):
        click.echo(f"  {label:<10} {format_fen(amount):>20}  ({amount} fen)")


EXPORT_HEADER = ("sequence", "transfer_id", "created_at", "ledger", "kind", "debit", "credit", "amount_fen",
                 "pending", "pending_id", "reverses_id", "order_id", "application_id",
                 "settlement_id", "voucher_id", "actor_id", "memo", "idempotency_key", "hash")


@ledger_cli.command("export")
@click.option("--since", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="First day (Beijing time, Asia/Shanghai) to include, YYYY-MM-DD.")
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-",
              help="File to write (default: standard output).")
def export_command(since, output):
    """Write the transfers since DATE as CSV (UTF-8, one row per transfer, amounts in fen)."""
    from marketplace.ledger.reads import transfers_since

    from marketplace.vouchers.rules import SHANGHAI

    start = datetime.combine(since.date(), time(0), tzinfo=SHANGHAI)  # the zone's day starts at 00:00 in Beijing
    from marketplace.audit.exports import csv_value

    writer = csv.writer(output)
    writer.writerow(EXPORT_HEADER)
    for row in transfers_since(db.session, start):
        values = list(row)
        values[2] = values[2].isoformat()
        values[8] = int(values[8])
        writer.writerow([csv_value(value) for value in values])  # memos are typed by people: no formulas
