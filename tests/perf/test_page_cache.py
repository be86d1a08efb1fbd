"""Anonymous pages come from the cache until what they show changes; logged-in users, other
languages and flashed messages never see someone else's copy; validators answer 304; static files
carry their content hash and a year of max-age."""
import socket
import time

import pytest

from marketplace import create_app
from marketplace.catalog import listings, moderation, providers
from marketplace.auth.models import User
from marketplace.extensions import cache, db
from tests.catalog.conftest import listing_data
from tests.conftest import config_for_tests
from tests.perf.queries import statements_of_request


def redis_available():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


REDIS = "redis://127.0.0.1:6379/7"


@pytest.fixture(params=["in-process", "redis"])
def cached_app(request, app):
    """The app with its page cache on: in each process (SimpleCache) or in Redis (db 7)."""
    app.config["PAGE_CACHE"] = True
    if request.param == "redis":
        if not redis_available():
            pytest.skip("no Redis on 127.0.0.1:6379")
        app.config.update(REDIS_URL=REDIS, CACHE_TYPE="RedisCache", CACHE_REDIS_URL=REDIS)
        cache.init_app(app)
    yield app
    if request.param == "redis":
        cache.clear()


def another_process(database_url, tmp_path, redis):
    """A second app on the same database and instance folder, as the worker or a second web process."""
    config = {**config_for_tests(database_url, tmp_path), "PAGE_CACHE": True}
    if redis:
        config["REDIS_URL"] = REDIS
    return create_app(config)


@pytest.fixture
def anonymous(cached_app):
    return cached_app.test_client()


@pytest.fixture
def shop(cached_app, make_provider, make_listing):
    seller = make_provider()
    listing = make_listing(seller, title="发明专利申请代理")
    return seller, listing


def admin_user():
    return db.session.query(User).filter_by(role="admin").first()


def edit_title(seller, listing_id, title):
    listings.update_listing(seller, listing_id, listing_data(title=title))
    listing = listings.submit_listing(seller, listing_id)
    moderation.approve_revision(admin_user(), listing.working_revision_id)
    db.session.commit()


def test_second_anonymous_request_sends_no_sql_and_an_edit_shows_on_the_next(anonymous, shop):
    seller, listing = shop
    urls = ("/", "/categories/ip", f"/listings/{listing.id}", f"/providers/{seller.organisation_id}")
    seller_id, listing_id = seller.id, listing.id
    for url in urls:
        anonymous.get(url)
        response, statements = statements_of_request(anonymous, url)
        assert response.status_code == 200 and "发明专利申请代理" in response.get_data(as_text=True)
        assert statements == [], url

    edit_title(db.session.get(User, seller_id), listing_id, "实用新型专利申请代理")

    for url in urls:
        page = anonymous.get(url).get_data(as_text=True)
        assert "实用新型专利申请代理" in page and "发明专利申请代理" not in page, url


def test_category_counts_are_computed_once_per_generation(cached_app, anonymous, shop, make_user, make_listing):
    seller_id = shop[0].id
    client = cached_app.test_client()
    client.post("/auth/login", data={"email": make_user("enterprise").email, "password": "test-pass-123"})
    client.get("/")
    _response, statements = statements_of_request(client, "/")
    assert not any("count(listings.id)" in statement for statement in statements)  # logged in: the figures still cached
    assert "1 项服务" in anonymous.get("/").get_data(as_text=True)
    make_listing(db.session.get(User, seller_id), title="商标注册代理")
    assert "2 项服务" in anonymous.get("/").get_data(as_text=True)
    assert "2 项服务" in client.get("/").get_data(as_text=True)


def test_provider_profile_and_unpublishing_show_at_once(anonymous, shop):
    seller, listing = shop
    assert "CNAS" in anonymous.get(f"/providers/{seller.organisation_id}").get_data(as_text=True)
    providers.save_profile(seller, providers.ProfileData(description="专注软件著作权登记十余年", city="泉州",
                                                         website="", category_slugs=("ip",)))
    db.session.commit()
    page = anonymous.get(f"/providers/{seller.organisation_id}").get_data(as_text=True)
    assert "专注软件著作权登记十余年" in page

    assert anonymous.get(f"/listings/{listing.id}").status_code == 200
    listings.unpublish_listing(seller, listing.id)
    db.session.commit()
    assert anonymous.get(f"/listings/{listing.id}").status_code == 404
    assert "发明专利申请代理" not in anonymous.get("/").get_data(as_text=True)


