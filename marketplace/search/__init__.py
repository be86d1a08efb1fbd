from marketplace.search import views  # noqa: F401
