"""Voucher programs, applications, issuance, expiry and revocation.

The factory registers the views (marketplace.VIEW_MODULES); importing the package loads none."""
