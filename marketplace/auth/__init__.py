from marketplace.auth import views  # noqa: F401  (the factory registers views.bp)
