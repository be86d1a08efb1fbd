"""Order pages: checkout, my orders, the order page with its actions, thread and review."""
import secrets

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from marketplace import limits
from marketplace.catalog import uploads
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import attempt
from marketplace.inputs import arg_int, parse_int
from marketplace.orders import services
from marketplace.orders.forms import (ClawbackForm, DeliverForm, MessageForm, OptionalReasonForm, PlaceOrderForm,
                                      ReasonForm, ReplyForm, ResolveForm, ReviewForm)
from marketplace.orders.models import STATUS_LABELS, Order, OrderStatus
from marketplace.pagination import paginate

bp = Blueprint("orders", __name__, url_prefix="/orders")


def int_arg(name):
    """An id from the query or form: ASCII digits within the id range, else 404."""
    return arg_int(name, minimum=1)


@bp.route("/new")
@login_required
def new():
    offer = services.offer_for(int_arg("listing"), int_arg("package"))
    split = services.quote(current_user, offer)
    form = PlaceOrderForm(formdata=None, listing_id=offer.listing.id, package_id=offer.package.id,
                          request_key=secrets.token_urlsafe(24))
    return render_template("orders/checkout.html", offer=offer, split=split, form=form)


@bp.route("/", methods=["POST"])
@login_required
def place():
    form = PlaceOrderForm()
    listing_id, package_id = parse_int(form.listing_id.data, 1), parse_int(form.package_id.data, 1)
    if not form.validate_on_submit() or listing_id is None or package_id is None:
        abort(400)
    work = lambda: services.place_order(current_user, services.offer_for(listing_id, package_id),
                                        form.request_key.data[:64])
    order, ok = attempt(form, work)
    if not ok:
        for message in form.form_errors:
            flash(message, "error")
        return redirect(url_for("orders.new", listing=form.listing_id.data, package=form.package_id.data))
    return redirect(next_page_after_placing(order))


def next_page_after_placing(order):
    if order.status == OrderStatus.PLACED and "payments.pay" in current_app.view_functions:
        return url_for("payments.pay", number=order.number)
    return url_for("orders.detail", number=order.number)


@bp.route("/")
@login_required
def index():
    if current_user.role not in ("enterprise", "provider"):
        abort(403)
    status = request.args.get("status", "")
    if status and status not in STATUS_LABELS:
        abort(404)
    column = Order.enterprise_id if current_user.role == "enterprise" else Order.provider_id
    query = select(Order).where(column == current_user.organisation_id).order_by(Order.created_at.desc(), Order.id.desc())
    if status:
        query = query.where(Order.status == status)
    return render_template("orders/index.html", page=paginate(query, current_app.config["PER_PAGE"]),
                           status=status, labels=STATUS_LABELS)


@bp.route("/<number>")
@login_required
def detail(number):
    order = services.get_order(number, current_user, reads=services.ORDER_PAGE_READS)
    return render_detail(order)


def render_detail(order, forms=None, status=200):
    forms = {"reason": ReasonForm(formdata=None), "optional": OptionalReasonForm(formdata=None),
             "deliver": DeliverForm(formdata=None), "message": MessageForm(formdata=None),
             "review": ReviewForm(formdata=None), "reply": ReplyForm(formdata=None),
             "resolve": ResolveForm(formdata=None), "clawback": ClawbackForm(formdata=None), **(forms or {})}
    review = services.reviews_for_order(order)
    return render_template("orders/detail.html", order=order, forms=forms, messages=services.messages(order),
                           review=review, can=lambda action: can(order, action),
                           frozen=services.frozen(order), clawable=clawable(order)), status


def clawable(order):
    """What an operator could claw back from this order (0 for everyone else)."""
    if not current_user.is_admin:
        return 0
    from marketplace.redemption.clawback import clawable_parts

    return sum(amount for _held, amount, _settled in clawable_parts(order))


def can(order, action):
    try:
        return services.allowed(order, action, current_user)
    except DomainError:
        return False


