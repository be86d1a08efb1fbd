from marketplace.orders import quote_views, views  # noqa: F401
