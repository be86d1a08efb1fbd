"""The provider's payouts page: what it is owed, its bank details (a change waits for an
operator's verification) and every payout made to it."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace.auth.decorators import role_required
from marketplace.extensions import db
from marketplace.forms import attempt
from marketplace.payouts import services
from marketplace.payouts.forms import BankAccountForm
from marketplace.payouts.models import PayoutLine

bp = Blueprint("payouts", __name__, url_prefix="/payouts")
provider_required = role_required("provider")


def render_index(form, status=200):
    organisation_id = current_user.organisation_id
    lines = db.session.scalars(select(PayoutLine).where(PayoutLine.provider_id == organisation_id)
                               .order_by(PayoutLine.id.desc())).all()
    return render_template("payouts/index.html", form=form, position=services.provider_position(organisation_id),
                           bank=services.bank_history(organisation_id), lines=lines,
                           verified=services.verified_account(organisation_id)), status


@bp.route("/")
@provider_required
def index():
    return render_index(BankAccountForm())


@bp.route("/bank-account", methods=["POST"])
@provider_required
def bank_account():
    form = BankAccountForm()
    if form.validate_on_submit():
        data = services.BankData(form.account_name.data, form.bank_name.data, form.branch.data or "",
                                 form.account_number.data)
        _account, ok = attempt(form, lambda: services.submit_bank_account(current_user, data))
        if ok:
            flash(_("Bank details saved: the administrators verify them before payouts go there."), "success")
            return redirect(url_for("payouts.index"))
    return render_index(form, 422)
