"""POST /payments/stripe/webhook: signatures, once-only events, re-fetching instead of trusting."""
import json
import threading
import time
import urllib.request

import stripe
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.ledger import Transfer
from marketplace.payments import services
from marketplace.payments.gateway import get_gateway
from marketplace.payments.models import Payment, StripeEvent
from tests.payments.fixtures import WEBHOOK_SECRET

URL = "/payments/stripe/webhook"
_events = iter(range(1, 10**6))


def event_body(intent_id, kind="payment_intent.succeeded", event_id=None, status="succeeded"):
    return json.dumps({"id": event_id or f"evt_test{next(_events)}", "object": "event", "type": kind,
                       "created": int(time.time()),
                       "data": {"object": {"id": intent_id, "object": "payment_intent", "status": status}}})


def signed(body, secret=WEBHOOK_SECRET, timestamp=None):
    return {"Stripe-Signature": stripe.WebhookSignature.generate_signature_header(body, secret, timestamp),
            "Content-Type": "application/json"}


def post(client, body, headers):
    return client.post(URL, data=body, headers=headers)


def confirmed_at_stripe(order, method="success"):
    """An attempt the buyer confirmed in the browser (production): Stripe knows, we do not yet."""
    payment = services.start_payment(order, order.buyer)
    db.session.commit()
    get_gateway().set_payment_method_and_confirm(payment.intent_id, method)
    return payment


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_signed_success_event_fulfils_the_payment(client, make_order):
    order = make_order()
    payment = confirmed_at_stripe(order)
    body = event_body(payment.intent_id)
    response = post(client, body, signed(body))
    assert response.status_code == 200 and response.json == {"received": True, "duplicate": False}
    db.session.refresh(payment)
    db.session.refresh(order)
    assert payment.status == "succeeded" and order.status == "paid"
    event = db.session.scalar(select(StripeEvent))
    assert (event.type, event.object_id, event.processed_at is not None) == ("payment_intent.succeeded", payment.intent_id, True)


def test_duplicate_event_is_acknowledged_and_ignored(client, make_order):
    order = make_order()
    payment = confirmed_at_stripe(order)
    body = event_body(payment.intent_id, event_id="evt_twice")
    assert post(client, body, signed(body)).json["duplicate"] is False
    assert post(client, body, signed(body)).json == {"received": True, "duplicate": True}
    assert count(StripeEvent) == 1
    assert count(Transfer, Transfer.ledger == "cash") == 1


def test_bad_signatures_are_refused_and_change_nothing(client, make_order):
    order = make_order()
    payment = confirmed_at_stripe(order)
    body = event_body(payment.intent_id)
    tampered = body.replace('"succeeded"', '"succeeded" ', 1)
    for headers in ({"Content-Type": "application/json"},  # unsigned
                    signed(body, secret="whsec_wrong"),
                    signed(body, timestamp=int(time.time()) - 3600),  # stale: replayed an hour later
                    {"Stripe-Signature": "t=1,v1=nonsense"}):
        assert post(client, body, headers).status_code == 400
    assert post(client, tampered, signed(body)).status_code == 400
    assert post(client, "not json", signed("not json")).status_code == 400
    assert count(StripeEvent) == 0
    db.session.refresh(payment)
    assert payment.status == "requires_payment_method" and order.status == "placed"


def test_webhook_needs_no_csrf_token(client, app, make_order):
    app.config["WTF_CSRF_ENABLED"] = True
    body = event_body("pi_not_ours", kind="customer.created")
    assert client.post(URL, data=body, headers=signed(body)).status_code == 200


def test_events_are_not_trusted_the_intent_is_fetched_again(client, make_order):
    order = make_order()
    payment = services.start_payment(order, order.buyer)
    db.session.commit()
    body = event_body(payment.intent_id)  # claims success, but nobody paid
    assert post(client, body, signed(body)).status_code == 200
    db.session.refresh(payment)
    assert payment.status == "requires_payment_method" and order.status == "placed"


