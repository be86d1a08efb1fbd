"""The admin console: pages for each feature on one `admin` blueprint (no models of its own).

The factory registers the views (marketplace.VIEW_MODULES); importing the package loads none."""
