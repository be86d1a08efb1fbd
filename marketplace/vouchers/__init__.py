from marketplace.vouchers import views  # noqa: F401
