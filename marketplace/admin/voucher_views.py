"""Admin pages for voucher programs, applications, batch issuance, revocation and the outbox."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace import ledger
from marketplace.admin.views import bp
from marketplace.auth.decorators import admin_required, operator_required
from marketplace.auth.forms import ConfirmForm, RejectApplicationForm
from marketplace.extensions import db
from marketplace.forms import attempt
from marketplace.money import format_fen
from marketplace.database import utcnow
from marketplace.vouchers.rules import local_date
from marketplace.notifications.models import OutboxMail
from marketplace.pagination import paginate
from marketplace.vouchers import services
from marketplace.approvals import services as approvals
from marketplace.vouchers import final_account, lifecycle
from marketplace.vouchers.forms import ApproveForm, BatchUploadForm, BudgetForm, CloneForm, ExtendForm, ProgramForm, \
    RevokeForm
from marketplace.vouchers.models import (CLAWBACK_TARGETS, ISSUANCE_MODES, IssueBatch, IssueBatchRow, Voucher,
                                         VoucherApplication, VoucherProgram)
from marketplace.vouchers.rules import STATUS_LABELS


@bp.route("/programs")
@admin_required
def programs():
    query = select(VoucherProgram).order_by(VoucherProgram.created_at.desc(), VoucherProgram.id.desc())
    return render_template("admin/programs.html", page=paginate(query, current_app.config["PER_PAGE"]))


@bp.route("/programs/new", methods=["GET", "POST"])
@operator_required
def new_program():
    form = ProgramForm()
    if form.validate_on_submit():
        program, ok = attempt(form, lambda: services.create_program(form.to_data(), current_user))
        if ok:
            flash(_("Program %(code)s created as a draft. Check it, then open it.", code=program.code), "success")
            return redirect(url_for("admin.program", program_id=program.id))
    return render_template("admin/program_form.html", form=form, program=None), 422 if form.errors else 200


@bp.route("/programs/<int:program_id>")
@admin_required
def program(program_id):
    item = services.get_program(program_id)
    reconciliation = ledger.reconciliation(db.session, item.id) if item.opened_at else None
    vouchers = paginate(select(Voucher).where(Voucher.program_id == item.id).order_by(Voucher.serial),
                        current_app.config["PER_PAGE"])
    return render_template("admin/program.html", program=item, reconciliation=reconciliation,
                           today=local_date(utcnow()), vouchers=vouchers, action_form=ConfirmForm(),
                           upload_form=BatchUploadForm(), extend_form=ExtendForm(), budget_form=BudgetForm(),
                           clone_form=CloneForm(), approvals=approvals.for_object(item),
                           total_labels=final_account.TOTAL_LABELS, enterprise_columns=final_account.ENTERPRISE_COLUMNS,
                           provider_columns=final_account.PROVIDER_COLUMNS, issuance_modes=ISSUANCE_MODES,
                           clawback_targets=CLAWBACK_TARGETS)


@bp.route("/programs/<int:program_id>/edit", methods=["GET", "POST"])
@operator_required
def edit_program(program_id):
    item = services.get_program(program_id)
    form = ProgramForm()
    if request.method == "GET":
        form.fill_from(item)
    elif form.validate_on_submit():
        outcome, ok = attempt(form, lambda: services.update_program(item.id, form.to_data(), current_user))
        if ok:
            flash(_("Program saved."), "success")
            return redirect(url_for("admin.program", program_id=item.id))
    return render_template("admin/program_form.html", form=form, program=item), 422 if form.errors else 200


PROGRAM_ACTIONS = {"open": services.open_program, "close": lifecycle.close, "expire": services.expire_program}


@bp.route("/programs/<int:program_id>/<any(open, close, expire):action>", methods=["POST"])
@operator_required
def program_action(program_id, action):
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    outcome, ok = attempt(form, lambda: PROGRAM_ACTIONS[action](program_id, current_user))
    for message in form.form_errors:
        flash(message, "error")
    if ok and action == "expire":
        flash(_("Expiry run: %(count)d voucher(s) lapsed, %(amount)s returned to the program.",
                count=outcome[0], amount=format_fen(outcome[1])), "success")
    elif ok:
        flash(_("The program is open: its budget is funded and eligible enterprises have been told.")
              if action == "open" else _("The program is closed to new applications."), "success")
    return redirect(url_for("admin.program", program_id=program_id))


@bp.route("/applications")
@admin_required
def applications():
    status = request.args.get("status", "pending")
    if status not in ("pending", "approved", "rejected", "all"):
        abort(404)
    query = (select(VoucherApplication).order_by(VoucherApplication.created_at, VoucherApplication.id)
             .options(selectinload(VoucherApplication.organisation), selectinload(VoucherApplication.program)))
    if status != "all":
        query = query.where(VoucherApplication.status == status)
    return render_template("admin/applications.html", status=status,
                           page=paginate(query, current_app.config["PER_PAGE"]))


@bp.route("/applications/<int:application_id>", methods=["GET"])
@admin_required
def application(application_id):
    return render_application(services.get_application(application_id), None, RejectApplicationForm())


def render_application(item, approve_form, reject_form, status=200):
    if approve_form is None:
        approve_form = ApproveForm(formdata=None, amount=item.amount_fen)
    holding = services.holding(item.program, item.organisation_id)
    return render_template("admin/application.html", application=item, approve_form=approve_form,
                           reject_form=reject_form, holding=holding,
                           budget_left=services.budget_left(item.program) if item.program.opened_at else 0), status


@bp.route("/applications/<int:application_id>/approve", methods=["POST"])
@operator_required
def approve_application(application_id):
    form = ApproveForm()
    if form.validate_on_submit():
        outcome, ok = attempt(form, lambda: services.approve(application_id, current_user, form.amount.data))
        if ok:
            flash(_("Approved: the voucher is issued and the enterprise has been told."), "success")
            return redirect(url_for("admin.applications"))
    return render_application(services.get_application(application_id), form, RejectApplicationForm(formdata=None), 422)


@bp.route("/applications/<int:application_id>/reject", methods=["POST"])
@operator_required
def reject_application(application_id):
    form = RejectApplicationForm()
    if form.validate_on_submit():
        outcome, ok = attempt(form, lambda: services.reject(application_id, current_user, form.reason.data))
        if ok:
            flash(_("Rejected; the enterprise sees your reason."), "info")
            return redirect(url_for("admin.applications"))
    item = services.get_application(application_id)
    return render_application(item, None, form, 422)


@bp.route("/programs/<int:program_id>/batch", methods=["POST"])
@operator_required
def upload_batch(program_id):
    form = BatchUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        batch, ok = attempt(form, lambda: services.preview_batch(program_id, upload.filename, upload.read(), current_user))
        if ok:
            return redirect(url_for("admin.batch", batch_id=batch.id))
    for message in [*form.file.errors, *form.form_errors]:
        flash(message, "error")
    return redirect(url_for("admin.program", program_id=program_id))


@bp.route("/batches/<int:batch_id>")
@admin_required
def batch(batch_id):
    item = db.session.get(IssueBatch, batch_id) or abort(404)
    outcome = request.args.get("outcome", "")
    if outcome and outcome not in services.OUTCOMES:
        abort(404)
    query = select(IssueBatchRow).where(IssueBatchRow.batch_id == item.id).order_by(IssueBatchRow.line)
    if outcome:
        query = query.where(IssueBatchRow.outcome == outcome)
    return render_template("admin/batch.html", batch=item, outcome=outcome, outcomes=services.OUTCOMES,
                           counts=services.outcome_counts(item.id), confirm_form=ConfirmForm(),
                           page=paginate(query, 50))


@bp.route("/batches/<int:batch_id>/confirm", methods=["POST"])
@operator_required
def confirm_batch(batch_id):
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    result, ok = attempt(form, lambda: services.confirm_batch(batch_id, current_user))
    for message in form.form_errors:
        flash(message, "error")
    if ok:
        flash(_("%(count)d voucher(s) issued.", count=result[1]), "success")
    return redirect(url_for("admin.batch", batch_id=batch_id))


@bp.route("/vouchers/<int:voucher_id>/revoke", methods=["GET", "POST"])
@operator_required
def revoke_voucher(voucher_id):
    voucher = db.session.get(Voucher, voucher_id) or abort(404)
    form = RevokeForm()
    if form.validate_on_submit():
        outcome, ok = attempt(form, lambda: services.request_revocation(voucher.id, current_user, form.reason.data))
        if ok and outcome[1] is None:
            flash(_("Sent for approval: a second operator approves the revocation before it is carried out."),
                  "success")
            return redirect(url_for("admin.approvals_page"))
        if ok:
            flash(_("Voucher %(number)s revoked.", number=voucher.number), "success")
            return redirect(url_for("vouchers.voucher", number=voucher.number))
    return render_template("admin/revoke.html", voucher=voucher, form=form, status_labels=STATUS_LABELS), \
        422 if form.errors or form.form_errors else 200


@bp.route("/outbox")
@admin_required
def outbox():
    query = select(OutboxMail).order_by(OutboxMail.id.desc())
    return render_template("admin/outbox.html", page=paginate(query, 50))
