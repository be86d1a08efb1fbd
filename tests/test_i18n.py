from pathlib import Path

import pytest

from babel.messages.pofile import read_po

from marketplace.extensions import db

CATALOGUE = Path(__file__).parent.parent / "marketplace/translations/zh_Hans_CN/LC_MESSAGES/messages.po"


def test_simplified_chinese_is_the_default(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "火炬科技服务超市" in page and "登录" in page


def test_english_is_selectable_and_remembered_in_a_cookie(client):
    response = client.get("/auth/language/en?next=/auth/login")
    assert response.location.endswith("/auth/login")
    page = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Log in" in page and "登录" not in page


def test_language_choice_is_saved_on_the_account(client, auth, make_user):
    user = make_user()
    auth.login(user)
    client.get("/auth/language/en")
    db.session.refresh(user)
    assert user.locale == "en"
    client.delete_cookie("lang")
    assert "My organisation" in client.get("/auth/account").get_data(as_text=True)


@pytest.mark.parametrize("header, lang", [
    ("en-US,en;q=0.9", "en"), ("zh-TW", "zh-TW"), ("zh-HK,en;q=0.5", "zh-TW"), ("zh-Hant", "zh-TW"),
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"), ("zh", "zh-CN"), ("fr-FR,en;q=0.7", "en"),
    ("fr-FR,de;q=0.5", "zh-CN"), ("en;q=0.2,zh-TW;q=0.9", "zh-TW"), ("en;q=0", "zh-CN"), ("", "zh-CN"),
    ("zh-Hans-CN", "zh-CN"), (";;;,q=,\u00e9", "zh-CN"),
])
def test_a_visitor_without_a_choice_gets_the_browser_language(client, header, lang):
    page = client.get("/auth/login", headers={"Accept-Language": header})
    assert page.status_code == 200 and f'<html lang="{lang}">' in page.get_data(as_text=True)


def test_a_chosen_language_wins_over_the_browser(client, auth, make_user):
    client.get("/auth/language/zh_Hans_CN")
    assert '<html lang="zh-CN">' in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    user = make_user()
    auth.login(user)
    client.get("/auth/language/zh_Hant_TW")
    client.delete_cookie("lang")
    assert '<html lang="zh-TW">' in client.get("/auth/account", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_unknown_language_is_ignored(client):
    client.get("/auth/language/xx")
    assert "登录" in client.get("/").get_data(as_text=True)


def test_every_message_has_a_chinese_translation():
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    missing = [m.id for m in catalogue if m.id and (not m.string or m.fuzzy or
               (isinstance(m.string, tuple) and not all(m.string)))]
    assert missing == []
    assert len(catalogue) > 100


def test_form_errors_are_translated(client):
    page = client.post("/auth/login", data={"email": "", "password": ""}).get_data(as_text=True)
    assert "此项为必填项" in page
    client.get("/auth/language/en")
    page = client.post("/auth/login", data={"email": "", "password": ""}).get_data(as_text=True)
    assert "This field is required." in page


def test_the_kept_catalogue_follows_the_locale_also_inside_force_locale(app):
    """i18n.catalogue keeps each locale's catalogue; which one still follows get_locale(), so an
    e-mail rendered in the recipient's language (force_locale) is not in the page's language."""
    from flask import render_template_string
    from flask_babel import force_locale

    from marketplace.i18n import gettext

    template = '{{ _("Log in") }}|{{ "Log in"|t }}'
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        assert gettext("Log in") == "登录" and render_template_string(template) == "登录|登录"
        with force_locale("en"):
            assert gettext("Log in") == "Log in" and render_template_string(template) == "Log in|Log in"
        with force_locale("zh_Hant_TW"):
            assert gettext("Log in") == "登入"
        assert gettext("Log in") == "登录" and gettext("%(n)d days", n=3) == "3 天"


def test_a_macro_imported_without_context_translates_in_the_page_language(app):
    """Imported macros do not see the render's kept catalogue; they look it up themselves."""
    from types import SimpleNamespace

    from flask import render_template_string

    form = SimpleNamespace(form_errors=[], errors={"name": ["required"]})
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        page = render_template_string('{% import "_forms.html" as forms %}{{ forms.form_errors(form) }}', form=form)
    assert "Please correct the fields marked below." in page


@pytest.mark.parametrize("value", [
    "2026-12-31 16:30", "2026-12-31 16:30+00:00", "2026-03-01 02:05:59", "2026-06-30 23:59:59.999+00:00",
    "2026-07-01 08:00+08:00",
])
def test_local_time_matches_babel_for_the_numeric_patterns(app, value):
    """templating.local_time formats the two numeric patterns with strftime: same text as Babel's."""
    from datetime import datetime

    from flask_babel import format_datetime

    from marketplace.templating import local_time

    moment = datetime.fromisoformat(value)
    with app.test_request_context("/"):
        for pattern in ("yyyy-MM-dd HH:mm", "yyyy-MM-dd"):
            assert local_time(moment, pattern) == format_datetime(moment, pattern)
        assert local_time(moment, "HH:mm:ss") == format_datetime(moment, "HH:mm:ss")
    assert local_time(None) == ""
