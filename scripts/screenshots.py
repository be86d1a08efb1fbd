"""Screenshot pages at desktop and phone widths in real Chromium, for looking at what we build.

    .venv/bin/python scripts/screenshots.py [OUT_DIR]

Builds a throwaway SQLite database with the demo data, serves it on a free loopback port, logs in
as each role and saves PNGs (OUT_DIR defaults to ./screenshots, which git ignores).
"""
import sys
import tempfile
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from flask_migrate import upgrade
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from marketplace import create_app  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.seed import DEMO_PASSWORD, seed_demo  # noqa: E402
from marketplace.vouchers.numbers import voucher_number  # noqa: E402
from tests.browser.conftest import CHROMIUM_ARGS, LiveServer  # noqa: E402

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
# (login e-mail or None, page name, path)
PAGES = [
    (None, "home", "/"), (None, "login", "/auth/login"), (None, "register", "/auth/register"),
    (None, "register-errors", "/auth/register#submit"), (None, "404", "/no-such-page"),
    (None, "help", "/help"), (None, "privacy", "/privacy"),
    ("ent4@demo.torch.cn", "account-pending", "/auth/account"),
    ("ent1@demo.torch.cn", "account-approved", "/auth/account"),
    ("admin@demo.torch.cn", "admin-dashboard", "/admin/"),
    ("admin@demo.torch.cn", "admin-queue", "/admin/organisations"),
    ("admin@demo.torch.cn", "admin-organisation", "/admin/organisations/4"),
    ("ent1@demo.torch.cn", "403", "/admin/"),
    ("ent1@demo.torch.cn", "voucher-wallet", "/vouchers/"),
    ("ent1@demo.torch.cn", "voucher-statement", f"/vouchers/{voucher_number('HJ2026', 1)}"),
    ("ent3@demo.torch.cn", "voucher-programs", "/vouchers/programs"),
    ("ent3@demo.torch.cn", "voucher-apply", "/vouchers/programs/1/apply"),
    ("ent1@demo.torch.cn", "notifications", "/notifications/"),
    ("admin@demo.torch.cn", "admin-programs", "/admin/programs"),
    ("admin@demo.torch.cn", "admin-program", "/admin/programs/1"),
    ("admin@demo.torch.cn", "admin-program-new", "/admin/programs/new#submit"),
    ("admin@demo.torch.cn", "admin-applications", "/admin/applications?status=all"),
    ("admin@demo.torch.cn", "admin-outbox", "/admin/outbox"),
    (None, "catalog-category", "/categories/testing"), (None, "catalog-empty", "/categories/finance-insurance"),
    (None, "catalog-listing", "/listings/1"), (None, "catalog-provider", "/providers/6"),
    ("lab@demo.torch.cn", "provider-profile", "/my/profile"), ("lab@demo.torch.cn", "provider-listings", "/my/listings"),
    ("lab@demo.torch.cn", "provider-listing", "/my/listings/14"), ("lab@demo.torch.cn", "provider-listing-new", "/my/listings/new"),
    ("lab@demo.torch.cn", "provider-listing-errors", "/my/listings/new#submit"),
    ("transfer@demo.torch.cn", "provider-profile-unapproved", "/my/profile"),
    ("admin@demo.torch.cn", "admin-providers", "/admin/catalog/providers?status=admitted"),
    ("admin@demo.torch.cn", "admin-provider", "/admin/catalog/providers/2"),
    ("admin@demo.torch.cn", "admin-listing-queue", "/admin/catalog/listings"),
    ("admin@demo.torch.cn", "admin-import", "/admin/catalog/import"),
    # {order}: a new order of ent1 awaiting payment; "#click:NAME" presses that button first.
    ("ent1@demo.torch.cn", "pay", "/payments/orders/{order}/pay"),
    ("ent1@demo.torch.cn", "pay-declined", "/payments/orders/{order}/pay#click:被拒绝的卡"),
    ("ent1@demo.torch.cn", "pay-3ds", "/payments/orders/{order}/pay#click:需 3-D Secure 验证的卡"),
    ("ent1@demo.torch.cn", "pay-paid", "/payments/orders/{order}/pay#click:使用测试卡支付"),
    (None, "search-traditional", "/search?q=專利申請"), (None, "search-pinyin-filtered", "/search?q=zhuanli&category=ip&voucher=1"),
    (None, "search-typo", "/search?q=专丽"), (None, "search-zero", "/search?q=量子计算机"),
    (None, "search-natural", "/search?q=我们公司想申请高新技术企业需要找辅导机构"),
    ("admin@demo.torch.cn", "search-admin", "/admin/search/synonyms"),
    # {redemption}: a completed voucher order of ent1 claimed by its provider (see redemption_demo).
    ("{provider}", "redemption-index", "/redemption/"),
    ("{provider}", "redemption-detail", "/redemption/{redemption}"),
    ("admin@demo.torch.cn", "redemption-admin-queue", "/admin/redemptions"),
    ("admin@demo.torch.cn", "redemption-admin-request", "/admin/redemptions/{redemption}"),
    ("admin@demo.torch.cn", "redemption-admin-batches", "/admin/settlements"),
    ("admin@demo.torch.cn", "audit-log", "/admin/audit"),
    ("admin@demo.torch.cn", "funder-reports", "/admin/reports/funder?program=2"),
    ("admin@demo.torch.cn", "final-account", "/admin/programs/2#final-account"),
    ("admin@demo.torch.cn", "audit-ledger", "/admin/ledger"),
    ("admin@demo.torch.cn", "audit-transfer", "/admin/ledger/transfers/3"),
    ("admin@demo.torch.cn", "audit-account", "/admin/ledger/accounts/2"),
    ("admin@demo.torch.cn", "audit-integrity", "/admin/integrity#click:立即校验账本"),
    ("admin@demo.torch.cn", "audit-reconciliation", "/admin/reconciliation"),
    ("admin@demo.torch.cn", "audit-anomalies", "/admin/anomalies"),
    ("admin@demo.torch.cn", "audit-reports", "/admin/reports"),
]


