"""Orders: quote, checkout with voucher holds, lifecycle, thread, reviews, quotes.

The factory registers the views (marketplace.VIEW_MODULES); importing the package loads none."""
