"""`flask --app wsgi vouchers …`: expiry, reminders and batch issuance from the shell."""
from datetime import datetime
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from marketplace.auth.models import Role, User
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.ledger import run_in_transaction
from marketplace.money import format_fen
from marketplace.vouchers import services
from marketplace.vouchers.models import IssueBatchRow, VoucherProgram

vouchers_cli = AppGroup("vouchers", help="Voucher programs: expiry, reminders, batch issuance.")


def parse_now(value):
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise click.BadParameter("give a time zone, e.g. 2026-12-31T16:00:00+00:00")
    return moment


NOW = click.option("--now", callback=lambda ctx, param, value: parse_now(value),
                   help="Pretend it is this aware ISO time (for catch-up runs and tests).")


@vouchers_cli.command("expire")
@NOW
def expire(now):
    """Lapse what is left on vouchers past their program's use_by (safe to run repeatedly)."""
    touched, total = run_in_transaction(db.session, lambda: services.expire_vouchers(now))
    click.echo(f"{touched} voucher(s) lapsed, {format_fen(total)} returned to the programs' lapsed accounts.")


@vouchers_cli.command("remind")
@NOW
def remind(now):
    """Send the 30- and 7-day expiry reminders that are due (each once per voucher)."""
    sent = run_in_transaction(db.session, lambda: services.send_expiry_reminders(now))
    click.echo(f"{sent} reminder(s) queued.")


@vouchers_cli.command("issue-batch")
@click.argument("program_code")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Only check the rows and print the outcome of each.")
@click.option("--admin", "admin_email", help="Admin recorded as the issuer (default: the first admin).")
def issue_batch(program_code, file, dry_run, admin_email):
    """Issue vouchers from FILE (credit_code,amount_yuan,memo; UTF-8 or GBK)."""
    program = db.session.scalar(select(VoucherProgram).where(VoucherProgram.code == program_code))
    if program is None:
        raise click.ClickException(f"no program with code {program_code}")
    actor = issuing_admin(admin_email)
    try:
        batch = services.preview_batch(program.id, file.name, file.read_bytes(), actor)
        print_outcomes(batch)
        if dry_run:
            db.session.rollback()
            return click.echo("Dry run: nothing issued.")
        _, issued = services.confirm_batch(batch.id, actor)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error))
    db.session.commit()
    click.echo(f"{issued} voucher(s) issued, {format_fen(batch.total_fen)} in total.")


def issuing_admin(email):
    query = select(User).where(User.role == Role.ADMIN).order_by(User.id)
    admin = db.session.scalar(query.where(User.email == email) if email else query)
    if admin is None:
        raise click.ClickException("no admin account: create one with `users create-admin`")
    return admin


def print_outcomes(batch):
    rows = db.session.scalars(select(IssueBatchRow).where(IssueBatchRow.batch_id == batch.id)
                              .order_by(IssueBatchRow.line)).all()
    for row in rows:
        if row.outcome not in ("ok", "issued"):
            click.echo(f"line {row.line}: {row.credit_code or '—'}: {row.outcome}")
    click.echo(f"{batch.rows_ok} row(s) ok, {batch.rows_bad} refused, {format_fen(batch.total_fen)} to issue.")
