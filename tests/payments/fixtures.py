"""Payment fixtures (a pytest plugin, so browser tests get them too): localstripe for the whole
session on a free loopback port, reset before each test, the app pointed at it, webhooks
delivered to a live server, and orders awaiting payment."""
import itertools
import uuid

import pytest

from marketplace.catalog.models import Listing
from marketplace.extensions import db
from marketplace.orders.models import Order
from marketplace.payments import localstripe

STRIPE_SECRET_KEY = "sk_test_marketplace"
WEBHOOK_SECRET = "whsec_test_marketplace"
NOWHERE = "http://127.0.0.1:9"  # the discard port: nothing listens, connections are refused at once
_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def localstripe_server(tmp_path_factory):
    """The emulator's base URL. It keeps its data in memory only, so parallel runs never share it."""
    port = localstripe.free_port()
    with open(tmp_path_factory.mktemp("localstripe") / "localstripe.log", "wb") as log:
        process = localstripe.start(port, log=log)
        try:
            base = f"http://127.0.0.1:{port}"
            localstripe.wait_ready(base, process=process)
            yield base
        finally:
            localstripe.stop(process)


@pytest.fixture
def stripe_app(app, localstripe_server):
    """The app talking to a freshly emptied localstripe with test keys."""
    localstripe.reset(localstripe_server)
    localstripe.register_webhook(localstripe_server, f"{NOWHERE}/", WEBHOOK_SECRET)
    app.config.update(STRIPE_API_BASE=localstripe_server, STRIPE_SECRET_KEY=STRIPE_SECRET_KEY,
                      STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET)
    app.extensions.pop("payment_gateway", None)
    return app


@pytest.fixture
def stripe_webhooks(stripe_app, localstripe_server):
    """A live server for the app that localstripe delivers its signed webhooks to (≈1 s after
    each event). Returns the server (its `url`)."""
    from tests.browser.conftest import LiveServer

    with LiveServer(stripe_app) as server:
        localstripe.register_webhook(localstripe_server, f"{server.url}/payments/stripe/webhook", WEBHOOK_SECRET)
        try:
            yield server
        finally:
            localstripe.register_webhook(localstripe_server, f"{NOWHERE}/", WEBHOOK_SECRET)


@pytest.fixture
def make_order(make_user, make_org):
    """make_order(buyer=None, provider=None, cash_fen=12_345, voucher_fen=0, status="placed") →
    a committed order inserted directly (no checkout, no voucher hold)."""
    def make(buyer=None, provider=None, cash_fen=12_345, voucher_fen=0, status="placed"):
        buyer = buyer or make_user("enterprise")
        provider = provider or make_org(kind="provider")
        listing = Listing(provider_id=provider.id)
        db.session.add(listing)
        db.session.flush()
        order = Order(number=f"PT{next(_numbers):08d}", request_key=uuid.uuid4().hex,
                      enterprise_id=buyer.organisation_id, buyer_id=buyer.id, provider_id=provider.id,
                      listing_id=listing.id, category="ip", price_fen=cash_fen + voucher_fen,
                      voucher_fen=voucher_fen, cash_fen=cash_fen, status=status,
                      snapshot={"title": "发明专利申请代理", "package": "标准版", "provider": provider.legal_name})
        db.session.add(order)
        db.session.commit()
        return order
    return make


@pytest.fixture
def pay_order(stripe_app):
    """pay_order(order) → the order's balance paid through localstripe with the test card that
    succeeds, as the pay page does (committed)."""
    from marketplace.ledger import run_in_transaction
    from marketplace.payments import services as payments

    def pay(order):
        payment = run_in_transaction(db.session, lambda: payments.open_payment(order, order.buyer))
        run_in_transaction(db.session, lambda: payments.pay_with_test_method(payment, "success", order.buyer))
        db.session.refresh(order)
        return order
    return pay
