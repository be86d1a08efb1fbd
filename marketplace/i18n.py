"""Locale selection and the marker for messages translated later (at display time)."""
from flask import current_app, has_request_context, request
from flask_babel import get_locale, get_translations
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


def visitor_locale(incoming=None):
    """An anonymous visitor's language: the language cookie, then the browser's Accept-Language,
    then Simplified Chinese (the page cache keys anonymous pages by it). `incoming` is the request
    (a werkzeug Request: the page cache asks before Flask has made its own); the current one by default."""
    incoming = incoming or request
    chosen = incoming.cookies.get(LOCALE_COOKIE)
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return browser_locale(incoming) or current_app.config["BABEL_DEFAULT_LOCALE"]


# Browser language tags → our locales. Traditional script and the regions that write it go to
# the Taiwan catalogue; any other Chinese to Simplified; any English to English.
TRADITIONAL_TAGS = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")


def locale_for_tag(tag):
    tag = tag.strip().lower().replace("_", "-")
    if tag.startswith(TRADITIONAL_TAGS):
        return "zh_Hant_TW"
    if tag == "zh" or tag.startswith("zh-"):
        return "zh_Hans_CN"
    if tag == "en" or tag.startswith("en-"):
        return "en"
    return None


def browser_locale(incoming=None):
    """The first language of Accept-Language (by quality) that we have, or None."""
    languages = current_app.config["LANGUAGES"]
    for tag, quality in (incoming or request).accept_languages:  # sorted by quality, best first
        locale = locale_for_tag(tag) if quality > 0 else None  # q=0: "not this one"
        if locale in languages:
            return locale
    return None


# -- translating, fast ---------------------------------------------------------------------------
# Flask-Babel finds the catalogue through several context lookups and a locale-to-string
# conversion on every message; a page shows a hundred or more (issue 18: a tenth of a logged-in
# page's time). The catalogue of a locale never changes while the process runs, so it is kept here
# by locale; get_locale() still decides which (the request's, or force_locale's for e-mails).
_catalogues = {}


def catalogue():
    """The current locale's translations (Flask-Babel's own object)."""
    locale = get_locale()
    found = _catalogues.get(locale)
    if found is None:
        found = get_translations()
        if locale is not None:  # outside a request there is no locale and nothing to keep
            _catalogues[locale] = found
    return found


def gettext(message, **variables):
    """flask_babel.gettext, without its per-call lookups."""
    text = catalogue().ugettext(message)
    return text % variables if variables else text
