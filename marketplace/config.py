"""Settings: defaults, then environment variables, then the dict handed to create_app.

Nothing here runs at import time; `load_config` is called by the factory so tests can hand in
a dict without touching the environment.
"""
import hashlib
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

ENV_VARS = (
    "DATABASE_URL", "SECRET_KEY", "SEARCH_INDEX_DIR", "UPLOAD_DIR", "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE", "STRIPE_PUBLISHABLE_KEY", "MAIL_SERVER", "MAIL_PORT", "REDIS_URL",
    "AUDIT_CHECKPOINT_KEY", "SEARCH_WARM_MIN_DOCS", "SEARCH_WARM_UP", "SEARCH_REPLICA", "FOUR_EYES", "PAYOUT_HOLD_DAYS",
    "SESSION_IDLE_MINUTES", "SESSION_MAX_HOURS",
    "TRUSTED_PROXY_HOPS", "LOG_FORMAT", "LOG_LEVEL", "METRICS_ENABLED", "METRICS_TOKEN", "LEDGER_CHECKPOINT_FILE",
    "STORAGE_URL", "STORAGE_ENDPOINT", "STORAGE_ACCESS_KEY", "STORAGE_SECRET_KEY", "STORAGE_REGION",
    "SITE_ORGANISER", "SITE_CONTACT_EMAIL", "SITE_CONTACT_PHONE", "SITE_ICP_NUMBER",
    # Abuse limits (marketplace/limits.py), e.g. QUOTE_RATE_LIMIT="10 per hour".
    "LOGIN_RATE_LIMIT", "REGISTER_RATE_LIMIT", "LOGIN_ACCOUNT_RATE_LIMIT", "LOGIN_ADDRESS_RATE_LIMIT",
    "QUOTE_RATE_LIMIT", "MESSAGE_RATE_LIMIT", "UPLOAD_RATE_LIMIT", "SEARCH_API_RATE_LIMIT",
)


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says which setting to fix."""


def defaults(instance_path):
    return {
        "APP_ENV": "development",
        "DATABASE_URL": "sqlite:///marketplace.sqlite3",
        "SEARCH_INDEX_DIR": os.path.join(instance_path, "search-index"),
        # After a web process opens a new index generation it reads ahead, in the background,
        # the posting arrays of terms found in at least this many listings (0: never).
        "SEARCH_WARM_MIN_DOCS": 500,
        # Warm the index before serving (gunicorn's post_worker_init; /readyz waits for it):
        # None = on in production only.
        "SEARCH_WARM_UP": None,
        "SEARCH_REPLICA": "",  # this host's index in the outbox log; empty: host name + index directory
        "UPLOAD_DIR": os.path.join(instance_path, "uploads"),
        # Uploads in an S3-compatible bucket shared by all hosts: s3://bucket[/prefix] (empty: UPLOAD_DIR).
        "STORAGE_URL": "",
        "STORAGE_ENDPOINT": "",  # the S3 server's URL, e.g. http://127.0.0.1:8333 (empty: AWS itself)
        "STORAGE_ACCESS_KEY": "",  # empty: boto3's own lookup (AWS_ACCESS_KEY_ID, instance role, …)
        "STORAGE_SECRET_KEY": "",
        "STORAGE_REGION": "us-east-1",
        "STRIPE_SECRET_KEY": "",
        "STRIPE_WEBHOOK_SECRET": "",
        "STRIPE_API_BASE": "",
        "STRIPE_PUBLISHABLE_KEY": "",
        "MAIL_SERVER": "",
        "MAIL_PORT": 25,
        "MAIL_FROM": "火炬科技服务超市 <noreply@torch-marketplace.local>",
        "REDIS_URL": "",
        "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": {"zh_Hans_CN": "简体中文", "zh_Hant_TW": "繁體中文", "en": "English"},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        "LOGIN_RATE_LIMIT": "5 per minute;20 per hour",
        "SESSION_IDLE_MINUTES": 60,  # a session unused this long is logged out
        "SESSION_MAX_HOURS": 12,  # and any session after this long, used or not
        "WTF_CSRF_TIME_LIMIT": None,
        "PER_PAGE": 20,
        "ORDER_PAY_DAYS": 2,  # unpaid orders are cancelled after this
        "ORDER_ACCEPT_DAYS": 3,  # providers must accept paid orders within this
        "ORDER_AUTO_ACCEPT_DAYS": 7,  # delivered work is accepted automatically after this
        "PAYOUT_HOLD_DAYS": 14,  # cash of a completed order is paid out to the provider after this
        # Four eyes: decisions one operator asks for wait for a second (None: on in production only).
        "FOUR_EYES": None,
        # Production operation (docs/deploy.md); all off by default.
        "TRUSTED_PROXY_HOPS": 0,  # proxies in front that set X-Forwarded-For/-Proto (0: none trusted)
        "LOG_FORMAT": None,  # "json" or "text" (None: json in production, text elsewhere)
        "LOG_LEVEL": "INFO",
        "METRICS_ENABLED": False,  # Prometheus metrics at /metrics
        "METRICS_TOKEN": "",  # when set, /metrics wants "Authorization: Bearer <token>"
        "LEDGER_CHECKPOINT_FILE": "",  # the latest signed checkpoint, kept outside the database (backups)
        # The footer, help and privacy pages: who runs the site and how to reach them.
        "SITE_ORGANISER": "厦门火炬高技术产业开发区管理委员会",  # 主办单位
        "SITE_CONTACT_EMAIL": "service@torch-marketplace.local",
        "SITE_CONTACT_PHONE": "",
        "SITE_ICP_NUMBER": "",  # ICP备案号, shown in the footer and linked to beian.miit.gov.cn when set
    }


def from_environment():
    values = {name: os.environ[name] for name in ENV_VARS if os.environ.get(name)}
    if os.environ.get("APP_ENV"):
        values["APP_ENV"] = os.environ["APP_ENV"]
    return values


def load_config(instance_path, overrides=None):
    """Merge defaults, environment and overrides, then derive and validate dependent settings."""
    explicit = {**from_environment(), **(overrides or {})}
    config = {**defaults(instance_path), **explicit}
    production = config["APP_ENV"] == "production"
    if production:
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not explicit.get(name)]
        if missing:
            raise ConfigError(f"production needs {', '.join(missing)} set in the environment")
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True
    elif not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = development_secret_key(instance_path)
    if not production and not config.get("AUDIT_CHECKPOINT_KEY"):
        # Signs the ledger's daily checkpoint; production sets its own (without it no checkpoint is signed).
        config["AUDIT_CHECKPOINT_KEY"] = development_secret_key(instance_path, "audit_checkpoint_key")
    config["MAIL_PORT"] = int(config["MAIL_PORT"])
    config["FOUR_EYES"] = production if config["FOUR_EYES"] is None else as_flag(config["FOUR_EYES"], "FOUR_EYES")
    config["SEARCH_WARM_UP"] = (production if config["SEARCH_WARM_UP"] is None
                                else as_flag(config["SEARCH_WARM_UP"], "SEARCH_WARM_UP"))
    config["PAYOUT_HOLD_DAYS"] = whole_number(config["PAYOUT_HOLD_DAYS"], "PAYOUT_HOLD_DAYS")
    for name in ("SESSION_IDLE_MINUTES", "SESSION_MAX_HOURS"):
        config[name] = whole_number(config[name], name, "minutes" if "MINUTES" in name else "hours")
    try:
        config["SEARCH_WARM_MIN_DOCS"] = max(0, int(config["SEARCH_WARM_MIN_DOCS"]))
    except ValueError:
        raise ConfigError("SEARCH_WARM_MIN_DOCS must be a whole number of listings (0 turns the read-ahead off)")
    configure_operations(config, production)
    config["SQLALCHEMY_DATABASE_URI"] = config["DATABASE_URL"]
    config.setdefault("RATELIMIT_STORAGE_URI", config["REDIS_URL"] or "memory://")
    page_cache_settings(config, instance_path)
    return config


def configure_operations(config, production):
    try:
        config["TRUSTED_PROXY_HOPS"] = max(0, int(config["TRUSTED_PROXY_HOPS"]))
    except (TypeError, ValueError):
        raise ConfigError("TRUSTED_PROXY_HOPS must be a whole number of proxies (0: trust no forwarded header)")
    log_format = config["LOG_FORMAT"] or ("json" if production else "text")
    if log_format not in ("json", "text"):
        raise ConfigError("LOG_FORMAT must be json or text")
    config["LOG_FORMAT"] = log_format
    config["LOG_LEVEL"] = str(config["LOG_LEVEL"]).upper()
    if config["LOG_LEVEL"] not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError("LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
    config["METRICS_ENABLED"] = as_flag(config["METRICS_ENABLED"], "METRICS_ENABLED")
    check_storage_url(config["STORAGE_URL"])


def check_storage_url(url):
    if not url:
        return
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ConfigError("STORAGE_URL must be s3://bucket or s3://bucket/prefix (empty: files under UPLOAD_DIR)")


def page_cache_settings(config, instance_path):
    """Flask-Caching in Redis with REDIS_URL, else in each process (marketplace/page_cache.py);
    on by default except in tests, which turn it on where they test it."""
    scope = hashlib.sha1(config["DATABASE_URL"].encode()).hexdigest()[:10]  # one cache per database
    config["PAGE_CACHE"] = as_flag(config.get("PAGE_CACHE", not config.get("TESTING")), "PAGE_CACHE")
    config.setdefault("PAGE_CACHE_TIMEOUT", 600)  # seconds: bounds what depends on the clock alone
    config.setdefault("CACHE_KEY_PREFIX", f"torch:{scope}:")
    config.setdefault("PAGE_CACHE_GENERATION_FILE", os.path.join(instance_path, f"page-cache-{scope}.generation"))
    if config["REDIS_URL"]:
        config.setdefault("CACHE_TYPE", "RedisCache")
        config.setdefault("CACHE_REDIS_URL", config["REDIS_URL"])
    else:
        config.setdefault("CACHE_TYPE", "SimpleCache")
    config.setdefault("CACHE_DEFAULT_TIMEOUT", config["PAGE_CACHE_TIMEOUT"])


def as_flag(value, name):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be on or off (1/0, true/false)")


def whole_number(value, name, unit="days"):
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if number < 0:
        raise ConfigError(f"{name} must be a whole number of {unit} (0 or more)")
    return number


def development_secret_key(instance_path, name="secret_key"):
    """Generate the development key once into the instance folder, so sessions survive restarts."""
    path = Path(instance_path) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
