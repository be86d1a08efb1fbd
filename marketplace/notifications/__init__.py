from marketplace.notifications import views  # noqa: F401
