"""Payment services against real localstripe: attempts, fulfilment, declines, 3-D Secure, refunds."""
import threading

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.ledger import Transfer, balance, verify
from marketplace.orders.models import OrderEvent
from marketplace.payments import services
from marketplace.payments.gateway import PaymentGatewayUnavailable, get_gateway
from marketplace.payments.models import Payment, Refund


def paid(order, method="success"):
    buyer = order.buyer
    payment = services.start_payment(order, buyer)
    db.session.commit()
    payment = services.pay_with_test_method(payment, method, buyer)
    db.session.commit()
    return payment


def ledger_intact():
    db.session.commit()  # SQLite: release the write lock the session holds before verify reads
    return verify(db.engine).ok


def cash_transfers(order, kind=None):
    query = select(func.count()).select_from(Transfer).where(Transfer.order_id == order.id, Transfer.ledger == "cash")
    if kind:
        query = query.where(Transfer.kind == kind)
    return db.session.scalar(query)


def test_start_payment_creates_an_attempt_with_a_cny_intent(make_order):
    order = make_order(cash_fen=680_000)
    payment = services.start_payment(order, order.buyer)
    db.session.commit()
    assert (payment.attempt, payment.amount_fen, payment.status) == (1, 680_000, "requires_payment_method")
    intent = get_gateway().retrieve_intent(payment.intent_id)
    assert (intent.amount, intent.currency) == (680_000, "cny")
    assert intent.metadata == {"order_number": order.number, "payment_id": str(payment.id)}
    assert payment.client_secret == intent.client_secret


def test_open_payment_reuses_the_open_attempt(make_order):
    order = make_order()
    first = services.open_payment(order, order.buyer)
    again = services.open_payment(order, order.buyer)
    assert first.id == again.id


def test_successful_card_pays_the_order_and_posts_the_cash_ledger_once(make_order):
    order = make_order(cash_fen=50_000)
    payment = paid(order)
    assert payment.status == "succeeded" and payment.succeeded_at is not None
    assert order.status == "paid"
    for _ in range(3):
        services.fulfil(payment)
        services.fulfil(payment.intent_id)
        db.session.commit()
    assert cash_transfers(order, "payment") == 1
    assert balance(db.session, f"cash:payable:{order.provider_id}").posted == 50_000
    assert balance(db.session, "cash:stripe_clearing").posted == 50_000
    assert db.session.scalar(select(func.count()).select_from(OrderEvent).where(
        OrderEvent.order_id == order.id, OrderEvent.to_status == "paid")) == 1
    assert services.cash_reconciliation().balanced
    assert ledger_intact()


def test_decline_fails_the_attempt_and_a_retry_is_a_new_attempt_that_succeeds(make_order):
    order = make_order()
    failed = paid(order, "decline")
    assert failed.status == "failed" and "declined" in failed.last_error
    assert order.status == "placed"
    assert cash_transfers(order) == 0
    retry = services.open_payment(order, order.buyer)
    assert retry.attempt == 2 and retry.id != failed.id
    db.session.commit()
    retry = services.pay_with_test_method(retry, "success", order.buyer)
    db.session.commit()
    assert retry.status == "succeeded" and order.status == "paid"
    assert services.cash_reconciliation().balanced


def test_decline_is_notified_to_the_buyer_once(make_order):
    from marketplace.notifications.models import Notification

    order = make_order()
    payment = paid(order, "decline")
    services.fulfil(payment)  # the payment_failed webhook re-fetches the same failure
    db.session.commit()
    notes = db.session.scalars(select(Notification).where(Notification.user_id == order.buyer_id)).all()
    assert len([n for n in notes if order.number in n.subject]) == 1


@pytest.mark.parametrize("success, status, order_status", [(True, "succeeded", "paid"), (False, "failed", "placed")])
def test_three_d_secure(make_order, success, status, order_status):
    order = make_order()
    payment = paid(order, "3ds")
    assert payment.status == "requires_action"
    assert order.status == "placed"
    payment = services.authenticate_3ds(payment, success, order.buyer)
    db.session.commit()
    assert payment.status == status and order.status == order_status
    if not success:
        assert "authentication" in payment.last_error
        with pytest.raises(services.NotAwaitingAuthentication):
            services.authenticate_3ds(payment, True, order.buyer)


