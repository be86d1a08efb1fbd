"""`seed demo` + `seed orders`: orders in every state, paid through localstripe, books balanced."""
from sqlalchemy import select

from marketplace import ledger
from marketplace.extensions import db
from marketplace.orders.models import Order, OrderEvent, Review
from marketplace.vouchers.models import VoucherProgram


def test_demo_orders_cover_every_state_and_reconcile(stripe_app, runner):
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    result = runner.invoke(args=["seed", "orders"])
    assert result.exit_code == 0 and "12 demo order(s) created" in result.output, result.output
    states = set(db.session.scalars(select(Order.status)))
    assert {"placed", "paid", "accepted", "delivered", "completed", "cancelled", "rejected", "disputed",
            "refunded"} <= states
    assert db.session.scalar(select(Review.id)) is not None
    assert "already exist" in runner.invoke(args=["seed", "orders"]).output
    for program in db.session.scalars(select(VoucherProgram)):
        assert ledger.reconciliation(db.session, program.id).balanced
    from marketplace.payments.services import cash_reconciliation
    reconciliation = cash_reconciliation()
    assert reconciliation.balanced and reconciliation.paid_out > 0  # the demo's payout batch is paid
    from marketplace.payouts.models import PayoutBatch
    assert db.session.scalar(select(PayoutBatch.status)) == "paid"
    closed = db.session.scalar(select(VoucherProgram).where(VoucherProgram.code == "HJ2025"))
    assert closed.status == "final" and closed.final_account["totals"]
    db.session.commit()
    assert runner.invoke(args=["ledger", "verify"]).exit_code == 0
    # two orders wait past their deadlines: the worker's first pass acts on them
    assert runner.invoke(args=["worker", "--once"]).exit_code == 0
    actions = set(db.session.scalars(select(OrderEvent.action)))
    assert {"expire", "auto_complete"} <= actions


def test_seed_orders_without_a_gateway_says_so(app, runner):
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    app.config.update(STRIPE_API_BASE="http://127.0.0.1:9", STRIPE_SECRET_KEY="sk_test_x")
    app.extensions.pop("payment_gateway", None)
    result = runner.invoke(args=["seed", "orders"])
    assert result.exit_code == 0 and "skipped" in result.output
    assert db.session.scalar(select(Order.id)) is None
