from marketplace.admin import catalog_views, views, voucher_views  # noqa: F401
