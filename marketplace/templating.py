"""Filters and globals every template may use."""
from flask import request
from flask_babel import format_datetime, get_locale, gettext

from marketplace.auth.forms import ConfirmForm
from marketplace.money import format_fen


def local_time(value, fmt="yyyy-MM-dd HH:mm"):
    """Shown in Asia/Shanghai (BABEL_DEFAULT_TIMEZONE); stored in UTC."""
    return format_datetime(value, fmt) if value else ""


def html_lang():
    locale = str(get_locale() or "zh_Hans_CN")
    return "zh-CN" if locale.startswith("zh") else locale.replace("_", "-")


def register(app):
    app.jinja_env.filters["fen"] = format_fen
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["dict_without_empty"] = lambda attrs: {k: v for k, v in attrs.items() if v}
    app.jinja_env.filters["t"] = gettext  # translate a msgid held in data (labels, states)

    @app.context_processor
    def globals_for_templates():
        return {"html_lang": html_lang, "current_locale": lambda: str(get_locale()),
                "logout_form": ConfirmForm, "request_path": lambda: request.full_path.rstrip("?")}