SIMPLE_ACTIONS = {"accept": services.accept, "complete": services.complete}
REASON_ACTIONS = {"reject": (services.reject, ReasonForm), "dispute": (services.dispute, ReasonForm),
                  "cancel": (services.cancel, OptionalReasonForm), "annul": (services.annul, ReasonForm)}


@bp.route("/<number>/<any(accept, complete, reject, dispute, cancel, annul):action>", methods=["POST"])
@login_required
def act(number, action):
    order = services.get_order(number, current_user)
    if action in SIMPLE_ACTIONS:
        form = OptionalReasonForm()
        work = lambda: SIMPLE_ACTIONS[action](order, current_user)
    else:
        operation, form_class = REASON_ACTIONS[action]
        form = form_class()
        work = lambda: operation(order, current_user, form.reason.data)
    if form.validate_on_submit():
        _result, ok = attempt(form, work)
        if ok:
            flash(_("Done: the order is now “%(state)s”.", state=_(STATUS_LABELS[order.status])), "success")
            return redirect(url_for("orders.detail", number=number))
    return render_detail(order, {"reason" if action != "cancel" else "optional": form, "active": action}, 422)


@bp.route("/<number>/deliver", methods=["POST"])
@login_required
def deliver(number):
    order = services.get_order(number, current_user)
    form = DeliverForm()
    if form.validate_on_submit():
        def work():
            stored = store_attachment(order, form.report.data, "report") if form.report.data else None
            return services.deliver(order, current_user, form.note.data, stored)
        _result, ok = attempt(form, work)
        if ok:
            flash(_("Delivered: the buyer has been asked to accept the work."), "success")
            return redirect(url_for("orders.detail", number=number))
    return render_detail(order, {"deliver": form}, 422)


def store_attachment(order, file_storage, field):
    data = file_storage.read()
    return uploads.store_document(current_user.organisation or order.provider, uploads.Upload(file_storage.filename, data),
                                  "order", field=field)


@bp.route("/<number>/messages", methods=["POST"])
@limits.messages
@login_required
def message(number):
    order = services.get_order(number, current_user)
    form = MessageForm()
    if form.validate_on_submit():
        def work():
            stored = store_attachment(order, form.attachment.data, "attachment") if form.attachment.data else None
            return services.post_message(order, current_user, form.body.data, stored)
        _result, ok = attempt(form, work)
        if ok:
            return redirect(url_for("orders.detail", number=number) + "#thread")
    return render_detail(order, {"message": form}, 422)


@bp.route("/<number>/review", methods=["POST"])
@login_required
def review(number):
    order = services.get_order(number, current_user)
    form = ReviewForm()
    if form.validate_on_submit():
        _result, ok = attempt(form, lambda: services.review(order, current_user, form.rating.data, form.body.data))
        if ok:
            flash(_("Thank you for your review."), "success")
            return redirect(url_for("orders.detail", number=number))
    return render_detail(order, {"review": form}, 422)


@bp.route("/<number>/reply", methods=["POST"])
@login_required
def reply(number):
    order = services.get_order(number, current_user)
    form = ReplyForm()
    if form.validate_on_submit():
        _result, ok = attempt(form, lambda: services.reply(order, current_user, form.reply.data))
        if ok:
            return redirect(url_for("orders.detail", number=number))
    return render_detail(order, {"reply": form}, 422)


@bp.route("/<number>/resolve", methods=["POST"])
@login_required
def resolve(number):
    if not current_user.is_admin or current_user.is_auditor:
        abort(403)
    order = services.get_order(number, current_user)
    form = ResolveForm()
    if form.validate_on_submit():
        work = lambda: services.resolve(order, current_user, form.outcome.data, form.reason.data, form.voucher.data,
                                        form.cash_refund.data)
        _result, ok = attempt(form, work)
        if ok:
            flash(_("Dispute resolved."), "success")
            return redirect(url_for("orders.detail", number=number))
    return render_detail(order, {"resolve": form}, 422)
