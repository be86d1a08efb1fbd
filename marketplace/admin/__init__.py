from marketplace.admin import views  # noqa: F401
