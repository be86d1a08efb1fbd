"""Provider admission, listings with revisions and packages, the public catalogue, the search outbox.

The factory registers the views (marketplace.VIEW_MODULES); importing the package loads none."""
