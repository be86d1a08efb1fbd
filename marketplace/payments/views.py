"""Pay page, simulated 3-D Secure page, return page and the Stripe webhook."""
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from marketplace.errors import DomainError, NotFound
from marketplace.extensions import csrf, db
from marketplace.ledger import run_in_transaction
from marketplace.money import format_fen
from marketplace.orders.models import OrderStatus
from marketplace.payments import services
from marketplace.payments.forms import AuthenticateForm, TestPaymentForm
from marketplace.payments.gateway import InvalidWebhook, PaymentGatewayUnavailable, get_gateway
from marketplace.payments.models import Payment, PaymentStatus

bp = Blueprint("payments", __name__, url_prefix="/payments")


def order_url(order):
    try:
        return url_for("orders.detail", number=order.number)
    except BuildError:  # the orders pages are not registered (yet)
        return f"/orders/{order.number}"


def buyer_order(number):
    try:
        return services.order_for_buyer(number, current_user)
    except NotFound:
        abort(404)


def failure_message(payment):
    """The latest failed attempt's reason in the buyer's words, or None."""
    if payment is None or payment.status != PaymentStatus.FAILED:
        return None
    error = payment.last_error or ""
    if "authentication" in error:
        return _(services.AUTHENTICATION_FAILED)
    return _(services.DECLINED) if "declined" in error else _(services.PAYMENT_FAILED)


@bp.get("/orders/<number>/pay")
@login_required
def pay(number):
    order = buyer_order(number)
    if not order.balance_due_fen:
        flash(_("This order is not awaiting payment."), "success" if order.status == OrderStatus.PAID else "error")
        return redirect(order_url(order))
    previous = failure_message(services.latest_payment(order))
    try:  # two tabs opening the page at once: the loser of the attempt-number race reuses the winner's
        payment = run_in_transaction(db.session, lambda: services.open_payment(order, current_user))
    except PaymentGatewayUnavailable as error:
        return render_template("payments/pay.html", order=order, payment=None, unavailable=error.translated(),
                               previous_failure=previous, back=order_url(order)), 503
    return render_template("payments/pay.html", order=order, payment=payment, form=TestPaymentForm(),
                           gateway=get_gateway(), previous_failure=previous, back=order_url(order),
                           return_url=url_for("payments.returned", number=number, _external=True))


@bp.post("/orders/<number>/pay")
@login_required
def pay_submit(number):
    order = buyer_order(number)
    form = TestPaymentForm()
    payment = services.latest_payment(order)
    if not form.validate_on_submit() or payment is None:
        flash(_("Choose one of the offered test payment methods."), "error")
        return redirect(url_for("payments.pay", number=number))
    try:
        payment = record_answer(payment, lambda: services.confirm_test_method(payment, form.method.data, current_user))
    except DomainError as error:
        db.session.rollback()
        flash(error.translated(), "error")
        return redirect(url_for("payments.pay", number=number))
    return after_attempt(payment, order)


def record_answer(payment, ask_gateway):
    """Ask the gateway (nothing written yet: on PostgreSQL no row is locked while it answers;
    SQLite's BEGIN IMMEDIATE holds its one write lock from the first read, as on every page), then
    record its answer through the transaction helper: a retried commit applies the same answer
    again (`apply_intent` is idempotent) and never calls the gateway twice."""
    payment_id, intent = payment.id, ask_gateway()
    return run_in_transaction(db.session, lambda: services.apply_intent(db.session.get(Payment, payment_id), intent))


def after_attempt(payment, order):
    """Where the buyer goes once an attempt has moved on, with what they need to know."""
    if payment.status == PaymentStatus.SUCCEEDED:
        flash(_("Payment of %(amount)s received. Thank you!", amount=format_fen(payment.amount_fen)), "success")
        return redirect(order_url(order))
    if payment.status == PaymentStatus.REQUIRES_ACTION:
        return redirect(url_for("payments.authenticate", number=order.number))
    if payment.status in (PaymentStatus.FAILED, PaymentStatus.REQUIRES_PAYMENT_METHOD, PaymentStatus.CANCELLED):
        if payment.status != PaymentStatus.FAILED:  # a failure is explained on the pay page itself
            flash(_("The payment was not completed. You can try again."), "error")
        return redirect(url_for("payments.pay", number=order.number))
    flash(_("Your payment is being confirmed by the bank; this page will show it once it arrives."), "success")
    return redirect(order_url(order))


@bp.route("/orders/<number>/authenticate", methods=["GET", "POST"])
@login_required
def authenticate(number):
    order = buyer_order(number)
    payment = services.latest_payment(order)
    if not get_gateway().test_methods:
        abort(404)
    if payment is None or payment.status != PaymentStatus.REQUIRES_ACTION:
        return redirect(url_for("payments.pay", number=number) if order.status == OrderStatus.PLACED
                        else order_url(order))
    form = AuthenticateForm()
    if form.validate_on_submit():
        try:
            payment = record_answer(payment, lambda: services.answer_3ds(
                payment, form.outcome.data == "approve", current_user))
        except DomainError as error:
            db.session.rollback()
            flash(error.translated(), "error")
            return redirect(url_for("payments.pay", number=number))
        return after_attempt(payment, order)
    return render_template("payments/authenticate.html", order=order, payment=payment, form=form)


@bp.get("/orders/<number>/return")
@login_required
def returned(number):
    """Where the browser lands after paying (Stripe's return_url): fulfil, then the order page."""
    order = buyer_order(number)
    intent_id = request.args.get("payment_intent")
    payment = next((p for p in services.payments_of(order) if p.intent_id == intent_id), None) \
        or services.latest_payment(order)
    if payment is None:
        return redirect(order_url(order))
    payment_id = payment.id
    try:
        run_in_transaction(db.session, lambda: services.fulfil(db.session.get(Payment, payment_id)))
    except PaymentGatewayUnavailable:
        flash(_("Your payment is being confirmed by the bank; this page will show it once it arrives."), "success")
        return redirect(order_url(order))
    return after_attempt(db.session.get(Payment, payment_id), order)


@bp.post("/stripe/webhook")
@csrf.exempt
def webhook():
    """Stripe's signed event: 400 if the signature fails, 200 once recorded (or a duplicate)."""
    try:
        event = get_gateway().construct_webhook_event(request.get_data(), request.headers.get("Stripe-Signature"))
    except InvalidWebhook:
        return jsonify({"error": "invalid signature"}), 400
    try:
        handled = run_in_transaction(db.session, lambda: services.handle_event(event))
    except PaymentGatewayUnavailable:
        return jsonify({"error": "payment gateway unavailable, deliver again later"}), 503
    return jsonify({"received": True, "duplicate": not handled})