def test_refund_order_refunds_once_and_posts_the_reverse_transfer(make_order):
    order = make_order(cash_fen=30_000)
    payment = paid(order)
    refunds = services.refund_order(order, order.buyer, "cancelled")
    db.session.commit()
    assert [(r.amount_fen, r.status, r.stripe_refund_id) for r in refunds] == [(30_000, "pending", None)]
    assert services.dispatch_refund(refunds[0].id) == "sent"  # Stripe is asked after the commit
    assert services.dispatch_refund(refunds[0].id) is None  # once
    db.session.refresh(refunds[0])
    assert refunds[0].stripe_refund_id.startswith("re_")
    assert payment.refunded_fen == 30_000 and (order.cash_paid_fen, order.cash_refunded_fen) == (30_000, 30_000)
    assert services.refund_order(order, order.buyer, "again") == []
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 1
    assert cash_transfers(order, "refund") == 1
    assert balance(db.session, f"cash:payable:{order.provider_id}").posted == 0
    figures = services.cash_reconciliation()
    assert (figures.payments, figures.refunds, figures.net, figures.balanced) == (30_000, 30_000, 0, True)
    assert ledger_intact()


def test_over_refund_is_refused_before_stripe_is_called(make_order):
    order = make_order(cash_fen=30_000)
    payment = paid(order)
    services.refund_payment(payment, 20_000, order.buyer, "part")
    db.session.commit()
    with pytest.raises(services.OverRefund):
        services.refund_payment(payment, 10_001, order.buyer, "too much")
    db.session.rollback()
    assert db.session.get(Payment, payment.id).refunded_fen == 20_000
    [rest] = services.refund_order(order, None, "rest")
    db.session.commit()
    assert rest.amount_fen == 10_000
    assert services.cash_reconciliation().balanced


def test_refund_is_refused_for_an_unpaid_attempt(make_order):
    order = make_order()
    payment = services.start_payment(order, order.buyer)
    with pytest.raises(services.NotRefundable):
        services.refund_payment(payment, 100, None, "no")
    assert services.refund_order(order, None, "nothing paid") == []


@pytest.mark.parametrize("status, error", [("paid", services.AlreadyPaid), ("cancelled", services.NotPayable)])
def test_start_payment_refuses_orders_not_awaiting_payment(make_order, status, error):
    order = make_order(status=status)
    with pytest.raises(error):
        services.start_payment(order, order.buyer)


def test_start_payment_refuses_a_paid_order_and_strangers(make_order, make_user):
    order = make_order()
    paid(order)
    with pytest.raises(services.AlreadyPaid):
        services.start_payment(order, order.buyer)
    with pytest.raises(services.NotFound):
        services.start_payment(make_order(), make_user("enterprise"))


def test_zero_cash_share_has_nothing_to_pay(make_order):
    order = make_order(cash_fen=0, voucher_fen=50_000)
    with pytest.raises(services.NothingToPay):
        services.start_payment(order, order.buyer)


