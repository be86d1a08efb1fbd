"""Filters and globals every template may use."""
import json
from datetime import datetime

from flask import request
from flask_babel import format_datetime, get_locale, ngettext, to_user_timezone
from jinja2 import pass_context

from marketplace.auth.forms import ConfirmForm
from marketplace.i18n import N_, catalogue, gettext
from marketplace.jobs.services import job_label
from marketplace.labels import (account_label, audit_action_label, field_label, field_value, memo_label,
                                object_label, transfer_kind_label)
from marketplace.money import format_fen
from marketplace.database import utcnow
from marketplace.vouchers.rules import local_date, percent_text


# The numeric patterns pages use, as strftime: the same text as Babel's formatter without its
# per-call pattern and locale work (tables show dozens of times; issue 18).
NUMERIC_PATTERNS = {"yyyy-MM-dd HH:mm": "%Y-%m-%d %H:%M", "yyyy-MM-dd": "%Y-%m-%d"}


def local_time(value, fmt="yyyy-MM-dd HH:mm"):
    """Shown in Asia/Shanghai (BABEL_DEFAULT_TIMEZONE); stored in UTC."""
    if not value:
        return ""
    if fmt in NUMERIC_PATTERNS and isinstance(value, datetime):
        return to_user_timezone(value).strftime(NUMERIC_PATTERNS[fmt])
    return format_datetime(value, fmt)


HTML_LANGS = {"zh_Hans_CN": "zh-CN", "zh_Hant_TW": "zh-TW"}


def html_lang(locale=None):
    """BCP 47 tag of a locale (the page's by default): zh-CN, zh-TW, en."""
    locale = str(locale or get_locale() or "zh_Hans_CN")
    return HTML_LANGS.get(locale, locale.replace("_", "-"))




def order_action_label(action):
    from marketplace.orders.lifecycle import ACTION_LABELS

    return gettext(ACTION_LABELS.get(action, action))


def delivery_token(order):
    from marketplace.extensions import db
    from marketplace.catalog.models import StoredFile

    stored = db.session.get(StoredFile, order.delivery_file_id)
    return stored.token if stored else ""


QUOTE_STATUS_LABELS = {"requested": N_("Waiting for the quote"), "quoted": N_("Quoted"),
                       "accepted": N_("Accepted"), "declined": N_("Declined")}


def quote_status_label(status):
    return gettext(QUOTE_STATUS_LABELS.get(status, status))


def quote_order_number(quote):
    from marketplace.extensions import db
    from marketplace.orders.models import Order

    order = db.session.get(Order, quote.order_id)
    return order.number if order else ""


def category_label(slug):
    from marketplace.catalog.taxonomy import CATEGORY_LABELS

    return gettext(CATEGORY_LABELS.get(slug, slug))


def unread_notifications():
    from flask_login import current_user

    from marketplace.notifications.services import unread_count

    return unread_count(current_user) if current_user.is_authenticated else 0


def days_text(n):
    """1 → '1 day', 3 → '3 days' (the catalogue has no plural forms: Chinese needs none)."""
    return gettext("1 day") if n == 1 else gettext("%(n)d days", n=n)


def average_rating(hundredths):
    """An average rating held ×100 (rating_summary) with one decimal: 467 → '4.7'."""
    return f"{hundredths / 100:.1f}"


def age_text(since):
    """How long ago `since` was, in its largest whole unit: '3 days', '5 hours', '12 minutes'."""
    from marketplace.database import utcnow

    seconds = max(0, int((utcnow() - since).total_seconds()))
    if seconds >= 86400:
        return days_text(seconds // 86400)
    if seconds >= 3600:
        return gettext("%(n)d h", n=seconds // 3600)
    return gettext("%(n)d min", n=seconds // 60)


def provider_admitted():
    from flask_login import current_user

    from marketplace.workspace.services import provider_admitted as admitted

    return current_user.is_authenticated and current_user.role == "provider" and admitted(current_user.organisation_id)


def field_aria(field, hint=None, **attrs):
    """A form control's attributes that tie it to its hint and errors (ids `<field>-hint`,
    `<field>-error`, rendered by _forms.html), plus any other non-empty attributes given."""
    described = [f"{field.id}-hint"] * bool(hint) + [f"{field.id}-error"] * bool(field.errors)
    attrs.update({"aria-describedby": " ".join(described), "aria-invalid": "true" if field.errors else ""})
    return {name: value for name, value in attrs.items() if value}


# The catalogue a render uses, looked up once per render_template (a context processor) instead
# of once per message (i18n.catalogue; templates translate a hundred messages or more). Macros
# imported without context look it up themselves.
CATALOGUE = "_catalogue"


def render_catalogue(context):
    return context.get(CATALOGUE) or catalogue()


@pass_context
def template_gettext(context, message):
    return render_catalogue(context).ugettext(message)


@pass_context
def translate(context, message, **variables):
    """The `t` filter: a msgid held in data, translated where shown."""
    text = render_catalogue(context).ugettext(message)
    return text % variables if variables else text


def register(app):
    app.jinja_env.install_gettext_callables(gettext=template_gettext, ngettext=ngettext, newstyle=True)
    app.jinja_env.globals["field_aria"] = field_aria
    app.jinja_env.globals["current_year"] = lambda: local_date(utcnow()).year
    app.jinja_env.filters["fen"] = format_fen
    app.jinja_env.filters["days"] = days_text
    app.jinja_env.filters["age"] = age_text
    app.jinja_env.filters["average_rating"] = average_rating
    app.jinja_env.filters["percent"] = percent_text
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["t"] = translate
    app.jinja_env.filters["fromjson"] = json.loads
    app.jinja_env.filters["format_params"] = lambda text, params: text % params if params else text  # translate a msgid held in data (labels, states)

    @app.context_processor
    def globals_for_templates():
        return {CATALOGUE: catalogue(), "unread_notifications": unread_notifications, "order_action_label": order_action_label,
                "delivery_token": delivery_token, "quote_status_label": quote_status_label,
                "quote_order_number": quote_order_number,
                "has_endpoint": lambda name: name in app.view_functions, "transfer_kind_label": transfer_kind_label,
                "category_label": category_label, "job_label": job_label,
                "audit_action_label": audit_action_label, "field_label": field_label, "field_value": field_value,
                "memo_label": memo_label, "account_label": account_label, "object_label": object_label, "html_lang": html_lang, "current_locale": lambda: str(get_locale()),
                "logout_form": ConfirmForm, "provider_admitted": provider_admitted, "request_path": lambda: request.full_path.rstrip("?")}
