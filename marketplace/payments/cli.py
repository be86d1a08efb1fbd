"""`flask --app wsgi payments …`: wire the offline Stripe emulator, show the cash reconciliation."""
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from marketplace.money import format_fen

payments_cli = AppGroup("payments", help="Payments through Stripe (or localstripe offline).")


@payments_cli.command("register-webhook")
@click.argument("url")
@click.option("--wait", default=20.0, show_default=True, help="Seconds to wait for localstripe to answer.")
def register_webhook(url, wait):
    """Have localstripe (STRIPE_API_BASE) deliver signed events to URL, e.g.
    http://127.0.0.1:5000/payments/stripe/webhook."""
    from marketplace.payments import localstripe

    config = current_app.config
    if not config.get("STRIPE_API_BASE"):
        raise click.ClickException("STRIPE_API_BASE is not set: webhooks of real Stripe are "
                                   "configured in its dashboard, not here.")
    if not config.get("STRIPE_WEBHOOK_SECRET"):
        raise click.ClickException("STRIPE_WEBHOOK_SECRET is not set.")
    try:
        localstripe.wait_ready(config["STRIPE_API_BASE"], timeout=wait)
        localstripe.register_webhook(config["STRIPE_API_BASE"], url, config["STRIPE_WEBHOOK_SECRET"])
    except (RuntimeError, OSError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"localstripe at {config['STRIPE_API_BASE']} delivers webhooks to {url}")


@payments_cli.command("reconcile")
def reconcile():
    """Stripe payments − refunds = provider payables + platform revenue + paid out; exit 1 if not."""
    from marketplace.payments.services import cash_reconciliation

    figures = cash_reconciliation()
    for label, value in (("payments received", figures.payments), ("refunds", figures.refunds),
                         ("net", figures.net), ("provider payables", figures.provider_payables),
                         ("platform revenue", figures.platform_revenue), ("paid out", figures.paid_out),
                         ("stripe clearing", figures.stripe_clearing),
                         ("payment records", figures.recorded_payments),
                         ("refund records", figures.recorded_refunds)):
        click.echo(f"{label:<18} {format_fen(value):>18}")
    click.echo("balanced" if figures.balanced else "NOT balanced", err=not figures.balanced)
    sys.exit(0 if figures.balanced else 1)