def test_a_write_in_another_process_invalidates_this_one(cached_app, anonymous, shop, database_url, tmp_path):
    """The worker or a second web process writes: this process's cache must not serve the old page
    (the generation lives in Redis or in a file both processes read)."""
    seller, listing = shop
    seller_id, listing_id = seller.id, listing.id
    assert "发明专利申请代理" in anonymous.get(f"/listings/{listing_id}").get_data(as_text=True)
    db.session.remove()  # SQLite: let the other process write
    other = another_process(database_url, tmp_path, redis=cached_app.config["CACHE_TYPE"] == "RedisCache")
    with other.app_context():
        edit_title(db.session.get(User, seller_id), listing_id, "商标注册代理")
        db.session.remove()
        db.engine.dispose()
    assert "商标注册代理" in anonymous.get(f"/listings/{listing_id}").get_data(as_text=True)


def test_logged_in_users_never_get_the_cached_copy(anonymous, auth, shop, cached_app, make_user):
    seller, listing = shop
    anonymous.get("/")
    anonymous.get("/")
    buyer = make_user("enterprise")
    client = cached_app.test_client()
    client.post("/auth/login", data={"email": buyer.email, "password": "test-pass-123"})
    response, statements = statements_of_request(client, "/")
    assert buyer.name in response.get_data(as_text=True) and statements
    assert "ETag" not in response.headers


def test_language_is_part_of_the_key(anonymous, shop):
    chinese = anonymous.get("/").get_data(as_text=True)
    anonymous.set_cookie("lang", "en")
    english = anonymous.get("/").get_data(as_text=True)
    assert 'lang="en"' in english and 'lang="zh-CN"' in chinese
    anonymous.delete_cookie("lang")
    assert 'lang="zh-CN"' in anonymous.get("/").get_data(as_text=True)


def test_browser_language_is_part_of_the_key_and_of_vary(anonymous, shop):
    chinese = anonymous.get("/")
    taiwan = anonymous.get("/", headers={"Accept-Language": "zh-TW,zh;q=0.9"})
    english = anonymous.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert 'lang="zh-CN"' in chinese.get_data(as_text=True)
    assert 'lang="zh-TW"' in taiwan.get_data(as_text=True) and 'lang="en"' in english.get_data(as_text=True)
    assert "Accept-Language" in english.headers["Vary"] and "Cookie" in english.headers["Vary"]
    # the cookie (an explicit choice) wins over the browser
    anonymous.set_cookie("lang", "zh_Hans_CN")
    assert 'lang="zh-CN"' in anonymous.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_a_page_with_a_flash_is_neither_served_from_nor_stored_in_the_cache(anonymous, shop):
    anonymous.get("/")
    with anonymous.session_transaction() as session:
        session["_flashes"] = [("success", "订单已提交")]
    assert "订单已提交" in anonymous.get("/").get_data(as_text=True)
    assert "订单已提交" not in anonymous.get("/").get_data(as_text=True)


