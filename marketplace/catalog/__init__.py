from marketplace.catalog import views  # noqa: F401
