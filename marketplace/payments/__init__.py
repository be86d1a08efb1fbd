from marketplace.payments import views  # noqa: F401
