"""Organisations, users, registration review, roles and sessions.

The factory registers the views (marketplace.VIEW_MODULES); importing the package loads none."""