def build_app(folder, stripe_api_base):
    app = create_app({"SECRET_KEY": "screens", "DATABASE_URL": f"sqlite:///{folder}/screens.sqlite3",
                      "RATELIMIT_STORAGE_URI": "memory://", "STRIPE_API_BASE": stripe_api_base,
                      "SEARCH_INDEX_DIR": f"{folder}/search-index",
                      "STRIPE_SECRET_KEY": "sk_test_screens", "STRIPE_WEBHOOK_SECRET": "whsec_screens"})
    with app.app_context():
        upgrade(directory="migrations")
        seed_demo()
        db.session.commit()
        from marketplace.search.indexer import rebuild

        rebuild(reason="seed demo")
    return app


def new_order(app, email):
    """A fresh order of this enterprise user for the first fixed-price listing it may buy."""
    import uuid

    from marketplace.auth.models import User
    from marketplace.catalog.models import Listing
    from marketplace.orders import services as orders

    with app.app_context():
        user = db.session.query(User).filter_by(email=email).one()
        for listing in db.session.query(Listing).filter(Listing.published_revision_id.is_not(None)).order_by(Listing.id):
            packages = listing.published_revision.packages
            if listing.provider_id == user.organisation_id or not packages:
                continue
            try:
                order = orders.place_order(user, orders.offer_for(listing.id, packages[0].id), uuid.uuid4().hex)
            except Exception:  # not orderable by this user (related party, …): try the next
                db.session.rollback()
                continue
            if order.cash_fen:
                db.session.commit()
                return order.number
            db.session.rollback()
        raise RuntimeError(f"no listing that {email} can order with a cash share")


def redemption_demo(app):
    """A voucher order of ent1, delivered and accepted, then claimed by its provider; returns
    (provider e-mail, request id)."""
    import uuid

    from marketplace.auth.models import User
    from marketplace.catalog import uploads
    from marketplace.catalog.models import Listing
    from marketplace.orders import services as orders
    from marketplace.orders.demo import pay
    from marketplace.redemption import services as redemption

    pdf = b"%PDF-1.4\n%demo\n"
    with app.app_context():
        buyer = db.session.query(User).filter_by(email="ent1@demo.torch.cn").one()
        for listing in db.session.query(Listing).filter(Listing.published_revision_id.is_not(None)).order_by(Listing.id):
            packages = listing.published_revision.packages
            if not packages:
                continue
            try:
                order = orders.place_order(buyer, orders.offer_for(listing.id, packages[0].id), uuid.uuid4().hex)
            except Exception:
                db.session.rollback()
                continue
            if not order.voucher_fen:
                db.session.rollback()
                continue
            seller = db.session.query(User).filter_by(organisation_id=order.provider_id).first()
            pay(order, buyer)  # through the payment gateway (localstripe), as a buyer would
            orders.accept(order, seller)
            report = uploads.store_document(seller.organisation, uploads.Upload("验收报告.pdf", pdf), "order")
            orders.deliver(order, seller, "报告见附件", report)
            orders.complete(order, buyer)
            claim = redemption.claim_for(order, order.program_id, order.id, date.today().year)
            request = redemption.submit(seller, order.program_id, [claim],
                                        [redemption.Evidence("contract", uploads.Upload("技术服务合同.pdf", pdf))])
            db.session.commit()
            return seller.email, str(request.id)
        raise RuntimeError("no listing that ent1 can order with a voucher share")


def shoot(page, base, out, email, name, path):
    if email:
        page.goto(f"{base}/auth/login")
        page.fill("#email", email)
        page.fill("#password", DEMO_PASSWORD)
        page.click("main button[type=submit]")  # not the header's search button
    page.goto(base + path.split("#")[0])
    if path.endswith("#submit"):
        page.click("main form button[type=submit]")
    elif "#click:" in path:
        page.get_by_role("button", name=path.split("#click:")[1]).click()
        page.wait_for_load_state()
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)


@contextmanager
def payment_emulator():
    """localstripe on a free loopback port for the pay pages."""
    from marketplace.payments import localstripe

    port = localstripe.free_port()
    process = localstripe.start(port)
    try:
        localstripe.wait_ready(f"http://127.0.0.1:{port}", process=process)
        yield f"http://127.0.0.1:{port}"
    finally:
        localstripe.stop(process)


def main(out_dir="screenshots", *only):
    """Shoot every page, or only those whose name starts with one of `only`."""
    out = Path(out_dir)
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright, payment_emulator() as stripe:
        app = build_app(folder, stripe)
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        demo = None
        with LiveServer(app) as server:
            for width_name, (width, height) in WIDTHS.items():
                (out / width_name).mkdir(parents=True, exist_ok=True)
                for email, name, path in PAGES:
                    if only and not name.startswith(only):
                        continue
                    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
                    if "{order}" in path:
                        path = path.replace("{order}", new_order(app, email))
                    if "{redemption}" in path or email == "{provider}":
                        demo = demo or redemption_demo(app)
                        email, path = email.replace("{provider}", demo[0]), path.replace("{redemption}", demo[1])
                    shoot(context.new_page(), server.url, out / width_name, email, name, path)
                    context.close()
        browser.close()
    print(f"screenshots written to {out}/")


if __name__ == "__main__":
    main(*sys.argv[1:])
