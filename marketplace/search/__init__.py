"""Search: the Whoosh index fed from the catalogue's outbox, queries, synonyms.

The factory registers the views (marketplace.VIEW_MODULES); importing the package loads none."""
