from marketplace.admin import catalog_views, search_views, views, voucher_views  # noqa: F401
