"""Screenshot pages at desktop and phone widths in real Chromium, for looking at what we build.

    .venv/bin/python scripts/screenshots.py [OUT_DIR]

Builds a throwaway SQLite database with the demo data, serves it on a free loopback port, logs in
as each role and saves PNGs (OUT_DIR defaults to ./screenshots, which git ignores).
"""
import sys
import tempfile
from pathlib import Path

from flask_migrate import upgrade
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from marketplace import create_app  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.seed import DEMO_PASSWORD, seed_demo  # noqa: E402
from tests.browser.conftest import CHROMIUM_ARGS, LiveServer  # noqa: E402

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
# (login e-mail or None, page name, path)
PAGES = [
    (None, "home", "/"), (None, "login", "/auth/login"), (None, "register", "/auth/register"),
    (None, "register-errors", "/auth/register#submit"), (None, "404", "/no-such-page"),
    ("ent4@demo.torch.cn", "account-pending", "/auth/account"),
    ("ent1@demo.torch.cn", "account-approved", "/auth/account"),
    ("admin@demo.torch.cn", "admin-dashboard", "/admin/"),
    ("admin@demo.torch.cn", "admin-queue", "/admin/organisations"),
    ("admin@demo.torch.cn", "admin-organisation", "/admin/organisations/4"),
    ("ent1@demo.torch.cn", "403", "/admin/"),
]


def build_app(folder):
    app = create_app({"SECRET_KEY": "screens", "DATABASE_URL": f"sqlite:///{folder}/screens.sqlite3",
                      "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        upgrade(directory="migrations")
        seed_demo()
        db.session.commit()
    return app


def shoot(page, base, out, email, name, path):
    if email:
        page.goto(f"{base}/auth/login")
        page.fill("#email", email)
        page.fill("#password", DEMO_PASSWORD)
        page.click("button[type=submit]")
    page.goto(base + path.split("#")[0])
    if path.endswith("#submit"):
        page.click("form button[type=submit]")
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)


def main(out_dir="screenshots"):
    out = Path(out_dir)
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        app = build_app(folder)
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        with LiveServer(app) as server:
            for width_name, (width, height) in WIDTHS.items():
                (out / width_name).mkdir(parents=True, exist_ok=True)
                for email, name, path in PAGES:
                    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
                    shoot(context.new_page(), server.url, out / width_name, email, name, path)
                    context.close()
        browser.close()
    print(f"screenshots written to {out}/")


if __name__ == "__main__":
    main(*sys.argv[1:])
