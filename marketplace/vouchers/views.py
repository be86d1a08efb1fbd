"""Enterprise pages: wallet, statements, open programs, applications."""
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace.auth.decorators import role_required
from marketplace.database import utcnow
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import apply_domain_error
from marketplace.inputs import arg_int
from marketplace.ledger import run_in_transaction
from marketplace.pagination import paginate
from marketplace.vouchers import services
from marketplace.vouchers.forms import ApplicationForm
from marketplace.vouchers.models import ENTERPRISE_FLAGS, ProgramStatus, VoucherProgram
from marketplace.vouchers.rules import STATUS_LABELS

bp = Blueprint("vouchers", __name__, url_prefix="/vouchers")
enterprise_required = role_required("enterprise")


@bp.route("/")
@enterprise_required
def wallet():
    rows = services.wallet(current_user.organisation_id, utcnow())
    return render_template("vouchers/wallet.html", rows=rows, status_labels=STATUS_LABELS,
                           expiring=[row for row in rows if row.expiring_soon])


@bp.route("/<number>")
@role_required("enterprise", "admin")
def voucher(number):
    item = services.voucher_for(current_user, number)
    page = services.statement(item, after_id=arg_int("after", default=0))
    row = services.wallet_row(item, services.local_date(utcnow()))
    return render_template("vouchers/statement.html", row=row, page=page, status_labels=STATUS_LABELS)


@bp.route("/programs")
@enterprise_required
def programs():
    now = utcnow()
    open_programs = db.session.scalars(select(VoucherProgram).where(VoucherProgram.status == ProgramStatus.OPEN)
                                       .order_by(VoucherProgram.use_by)).all()
    organisation = current_user.organisation
    entries = [(program, services.application_problem(program, organisation, now),
                services.holding(program, organisation.id)) for program in open_programs]
    return render_template("vouchers/programs.html", entries=entries, enterprise_flags=ENTERPRISE_FLAGS)


@bp.route("/programs/<int:program_id>/apply", methods=["GET", "POST"])
@enterprise_required
def apply(program_id):
    program = services.get_program(program_id)
    form = ApplicationForm()
    problem = services.application_problem(program, current_user.organisation, utcnow())
    if form.validate_on_submit() and problem is None:
        try:
            application = run_in_transaction(db.session, lambda: services.apply(
                program.id, current_user, form.amount.data, form.purpose.data))
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            flash(_("Issued: the vouchers are in your wallet.") if application.status == "approved" else
                  _("Application submitted. You will be notified when it is decided."), "success")
            return redirect(url_for("vouchers.wallet" if application.status == "approved" else "vouchers.applications"))
    holding = services.holding(program, current_user.organisation_id)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("vouchers/apply.html", program=program, form=form, problem=problem,
                           holding=holding), status


@bp.route("/applications")
@enterprise_required
def applications():
    page = paginate(services.applications_of(current_user), current_app.config["PER_PAGE"])
    return render_template("vouchers/applications.html", page=page)
