"""The footer (organiser, contact, help, privacy, ICP filing number as a setting) and the help and
privacy pages, in each language, quoting the settings they depend on."""
import pytest

from marketplace import create_app
from tests.conftest import config_for_tests


def test_every_page_has_the_footer_with_organiser_contact_and_policies(client):
    page = client.get("/auth/login").get_data(as_text=True)
    footer = page[page.index('<footer class="site-footer">'):]
    assert "主办单位：厦门火炬高技术产业开发区管理委员会" in footer
    assert 'href="/help"' in footer and 'href="/privacy"' in footer and "隐私政策" in footer
    assert "mailto:service@torch-marketplace.local" in footer
    assert "beian.miit.gov.cn" not in footer  # no ICP number set: nothing to show


def test_the_icp_number_and_contact_come_from_settings(database_url, tmp_path):
    app = create_app({**config_for_tests(database_url, tmp_path), "SITE_ICP_NUMBER": "闽ICP备12345678号-1",
                      "SITE_ORGANISER": "测试高新区管委会", "SITE_CONTACT_PHONE": "0592 1234 5678",
                      "SITE_CONTACT_EMAIL": "help@zone.example"})
    page = app.test_client().get("/help").get_data(as_text=True)
    footer = page[page.index('<footer class="site-footer">'):]
    assert '<a href="https://beian.miit.gov.cn/" rel="noopener noreferrer" target="_blank">闽ICP备12345678号-1</a>' in footer
    assert "主办单位：测试高新区管委会" in footer and 'href="tel:059212345678"' in footer
    assert "本平台由测试高新区管委会运营" in page and "mailto:help@zone.example" in page


@pytest.mark.parametrize("language, words", [
    ("zh_Hans_CN", ("帮助中心", "创新券如何使用", "请在2 天内支付现金部分")),
    ("zh_Hant_TW", ("幫助中心", "創新券")),
    ("en", ("Help centre", "How innovation vouchers work", "Pay the cash share within 2 days")),
])
def test_the_help_centre_speaks_the_users_language_and_quotes_the_deadlines(client, language, words):
    client.set_cookie("lang", language)
    page = client.get("/help").get_data(as_text=True)
    for word in words:
        assert word in page


def test_the_privacy_policy_names_who_is_responsible(client):
    page = client.get("/privacy").get_data(as_text=True)
    assert "隐私政策" in page and "本平台由厦门火炬高技术产业开发区管理委员会运营" in page
    assert "从不经过本平台" in page  # card details
