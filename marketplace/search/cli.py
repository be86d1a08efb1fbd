"""`flask --app wsgi search …`: rebuild the index, apply the outbox, show the index status."""
import click
from flask.cli import AppGroup

search_cli = AppGroup("search", help="Maintain the search index.")


class Progress:
    """Adapts click's progress bar to the indexer's progress(n) callback."""

    def __init__(self):
        self.total, self.bar = None, None

    def __call__(self, step):
        if self.bar is None:
            self.bar = click.progressbar(length=self.total or 0, label="Indexing", show_pos=True)
            self.bar.__enter__()
        self.bar.update(step)

    def close(self):
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@search_cli.command("reindex")
def reindex():
    """Build a new index from the database beside the live one and swap it in."""
    from marketplace.search.indexer import rebuild

    progress = Progress()
    try:
        count = rebuild(progress=progress, reason="search reindex")
    finally:
        progress.close()
    click.echo(f"Indexed {count} published listing(s); the new index is live.")


@search_cli.command("sync")
@click.option("--batch-size", default=500, show_default=True, help="Outbox rows per index commit.")
def sync(batch_size):
    """Apply the pending search-outbox rows (waits if another indexer is running)."""
    from marketplace.search.indexer import sync as apply

    click.echo(f"Applied {apply(batch_size=batch_size, blocking=True)} outbox row(s).")


@search_cli.command("status")
def status():
    """Print the index health, document count and pending outbox rows."""
    from marketplace.search.indexer import index_status

    for key, value in index_status().items():
        click.echo(f"{key}: {value}")
