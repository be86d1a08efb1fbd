"""In-app notifications and the e-mail outbox.

The factory registers the views (marketplace.VIEW_MODULES); importing the package loads none."""
