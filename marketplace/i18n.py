"""Locale selection and the marker for messages translated later (at display time)."""
from flask import current_app, has_request_context, request
from flask_login import current_user

LOCALE_COOKIE = "lang"


def N_(message):
    """Mark a message for extraction without translating it yet (it is translated where shown)."""
    return message


def select_locale():
    """User's saved choice, then the language cookie, then the browser, then Simplified Chinese
    (also outside a request: the CLI, the worker and tests build reports and labels too)."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return visitor_locale()


def visitor_locale():
    """An anonymous visitor's language: the language cookie, then Simplified Chinese (the page
    cache keys anonymous pages by it)."""
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]
