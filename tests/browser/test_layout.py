"""The main journeys' pages at phone (390 px) and desktop (1366 px) width, in Chromium over the
demo data: no page scrolls sideways, and axe-core finds no serious or critical violation.
Screenshots land in screenshots/layout/<width>/ for looking at."""
import re
import uuid
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask_migrate import upgrade

from marketplace import create_app
from marketplace.extensions import db
from marketplace.seed import DEMO_PASSWORD, seed_demo
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

WIDTHS = {"phone": (390, 844), "desktop": (1366, 900)}
SHOTS = Path(__file__).parent.parent.parent / "screenshots" / "layout"  # git ignores it; test-results/ is wiped per run
# (login e-mail or None, page, path); {order}: an order of ent1 awaiting payment, of {listing}/{package}
PAGES = [
    (None, "home", "/"), (None, "category", "/categories/testing"), (None, "listing", "/listings/1"),
    (None, "provider", "/providers/6"), (None, "search", "/search?q=专利"), (None, "login", "/auth/login"),
    (None, "register", "/auth/register"), (None, "help", "/help"), (None, "privacy", "/privacy"),
    ("ent1@demo.torch.cn", "enterprise-workspace", "/auth/account"),
    ("ent1@demo.torch.cn", "wallet", "/vouchers/"), ("ent1@demo.torch.cn", "programs", "/vouchers/programs"),
    ("ent1@demo.torch.cn", "orders", "/orders/"), ("ent1@demo.torch.cn", "order", "/orders/{order}"),
    ("ent1@demo.torch.cn", "checkout", "/orders/new?listing={listing}&package={package}"),
    ("ent1@demo.torch.cn", "notifications", "/notifications/"),
    ("lab@demo.torch.cn", "provider-workspace", "/auth/account"), ("lab@demo.torch.cn", "my-listings", "/my/listings"),
    ("lab@demo.torch.cn", "profile", "/my/profile"), ("lab@demo.torch.cn", "redemption", "/redemption/"),
    ("admin@demo.torch.cn", "admin-dashboard", "/admin/"), ("admin@demo.torch.cn", "admin-queue", "/admin/organisations"),
    ("admin@demo.torch.cn", "admin-applications", "/admin/applications?status=all"),
    ("admin@demo.torch.cn", "admin-programs", "/admin/programs"), ("admin@demo.torch.cn", "admin-ledger", "/admin/ledger"),
    ("admin@demo.torch.cn", "admin-integrity", "/admin/integrity"),
    ("admin@demo.torch.cn", "admin-redemptions", "/admin/redemptions"),
]
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
# What a Chinese page must not show: raw codes (order_update, pending_review) and untranslated
# English phrases of three words or more (a msgid that missed the catalogue).
RAW_CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
ENGLISH_PHRASE = re.compile(r"\b[A-Za-z][a-z]+(?: [a-z]+){2,}\b")


# The page's own words: without what users wrote (listing cards and titles, which may be English)
# and without commands and codes set as code.
INTERFACE_TEXT = """() => {
  const copy = document.body.cloneNode(true);
  copy.querySelectorAll('code, pre, .mono, .listing-card, .listing-title, .listing-summary, .user-content')
      .forEach(el => el.remove());
  document.body.after(copy); const text = copy.innerText; copy.remove(); return text;
}"""


def untranslated(text):
    return sorted(set(RAW_CODE.findall(text)) | set(ENGLISH_PHRASE.findall(text)))


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("layout")
    app = create_app({"SECRET_KEY": "layout", "DATABASE_URL": f"sqlite:///{folder}/demo.sqlite3",
                      "RATELIMIT_STORAGE_URI": "memory://", "SEARCH_INDEX_DIR": f"{folder}/index",
                      "UPLOAD_DIR": f"{folder}/uploads", "STRIPE_API_BASE": "http://127.0.0.1:9"})
    with app.app_context():
        upgrade(directory="migrations")
        seed_demo()
        db.session.commit()
        from marketplace.search.indexer import rebuild

        rebuild(reason="layout test")
        ordered = unpaid_order("ent1@demo.torch.cn")
        from marketplace.audit.integrity import run_verify

        db.session.commit()  # on SQLite the verifier needs the write lock this session may hold
        run_verify()  # the dashboard then shows the ledger head's hash, which must wrap on a phone
        db.session.commit()
        db.engine.dispose()
    with LiveServer(app) as server:
        yield server.url, ordered
    close_search_index(app)


def close_search_index(app):
    """Searchers this module's app left open are closed now, not at some later test's GC."""
    import gc
    import warnings

    from marketplace.search import indexer

    with app.app_context(), warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        indexer.backend().forget()
        gc.collect()


def unpaid_order(email):
    from marketplace.auth.models import User
    from marketplace.catalog.models import Listing
    from marketplace.orders import services as orders

    user = db.session.query(User).filter_by(email=email).one()
    for listing in db.session.query(Listing).filter(Listing.published_revision_id.is_not(None)).order_by(Listing.id):
        packages = listing.published_revision.packages
        if listing.provider_id == user.organisation_id or not packages:
            continue
        order = orders.place_order(user, orders.offer_for(listing.id, packages[0].id), uuid.uuid4().hex)
        db.session.commit()
        return {"order": order.number, "listing": listing.id, "package": packages[0].id}
    raise RuntimeError("no listing to order")


def log_in(page, base, email):
    page.goto(f"{base}/auth/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def serious(results):
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("width", list(WIDTHS))
def test_pages_fit_the_width_and_pass_axe(browser, demo_server, width):
    base, ordered = demo_server
    out = SHOTS / width
    out.mkdir(parents=True, exist_ok=True)
    axe, overflowing, violations, leftovers, contexts = Axe(), {}, {}, {}, {}
    w, h = WIDTHS[width]
    for email, name, path in PAGES:
        if email not in contexts:
            contexts[email] = browser.new_context(viewport={"width": w, "height": h}, locale="zh-CN",
                                                  timezone_id="Asia/Shanghai")
            if email:
                log_in(contexts[email].new_page(), base, email)
        page = contexts[email].pages[0] if contexts[email].pages else contexts[email].new_page()
        response = page.goto(base + path.format(**ordered))
        assert response.ok, (name, response.status)
        excess = page.evaluate(OVERFLOW)
        if excess > 0:
            overflowing[name] = excess
        raw = untranslated(page.evaluate(INTERFACE_TEXT))
        if raw:
            leftovers[name] = raw
        page.screenshot(path=str(out / f"{name}.png"), full_page=True)
        found = serious(axe.run(page))
        if found:
            violations[name] = found
    for context in contexts.values():
        context.close()
    report = "\n".join([f"{name}: {px} px wider than the window" for name, px in overflowing.items()] +
                       [f"{name}: {found}" for name, found in violations.items()] +
                       [f"{name} shows codes or English: {raw}" for name, raw in leftovers.items()])
    assert not (overflowing or violations or leftovers), report
