"""`flask --app wsgi backup create|verify|restore|checkpoint` (docs/deploy.md)."""
import sys

import click
from flask.cli import AppGroup

backup_cli = AppGroup("backup", help="Back up, check and restore the database and uploads.")


def report(outcome):
    for line in outcome.lines:
        click.echo(line, err=bool(outcome.code))
    sys.exit(outcome.code)


@backup_cli.command("create")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def create_command(path):
    """Write a backup (database, uploads, signed manifest and checkpoint) to PATH (mode 0600)."""
    from marketplace.backup.services import create

    report(create(path))


@backup_cli.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def verify_command(path):
    """Restore PATH into a scratch database and check it: exit 0 intact, 1 broken, 3 older than
    the latest checkpoint (LEDGER_CHECKPOINT_FILE)."""
    from marketplace.backup.services import verify

    report(verify(path))


@backup_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace a database and upload folder that are not empty.")
@click.option("--accept-older", is_flag=True, help="Restore a backup older than the latest checkpoint "
                                                   "(the transfers after it are lost).")
def restore_command(path, force, accept_older):
    """Replace this installation's database and uploads with the backup's (stop the app and the
    workers first). PostgreSQL restores in one transaction: all or nothing."""
    from marketplace.backup.checkpoints import BehindCheckpoint
    from marketplace.backup.databases import RestoreRefused
    from marketplace.backup.services import OLDER, restore

    try:
        outcome = restore(path, force=force, accept_older=accept_older)
    except BehindCheckpoint as error:
        click.echo(f"Restore refused: {error}", err=True)
        sys.exit(OLDER)
    except RestoreRefused as error:
        raise click.ClickException(f"Restore refused: {error}")
    report(outcome)


@backup_cli.command("checkpoint")
def checkpoint_command():
    """Move the latest checkpoint (LEDGER_CHECKPOINT_FILE) to the ledger's current head."""
    from flask import current_app

    from marketplace.backup.checkpoints import CheckpointError
    from marketplace.backup.services import write_checkpoint

    path = current_app.config.get("LEDGER_CHECKPOINT_FILE")
    if not path:
        raise click.ClickException("LEDGER_CHECKPOINT_FILE is not set")
    try:
        head = write_checkpoint()
    except CheckpointError as error:
        raise click.ClickException(f"The database does not match the latest checkpoint in {path}: {error}")
    click.echo(f"Latest checkpoint in {path}: transfer {head.sequence:,}." if head else
               f"The latest checkpoint in {path} is already at the ledger's head.")
