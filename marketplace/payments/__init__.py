"""Payments through Stripe (localstripe offline): attempts, fulfilment, refunds, the cash ledger.

The factory registers the views (marketplace.VIEW_MODULES); importing the package loads none."""