def test_conditional_get_answers_304(anonymous, shop):
    first = anonymous.get("/categories/ip")
    assert first.headers["ETag"] and first.headers["Last-Modified"] and "no-cache" in first.headers["Cache-Control"]
    again = anonymous.get("/categories/ip", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    since = anonymous.get("/categories/ip", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    seller, listing = shop
    edit_title(seller, listing.id, "集成电路布图设计登记")
    changed = anonymous.get("/categories/ip", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and "集成电路布图设计登记" in changed.get_data(as_text=True)


def test_search_pages_follow_the_index(anonymous, shop):
    from marketplace.search.indexer import sync

    seller, listing = shop
    sync()
    assert "申请代理" in anonymous.get("/search?q=专利").get_data(as_text=True)
    assert anonymous.get("/api/v1/search?q=专利").get_json()["total"] == 1
    edit_title(seller, listing.id, "专利年费代缴")
    assert "申请代理" in anonymous.get("/search?q=专利").get_data(as_text=True)  # the index has not applied it yet
    apply_outbox(sync)
    page = anonymous.get("/search?q=专利").get_data(as_text=True)
    assert "年费代缴" in page and "申请代理" not in page
    assert anonymous.get("/api/v1/search?q=专利").get_json()["hits"][0]["title"] == "专利年费代缴"


def apply_outbox(sync, seconds=30):
    """What the worker does. On PostgreSQL a row is applied once no older transaction is open on
    the server (outbox_log), and other test runs share the server: wait for it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.remove()  # the worker is another process: not inside the last request's transaction
        if sync():
            return
        time.sleep(0.2)
    raise AssertionError("the outbox row was never applied")


def test_static_files_have_hashed_urls_cached_for_a_year(anonymous):
    page = anonymous.get("/").get_data(as_text=True)
    import re

    url = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{12})"', page).group(1)
    response = anonymous.get(url)
    assert response.status_code == 200
    assert {"public", "immutable", "max-age=31536000"} <= {part.strip() for part in
                                                           response.headers["Cache-Control"].split(",")}
    response.close()
    stale = anonymous.get("/static/css/app.css?v=000000000000")
    assert "immutable" not in stale.headers.get("Cache-Control", "")
    stale.close()


def test_pages_and_writes_work_when_redis_is_away(app, make_provider, make_listing, monkeypatch):
    """A cache outage costs speed, never a page or a committed write."""
    app.config.update(PAGE_CACHE=True, REDIS_URL="redis://127.0.0.1:9/7", CACHE_TYPE="RedisCache",
                      CACHE_REDIS_URL="redis://127.0.0.1:9/7")
    cache.init_app(app)
    monkeypatch.setattr(app.logger, "disabled", True)  # the logger outlives the app: restored after the test
    seller = make_provider()
    listing = make_listing(seller, title="商标注册代理")  # commits, so bumps: must not raise
    client = app.test_client()
    assert "商标注册代理" in client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert client.get("/").status_code == 200


def test_a_review_and_its_reply_show_at_once(anonymous, shop, make_order, make_user):
    from marketplace.orders import thread
    from marketplace.orders.models import Review

    seller, listing = shop
    buyer = make_user("enterprise")
    order = make_order(buyer=buyer, provider=seller.organisation, status="completed")
    order.listing_id = listing.id
    db.session.commit()
    assert "出报告很快" not in anonymous.get(f"/listings/{listing.id}").get_data(as_text=True)
    db.session.add(Review(order_id=order.id, listing_id=listing.id, provider_id=seller.organisation_id,
                          author_id=buyer.id, rating=5, body="出报告很快"))
    db.session.commit()
    assert "出报告很快" in anonymous.get(f"/listings/{listing.id}").get_data(as_text=True)
    thread.reply(order, seller, "感谢您的信任")
    db.session.commit()
    assert "感谢您的信任" in anonymous.get(f"/listings/{listing.id}").get_data(as_text=True)


def test_an_order_completing_shows_on_the_cards_at_once(anonymous, shop, make_order, make_user):
    seller, listing = shop
    order = make_order(buyer=make_user("enterprise"), provider=seller.organisation, status="delivered")
    order.listing_id = listing.id
    db.session.commit()
    assert "已成交" not in anonymous.get("/").get_data(as_text=True)
    order.status = "completed"  # what the enterprise's acceptance (orders.lifecycle.transition) writes
    db.session.commit()
    assert "已成交 1 单" in anonymous.get("/").get_data(as_text=True)
    order.status = "refunded"
    db.session.commit()
    assert "已成交" not in anonymous.get("/").get_data(as_text=True)


def test_a_cookieless_hit_is_answered_before_flask_with_what_flask_would_add(cached_app, anonymous, shop):
    """A visitor without a session cookie gets a hit without Flask dispatching the request (its
    dozen request hooks cost ten times the lookup), with the same headers and body as a hit
    through Flask: security headers, validators, Vary, a request id of its own."""
    from flask import request_started

    seller, listing = shop
    url = f"/listings/{listing.id}"
    dispatched = []
    request_started.connect(lambda sender, **extra: dispatched.append(1), cached_app, weak=False)
    first = anonymous.get(url)
    assert len(dispatched) == 1 and first.status_code == 200
    hit = anonymous.get(url, headers={"X-Request-ID": "proxy-7"})
    assert len(dispatched) == 1  # not dispatched: answered from the cache
    through_flask = cached_app.test_client()
    through_flask.set_cookie("session", "not-a-signed-session")  # a cookie Flask must read: it dispatches
    flask_hit = through_flask.get(url)
    assert len(dispatched) == 2
    assert hit.get_data() == flask_hit.get_data() == first.get_data()
    assert sorted(hit.headers.keys()) == sorted(flask_hit.headers.keys())
    assert hit.headers["Content-Security-Policy"] == flask_hit.headers["Content-Security-Policy"]
    assert hit.headers["X-Request-ID"] == "proxy-7" and flask_hit.headers["X-Request-ID"] != "proxy-7"
    assert int(hit.headers["Content-Length"]) == len(hit.get_data())
    head = anonymous.head(url)
    assert head.status_code == 200 and head.get_data() == b"" and head.headers["Content-Length"] == hit.headers["Content-Length"]
    not_modified = anonymous.get(url, headers={"If-None-Match": hit.headers["ETag"]})
    assert not_modified.status_code == 304 and "X-Frame-Options" in not_modified.headers
    assert len(dispatched) == 2


def test_the_search_api_limit_counts_cached_answers_too(database_url, tmp_path, shop):
    """The rate limiter counts every request to the search API: its cached answers go through Flask."""
    app = create_app({**config_for_tests(database_url, tmp_path), "PAGE_CACHE": True,
                      "SEARCH_API_RATE_LIMIT": "3 per minute"})
    with app.app_context():
        client = app.test_client()
        statuses = [client.get("/api/v1/search?q=专利").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
