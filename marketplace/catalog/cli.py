"""`flask --app wsgi catalog …`: CSV import of listings."""
import time

import click
from flask.cli import AppGroup

from marketplace.catalog.importer import ImportRefused, import_listings
from marketplace.extensions import db

catalog_cli = AppGroup("catalog", help="Manage the service catalogue.")


@catalog_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows even if some rows are invalid.")
def import_command(path, skip_invalid):
    """Import listings from a CSV file (DESIGN.md format; UTF-8 or GBK)."""
    with open(path, "rb") as handle:
        raw = handle.read()
    started = time.perf_counter()
    try:
        with click.progressbar(length=raw.count(b"\n"), label="Importing", show_pos=True) as bar:
            report = import_listings(raw, skip_invalid=skip_invalid, progress=bar.update)
    except ImportRefused as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    for error in report.errors:
        click.echo(str(error), err=True)
    if not report.imported:
        db.session.rollback()
        raise click.ClickException(f"{len(report.errors)} invalid row(s): nothing imported "
                                   "(fix them, or use --skip-invalid to import the valid rows).")
    db.session.commit()
    click.echo(f"{report.encoding}: {report.rows} row(s) read in {time.perf_counter() - started:.1f} s — "
               f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
               f"{len(report.errors)} skipped; {len(report.providers_created)} provider(s) created.")
