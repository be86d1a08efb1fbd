"""`flask --app wsgi catalog …`: CSV import of listings, image variants for older uploads."""
import time

import click
from flask.cli import AppGroup

from marketplace.catalog.importer import ImportRefused, NothingImported, import_all_or_nothing
from marketplace.extensions import db
from marketplace.ledger import run_in_transaction

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
            report = run_in_transaction(db.session, lambda: import_all_or_nothing(
                raw, skip_invalid=skip_invalid, progress=bar.update))
    except ImportRefused as error:
        raise click.ClickException(str(error)) from error
    except NothingImported as stopped:
        for error in stopped.report.errors:
            click.echo(str(error), err=True)
        raise click.ClickException(f"{stopped} (fix them, or use --skip-invalid to import the valid rows).") from None
    for error in report.errors:
        click.echo(str(error), err=True)
    click.echo(f"{report.encoding}: {report.rows} row(s) read in {time.perf_counter() - started:.1f} s — "
               f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
               f"{len(report.errors)} skipped; {len(report.providers_created)} provider(s) created.")


@catalog_cli.command("image-variants")
def image_variants_command():
    """Make the WebP and JPEG variants of listing images and logos stored before they existed."""
    from marketplace.catalog.uploads import add_variants, without_variants
    from marketplace.errors import NotFound, ValidationFailed

    done, failed, seen = 0, [], set()
    while batch := [file_id for file_id in without_variants() if file_id not in seen]:
        for file_id in batch:
            seen.add(file_id)
            try:
                run_in_transaction(db.session, lambda file_id=file_id: add_variants(file_id))
                done += 1
            except (NotFound, ValidationFailed):
                failed.append(file_id)
    if done:
        from marketplace.page_cache import bump

        bump()  # cached pages still offer the thumbnails
    for file_id in failed:
        click.echo(f"stored file {file_id}: the original is missing or no longer an image", err=True)
    click.echo(f"{done} image(s) given variants, {len(failed)} skipped.")
