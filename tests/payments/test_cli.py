"""`flask payments register-webhook` and `flask payments reconcile`."""
import time

import stripe

from marketplace.extensions import db
from marketplace.payments import localstripe, services
from tests.payments.fixtures import WEBHOOK_SECRET


def test_register_webhook_makes_localstripe_deliver_signed_events(runner, localstripe_server, make_order):
    received = []

    class Sink:  # a one-route WSGI app standing in for our server
        def __call__(self, environ, start_response):
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            received.append(stripe.Webhook.construct_event(body, environ["HTTP_STRIPE_SIGNATURE"], WEBHOOK_SECRET))
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]

    from tests.browser.conftest import LiveServer

    with LiveServer(Sink()) as sink:
        result = runner.invoke(args=["payments", "register-webhook", f"{sink.url}/hook"])
        assert result.exit_code == 0, result.output
        assert f"delivers webhooks to {sink.url}/hook" in result.output
        order = make_order()
        payment = services.start_payment(order, order.buyer)
        db.session.commit()
        services.pay_with_test_method(payment, "success", order.buyer)
        db.session.commit()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not ours(received, payment):
            time.sleep(0.1)
    localstripe.register_webhook(localstripe_server, "http://127.0.0.1:9/", WEBHOOK_SECRET)
    # (events of earlier tests' payments may still be on their way to whoever is registered)
    assert len(ours(received, payment)) == 1


def ours(events, payment):
    return [e for e in events if e.type == "payment_intent.succeeded" and e.data.object.id == payment.intent_id]


def test_register_webhook_needs_the_emulator(app, runner):
    app.config["STRIPE_API_BASE"] = ""
    result = runner.invoke(args=["payments", "register-webhook", "http://127.0.0.1:5000/payments/stripe/webhook"])
    assert result.exit_code == 1 and "STRIPE_API_BASE is not set" in result.output
    app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"
    result = runner.invoke(args=["payments", "register-webhook", "--wait", "0.3", "http://x/"])
    assert result.exit_code == 1 and "did not answer" in result.output


def test_reconcile_reports_the_cash_figures(runner, make_order):
    order = make_order(cash_fen=50_000)
    payment = services.start_payment(order, order.buyer)
    db.session.commit()
    services.pay_with_test_method(payment, "success", order.buyer)
    services.refund_payment(payment, 20_000, None, "partial")
    db.session.commit()
    result = runner.invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0, result.output
    lines = dict(line.rsplit(None, 1) for line in result.output.splitlines() if "¥" in line)
    assert lines["payments received"] == "¥500.00" and lines["refunds"] == "¥200.00"
    assert lines["provider payables"] == "¥300.00" and lines["stripe clearing"] == "¥300.00"
    assert "balanced" in result.output


def test_ledger_verify_passes_after_payments_and_refunds(runner, make_order):
    for method in ("success", "decline"):
        order = make_order()
        payment = services.start_payment(order, order.buyer)
        db.session.commit()
        services.pay_with_test_method(payment, method, order.buyer)
        db.session.commit()
        services.refund_order(order, None, "cancelled")
        db.session.commit()
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output


def test_emulator_state_file(tmp_path):
    port, state = localstripe.free_port(), tmp_path / "state.pickle"
    for round_ in range(2):
        process = localstripe.start(port, state=str(state))
        try:
            base = f"http://127.0.0.1:{port}"
            localstripe.wait_ready(base, process=process)
            client = stripe.StripeClient("sk_test_x", base_addresses={"api": base},
                                         http_client=stripe.UrllibClient())
            if round_ == 0:
                intent = client.v1.payment_intents.create(params={"amount": 100, "currency": "cny"})
            else:  # a restarted emulator still knows what it had
                assert client.v1.payment_intents.retrieve(intent.id).amount == 100
        finally:
            localstripe.stop(process)
    assert state.exists()
