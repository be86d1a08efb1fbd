"""Traditional Chinese (Taiwan) UI: generated from the Simplified catalogue, chosen and remembered
like the other languages."""
from pathlib import Path

import flask_babel
from babel.messages.pofile import read_po

from marketplace.catalog.models import Category
from marketplace.extensions import db
from marketplace.traditional import to_traditional

TRANSLATIONS = Path(__file__).parent.parent / "marketplace/translations"


def catalogue(locale):
    with (TRANSLATIONS / locale / "LC_MESSAGES/messages.po").open("rb") as handle:
        return {m.id: m for m in read_po(handle) if m.id}


def test_every_message_has_a_traditional_translation():
    traditional = catalogue("zh_Hant_TW")
    missing = [i for i, m in traditional.items() if not m.string or m.fuzzy]
    assert missing == []
    assert traditional.keys() == catalogue("zh_Hans_CN").keys()


def test_traditional_catalogue_is_generated_from_the_simplified_one():
    """Fails when the Simplified catalogue changed and scripts/update_catalogue.py was not rerun."""
    traditional = catalogue("zh_Hant_TW")
    stale = [i for i, m in catalogue("zh_Hans_CN").items() if traditional[i].string != to_traditional(m.string)]
    assert stale == []


def test_reviewed_domain_terms_win_over_plain_conversion():
    assert to_traditional("统一社会信用代码") == "統一社會信用代碼"  # s2twp alone: 信用程式碼
    assert to_traditional("审核通过") == "審核通過"  # s2twp alone: 稽核 (an audit)
    assert to_traditional("创新券项目") == "創新券計畫"  # s2twp alone: 專案
    assert to_traditional("账户余额") == "帳戶餘額"
    assert to_traditional("软件著作权、知识产权与信息服务") == "軟體著作權、智慧財產權與資訊服務"
    assert to_traditional("请在“申领创新券”页面提交") == "請在「申領創新券」頁面提交"
    assert to_traditional("%(name)s 已入库") == "%(name)s 已入庫"


def test_no_mainland_only_term_is_left_in_the_traditional_catalogue():
    texts = " ".join(m.string for m in catalogue("zh_Hant_TW").values())
    assert [t for t in ("程式碼", "稽核", "專案", "賬", "质", "项", "软件", "登錄", "“") if t in texts] == []


def test_pages_render_in_traditional_chinese(client):
    response = client.get("/auth/language/zh_Hant_TW?next=/auth/login")
    assert response.location.endswith("/auth/login")
    page = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="zh-TW">' in page
    assert "火炬科技服務超市" in page and "登入" in page
    assert "登录" not in page and "服务" not in page
    assert '<strong aria-current="true">繁體中文</strong>' in page
    assert 'lang="zh-CN">简体中文</a>' in page


def test_every_page_offers_traditional_chinese(client):
    page = client.get("/").get_data(as_text=True)
    assert '/auth/language/zh_Hant_TW' in page and 'lang="zh-TW">繁體中文</a>' in page


def test_traditional_choice_is_saved_on_the_account(client, auth, make_user):
    user = make_user()
    auth.login(user)
    client.get("/auth/language/zh_Hant_TW")
    db.session.refresh(user)
    assert user.locale == "zh_Hant_TW"
    client.delete_cookie("lang")
    page = client.get("/auth/account").get_data(as_text=True)
    assert '<html lang="zh-TW">' in page and "登出" in page


def test_form_errors_and_category_names_are_traditional(client, app):
    client.get("/auth/language/zh_Hant_TW")
    page = client.post("/auth/login", data={"email": "", "password": ""}).get_data(as_text=True)
    assert "此項為必填項" in page
    category = Category(slug="tw-test", name_zh="知识产权服务", name_en="IP services")
    with flask_babel.force_locale("zh_Hant_TW"):
        assert category.name == "智慧財產權服務"
    with flask_babel.force_locale("zh_Hans_CN"):
        assert category.name == "知识产权服务"
