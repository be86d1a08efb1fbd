from marketplace.admin import audit_views, catalog_views, redemption_views, search_views, views, voucher_views  # noqa: F401
