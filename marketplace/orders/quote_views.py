"""Price-on-request pages on the orders blueprint: ask, quote, accept."""
import secrets

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace import limits
from marketplace.catalog.queries import public_listing
from marketplace.forms import attempt
from marketplace.orders import services
from marketplace.orders.forms import AcceptQuoteForm, QuoteForm, QuoteRequestForm
from marketplace.orders.views import bp, int_arg, next_page_after_placing
from marketplace.pagination import paginate


@bp.route("/quotes")
@login_required
def quotes():
    if current_user.role not in ("enterprise", "provider"):
        abort(403)
    page = paginate(services.quotes_for(current_user), current_app.config["PER_PAGE"])
    return render_template("orders/quotes.html", page=page, quote_form=QuoteForm(formdata=None),
                           request_key=secrets.token_urlsafe(24))


@bp.route("/quotes/new", methods=["GET", "POST"])
@limits.quote_requests
@login_required
def request_quote():
    listing = public_listing(int_arg("listing"))
    form = QuoteRequestForm()
    if form.validate_on_submit():
        _result, ok = attempt(form, lambda: services.request_quote(current_user, listing.id, form.request.data))
        if ok:
            flash(_("Your request was sent. The provider's quote will appear under Quotes."), "success")
            return redirect(url_for("orders.quotes"))
    return render_template("orders/quote_request.html", listing=listing, form=form), 422 if form.errors else 200


@bp.route("/quotes/<int:quote_id>/quote", methods=["POST"])
@login_required
def give_quote(quote_id):
    form = QuoteForm()
    if form.validate_on_submit():
        work = lambda: services.give_quote(current_user, quote_id, form.price.data, form.delivery_days.data, form.note.data)
        _result, ok = attempt(form, work)
        if ok:
            flash(_("Quote sent to the enterprise."), "success")
            return redirect(url_for("orders.quotes"))
    for errors in [form.form_errors, *form.errors.values()]:
        for message in errors:
            flash(message, "error")
    return redirect(url_for("orders.quotes"))


@bp.route("/quotes/<int:quote_id>/accept", methods=["POST"])
@login_required
def accept_quote(quote_id):
    form = AcceptQuoteForm()
    if not form.validate_on_submit():
        abort(400)
    order, ok = attempt(form, lambda: services.accept_quote(current_user, quote_id, form.request_key.data[:64]))
    if not ok:
        for message in form.form_errors:
            flash(message, "error")
        return redirect(url_for("orders.quotes"))
    return redirect(next_page_after_placing(order))