def test_out_of_order_events_end_in_stripes_state(client, make_order):
    order = make_order()
    payment = confirmed_at_stripe(order)
    succeeded = event_body(payment.intent_id)
    failed_earlier = event_body(payment.intent_id, "payment_intent.payment_failed", status="requires_payment_method")
    for body in (succeeded, failed_earlier):  # the older failure arrives last
        assert post(client, body, signed(body)).status_code == 200
    db.session.refresh(payment)
    assert payment.status == "succeeded" and order.status == "paid"


def test_failure_event_marks_the_attempt_failed(client, make_order):
    order = make_order()
    payment = confirmed_at_stripe(order, "decline")
    body = event_body(payment.intent_id, "payment_intent.payment_failed", status="requires_payment_method")
    assert post(client, body, signed(body)).status_code == 200
    db.session.refresh(payment)
    assert payment.status == "failed" and order.status == "placed"


def test_other_event_types_are_acknowledged(client):
    body = event_body("cus_123", kind="customer.created")
    assert post(client, body, signed(body)).json == {"received": True, "duplicate": False}


def test_gateway_down_while_handling_asks_stripe_to_deliver_again(client, app, make_order):
    order = make_order()
    payment = confirmed_at_stripe(order)
    app.config.update(STRIPE_API_BASE="http://127.0.0.1:9", STRIPE_MAX_NETWORK_RETRIES=0)
    app.extensions.pop("payment_gateway", None)
    body = event_body(payment.intent_id)
    assert post(client, body, signed(body)).status_code == 503
    assert count(StripeEvent) == 0  # not recorded: the redelivery is processed


def wait_for(condition, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        met = condition()
        db.session.rollback()  # end the read: SQLite's lock is freed and the server's writes are seen
        if met:
            return True
        time.sleep(0.1)
    return False


def test_real_webhook_before_the_return_page(stripe_webhooks, client, auth, make_order):
    order = make_order()
    payment = confirmed_at_stripe(order)
    db.session.commit()
    assert wait_for(lambda: count(StripeEvent, StripeEvent.type == "payment_intent.succeeded",
                                  StripeEvent.object_id == payment.intent_id) == 1)
    auth.login(order.buyer)
    response = client.get(f"/payments/orders/{order.number}/return?payment_intent={payment.intent_id}")
    assert response.status_code == 302 and response.location.endswith(f"/orders/{order.number}")
    db.session.rollback()
    assert db.session.get(Payment, payment.id).status == "succeeded"
    assert count(Transfer, Transfer.ledger == "cash", Transfer.order_id == order.id) == 1


def test_return_page_before_the_real_webhook(stripe_webhooks, client, auth, make_order):
    order = make_order()
    payment = confirmed_at_stripe(order)
    auth.login(order.buyer)
    response = client.get(f"/payments/orders/{order.number}/return?payment_intent={payment.intent_id}")
    db.session.commit()
    assert response.status_code == 302
    mine = (StripeEvent.object_id == payment.intent_id, StripeEvent.type == "payment_intent.succeeded")
    assert count(StripeEvent, *mine) == 0  # localstripe delivers about a second later
    assert wait_for(lambda: count(StripeEvent, StripeEvent.processed_at.is_not(None), *mine) == 1)
    assert db.session.get(Payment, payment.id).status == "succeeded"
    assert count(Transfer, Transfer.ledger == "cash", Transfer.order_id == order.id) == 1
    assert services.cash_reconciliation().balanced


def test_concurrent_duplicate_deliveries_are_handled_once(stripe_webhooks, make_order):
    order = make_order()
    payment = confirmed_at_stripe(order)
    body = event_body(payment.intent_id, event_id="evt_concurrent")
    db.session.commit()
    statuses = []

    def deliver():
        request = urllib.request.Request(stripe_webhooks.url + URL, data=body.encode(), headers=signed(body))
        with urllib.request.urlopen(request, timeout=30) as response:
            statuses.append((response.status, json.loads(response.read())["duplicate"]))

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [(200, False)] + [(200, True)] * 3
    db.session.rollback()
    assert count(StripeEvent, StripeEvent.event_id == "evt_concurrent") == 1
    assert count(Transfer, Transfer.ledger == "cash", Transfer.order_id == order.id) == 1