def test_gateway_down_during_start_payment_writes_nothing(app, make_order):
    order = make_order()
    app.config.update(STRIPE_API_BASE="http://127.0.0.1:9", STRIPE_MAX_NETWORK_RETRIES=0)
    app.extensions.pop("payment_gateway", None)
    with pytest.raises(PaymentGatewayUnavailable) as raised:
        services.start_payment(order, order.buyer)
    db.session.rollback()
    assert "temporarily unavailable" in str(raised.value)
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_gateway_down_keeps_the_refund_pending_until_stripe_answers(app, make_order, localstripe_server):
    """No gateway call happens inside the refund's transaction: the decision commits, and the
    worker asks Stripe afterwards, again and again while Stripe is down, once when it answers."""
    from marketplace.worker import run_job

    order = make_order()
    payment = paid(order)
    refund, = services.refund_order(order, None, "cancelled")
    db.session.commit()
    app.config.update(STRIPE_API_BASE="http://127.0.0.1:9", STRIPE_MAX_NETWORK_RETRIES=0)
    app.extensions.pop("payment_gateway", None)
    assert run_job("refunds").failed == 1
    db.session.refresh(refund)
    assert refund.status == "pending" and db.session.get(Payment, payment.id).refunded_fen == payment.amount_fen
    assert cash_transfers(order, "refund") == 1
    from marketplace.jobs.services import open_failures

    assert [(f.job, f.item) for f in open_failures()] == [("refunds", f"refund:{refund.id}")]
    app.config["STRIPE_API_BASE"] = localstripe_server
    app.extensions.pop("payment_gateway", None)
    assert run_job("refunds").results == {"sent": 1}
    assert open_failures() == [] and run_job("refunds").done == 0


def test_payment_arriving_after_the_order_was_cancelled_is_refunded(make_order):
    order = make_order()
    payment = services.start_payment(order, order.buyer)
    db.session.commit()
    # The buyer pays in one tab while the order expires: confirm at Stripe, then cancel here.
    intent = get_gateway().set_payment_method_and_confirm(payment.intent_id, "success")
    assert intent.status == "succeeded"
    order.status = "cancelled"
    db.session.commit()
    services.fulfil(payment.intent_id)
    db.session.commit()
    assert payment.status == "succeeded" and payment.refunded_fen == payment.amount_fen
    assert order.status == "cancelled"
    assert services.cash_reconciliation().balanced


def test_a_second_successful_payment_for_a_paid_order_is_refunded(make_order):
    order = make_order()
    first = services.start_payment(order, order.buyer)
    db.session.commit()
    # Production confirms in the browser: two tabs may each complete an attempt.
    order.status = "placed"
    second = services.start_payment(order, order.buyer)
    first.status = "failed"  # let a second attempt start, as after a decline
    db.session.commit()
    for payment in (first, second):
        get_gateway().set_payment_method_and_confirm(payment.intent_id, "success")
        services.fulfil(payment.intent_id)
        db.session.commit()
    assert {first.status, second.status} == {"succeeded"}
    assert first.refunded_fen == 0 and second.refunded_fen == second.amount_fen
    assert services.cash_reconciliation().balanced


def test_fulfil_ignores_intents_that_are_not_ours():
    assert services.fulfil("pi_unknown") is None


def in_threads(app, work, count=4):
    """Run work() in `count` threads at once, each in its own app context, session and transaction."""
    from marketplace.ledger import run_in_transaction

    barrier, errors = threading.Barrier(count), []

    def run():
        with app.app_context():
            try:
                barrier.wait()
                run_in_transaction(db.session, work)
            except Exception as error:  # collected for the assertion below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_concurrent_fulfilments_pay_once(app, make_order):
    order = make_order(cash_fen=40_000)
    payment = services.start_payment(order, order.buyer)
    db.session.commit()
    get_gateway().set_payment_method_and_confirm(payment.intent_id, "success")
    intent_id = payment.intent_id
    db.session.commit()
    assert in_threads(app, lambda: services.fulfil(intent_id)) == []
    db.session.rollback()
    assert cash_transfers(order, "payment") == 1
    assert db.session.scalar(select(func.count()).select_from(OrderEvent).where(
        OrderEvent.order_id == order.id, OrderEvent.to_status == "paid")) == 1
    assert services.cash_reconciliation().balanced


def test_concurrent_refunds_refund_once(app, make_order):
    order = make_order(cash_fen=40_000)
    paid(order)
    order_id = order.id
    db.session.commit()
    errors = in_threads(app, lambda: services.refund_order(db.session.get(type(order), order_id), None, "cancel"))
    assert errors == []
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 1
    assert cash_transfers(order, "refund") == 1
    assert services.cash_reconciliation().balanced
    assert ledger_intact()
