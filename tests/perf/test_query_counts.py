"""No page's query count grows with the data it lists: each page is fetched with N and with 3N rows
of what it lists (listings, providers, reviews, vouchers, orders, transfers, messages,
organisations, applications) and must send the same number of SQL statements both times."""
from collections import Counter

from tests.perf.queries import statements_of_request

N = 2


def pages(market):
    """{name: (who, URL)}; who is None (anonymous) or the user to log in as."""
    order = market.first_order.number
    buyer, seller, admin = market.buyer.email, market.seller.email, market.admin.email
    return {
        "home": (None, "/"),
        "category": (None, "/categories/testing"),
        "sub-category": (None, "/categories/testing-emc?sort=price_asc"),
        "listing": (None, f"/listings/{market.ids['listing']}"),
        "provider": (None, f"/providers/{market.seller.organisation_id}"),
        "search": (None, "/search?q=检测"),
        "api search": (None, "/api/v1/search?q=检测"),
        "wallet": (buyer, "/vouchers/"),
        "voucher statement": (buyer, f"/vouchers/{market.voucher_number()}"),
        "voucher applications": (buyer, "/vouchers/applications"),
        "enterprise orders": (buyer, "/orders/"),
        "order detail (buyer)": (buyer, f"/orders/{order}"),
        "order detail (provider)": (seller, f"/orders/{order}"),
        "provider orders": (seller, "/orders/"),
        "provider listings": (seller, "/my/listings"),
        "admin dashboard": (admin, "/admin/"),
        "ledger explorer": (admin, "/admin/ledger"),
        "ledger account": (admin, f"/admin/ledger/accounts/{market.voucher_account()}"),
        "admin organisations": (admin, "/admin/organisations"),
        "admin applications": (admin, "/admin/applications"),
        "admin programs": (admin, "/admin/programs"),
        "admin program": (admin, f"/admin/programs/{market.ids['program']}"),
        "admin listings": (admin, "/admin/catalog/listings"),
        "admin providers": (admin, "/admin/catalog/providers"),
        "admin audit log": (admin, "/admin/audit"),
        "admin outbox": (admin, "/admin/outbox"),
    }


def count_all(client, auth, market):
    counts = {}
    logged_in = None
    for name, (who, url) in pages(market).items():
        if who != logged_in:
            if logged_in is not None:
                auth.logout()
            if who is not None:
                auth.login(who)
            logged_in = who
        client.get(url)  # first render: templates compiled, per-process caches filled
        response, statements = statements_of_request(client, url)
        assert response.status_code == 200, (name, url, response.status_code)
        counts[name] = statements
    if logged_in is not None:
        auth.logout()
    return counts


def test_no_page_sends_more_statements_for_more_rows(client, auth, marketplace):
    marketplace.grow(N)
    small = count_all(client, auth, marketplace)
    marketplace.grow(2 * N)
    large = count_all(client, auth, marketplace)
    grown = {name: (len(small[name]), len(large[name]), most_repeated(large[name]))
             for name in small if len(large[name]) != len(small[name])}
    assert not grown, f"statements per request with {N} and {3 * N} rows, and the most repeated one: {grown}"


def most_repeated(statements):
    statement, times = Counter(statements).most_common(1)[0]
    return f"{times}x {' '.join(statement.split())[:300]}"


def test_cards_in_sub_categories_of_many_top_categories_read_those_together(client, seller, make_listing):
    """A card shows its top category: listings in sub-categories of 2 and then of 6 top categories
    send as many statements on the provider, home and search pages (each parent was loaded on its own)."""
    from marketplace.catalog.taxonomy import SUBCATEGORIES

    from marketplace.auth.models import User
    from marketplace.extensions import db

    slugs = [children[0][0] for children in SUBCATEGORIES.values()]
    seller_id, pages = seller.id, ["/", f"/providers/{seller.organisation_id}", "/search?q=检测"]

    def counts():
        found = {}
        for url in pages:
            client.get(url)
            response, statements = statements_of_request(client, url)
            assert response.status_code == 200, url
            found[url] = len(statements)
        return found

    from marketplace.search import indexer

    for slug in slugs[:2]:
        make_listing(db.session.get(User, seller_id), title=f"检测服务 {slug}", category_slug=slug)
    indexer.sync()
    small = counts()
    for slug in slugs[2:6]:
        make_listing(db.session.get(User, seller_id), title=f"检测服务 {slug}", category_slug=slug)
    indexer.sync()
    try:
        assert counts() == small
    finally:
        indexer.backend().forget()


def test_the_order_page_reads_what_it_shows_before_rendering(app, client, auth, marketplace):
    """The parties, voucher holds and timeline come with the order, not one lazy load each while
    the template renders (only the chrome's unread-notification count and the provider's admission,
    which decides the actions offered, are read there)."""
    from flask import before_render_template

    from marketplace.extensions import db
    from tests.perf.queries import counting_statements

    marketplace.grow(N)
    url = f"/orders/{marketplace.first_order.number}"
    for email in (marketplace.buyer.email, marketplace.seller.email):
        auth.login(email)
        client.get(url)
        db.session.remove()
        marks = []
        with counting_statements() as statements, before_render_template.connected_to(
                lambda sender, **extra: marks.append(len(statements)), app):
            assert client.get(url).status_code == 200
        while_rendering = [" ".join(statement.split())[:120] for statement in statements[marks[0]:]]
        assert [s for s in while_rendering if "FROM notifications" not in s and "FROM provider_profiles" not in s] \
            == [], while_rendering
        auth.logout()


def test_a_checkout_reads_in_five_statements_before_it_writes(marketplace):
    """Checkout's reads around the hold: the listing with its revision, category, provider and the
    provider's admission; its packages; the idempotency probe; affiliations; programs with the
    enterprise's vouchers and balances — five statements, whatever the buyer holds (the admission,
    the buyer's organisation and the balances were each read on their own)."""
    from marketplace import ledger
    from marketplace.auth.models import User
    from marketplace.auth.services import user_for_session
    from marketplace.extensions import db
    from marketplace.orders import services
    from tests.perf.queries import counting_statements

    from marketplace.catalog.models import Listing

    marketplace.grow(N)
    listing = marketplace.ids["listing"]
    session_id = db.session.get(User, marketplace.ids["buyer"]).get_id()
    package = db.session.get(Listing, listing).published_revision.packages[0].id
    db.session.commit()
    db.session.remove()
    with counting_statements() as statements:
        actor = user_for_session(session_id)  # what logging in loads: the user with its organisation
        order = ledger.run_in_transaction(db.session, lambda: services.place_order(
            actor, services.offer_for(listing, package), "count-checkout"))
    assert order.voucher_fen > 0 and order.holds
    shown = [" ".join(statement.split())[:100] for statement in statements]
    first_write = next(i for i, statement in enumerate(statements) if statement.lstrip().upper().startswith("INSERT"))
    reads = [s for s in shown[:first_write] if s.upper().startswith("SELECT")]
    assert len(reads) == 1 + 5, shown  # the user, then checkout's five
