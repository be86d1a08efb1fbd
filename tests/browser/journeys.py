"""Steps every browser journey takes: log in through the form, log out from the header."""
from playwright.sync_api import expect

from tests.conftest import PASSWORD


def log_in(page, base, email, password=PASSWORD):
    page.goto(f"{base}/auth/login")
    page.get_by_label("电子邮箱").fill(email)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def log_out(page):
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_text("您已退出登录。")).to_be_visible()
