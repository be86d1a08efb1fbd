"""Torch technology-service marketplace: the application factory."""
from flask import Flask

from marketplace.config import load_config


def create_app(config=None):
    """Build the app. `config` is a dict of overrides (tests hand one in; nothing reads env then
    except for settings the dict leaves out)."""
    app = Flask(__name__, instance_relative_config=True,
                template_folder="../templates", static_folder="../static")
    app.config.update(load_config(app.instance_path, config))
    configure_logging(app)  # first: the request id is set before any other hook runs
    register_extensions(app)
    register_input_boundary(app)
    register_page_cache(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    register_middleware(app)
    return app


def register_extensions(app):
    from marketplace.database import configure_sqlite
    from marketplace.extensions import babel, cache, csrf, db, limiter, login_manager, migrate
    from marketplace.i18n import select_locale

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    cache.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page explains itself; no double message
    login_manager.session_protection = "strong"


def register_input_boundary(app):
    """Before any blueprint: hostile characters and out-of-range ids never reach a view; auditors
    never write; every response carries the security headers."""
    from marketplace import inputs, limits, security

    inputs.register(app)
    security.register(app)
    limits.register(app)


def register_page_cache(app):
    """Anonymous public pages from the cache, with validators; static files with hashed URLs."""
    from marketplace import page_cache, static_files

    page_cache.register(app)
    static_files.register(app)


def register_middleware(app):
    """WSGI layers around Flask, innermost first: cached pages answered before Flask dispatches,
    then the trusted-proxy fix-up outermost (the client's address every layer inside sees)."""
    from marketplace import ops, page_cache

    page_cache.answer_hits_before_flask(app)
    ops.trust_proxies(app)


# Each feature's blueprint (`views.bp`) and the modules that add routes to it.
VIEW_MODULES = {
    "auth": ("views",), "catalog": ("views", "provider_views"), "search": ("views",), "vouchers": ("views",),
    "orders": ("views", "quote_views"), "payments": ("views",), "notifications": ("views",),
    "redemption": ("views",), "payouts": ("views",), "ops": ("views",), "site": ("views",),
    "admin": ("views", "audit_views", "catalog_views", "redemption_views", "search_views", "voucher_views",
              "backoffice_views", "party_views"),
}


def register_blueprints(app):
    from importlib import import_module

    for feature, modules in VIEW_MODULES.items():
        views, *_more = [import_module(f"marketplace.{feature}.{module}") for module in modules]
        app.register_blueprint(views.bp)


def register_errorhandlers(app):
    from marketplace.errors import register_errorhandlers as register

    register(app)


def register_template_helpers(app):
    from marketplace.templating import register

    register(app)


def register_commands(app):
    from marketplace.cli import register

    register(app)


def configure_logging(app):
    """Logs, request ids, the trusted-proxy fix-up and metrics (marketplace/ops)."""
    from marketplace import ops

    ops.init_app(app)
