"""Provider payouts: the cash the platform collected as merchant of record, paid to each
provider in approved payout batches after a holding period, to verified bank details.

The factory registers the views (marketplace.VIEW_MODULES); importing the package loads none."""
