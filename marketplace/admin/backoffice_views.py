"""Admin pages of the back office: four-eyes approvals, a program's lifecycle after it opens
(pause, later deadlines, budget, year-end close, final account, clone), clawbacks, provider
bank details and payout batches."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace.admin.views import bp
from marketplace.approvals import services as approvals
from marketplace.approvals.models import ApprovalStatus
from marketplace.audit import exports
from marketplace.auth.decorators import admin_required, operator_required
from marketplace.auth.forms import ConfirmForm
from marketplace.forms import attempt
from marketplace.orders.forms import ClawbackForm
from marketplace.pagination import paginate
from marketplace.payouts import services as payouts
from marketplace.payouts.forms import BatchNoteForm, NoteForm, ReferenceForm
from marketplace.payouts.models import BankAccount, BankStatus, PayoutBatch
from marketplace.redemption import clawback
from marketplace.vouchers import final_account, lifecycle
from marketplace.vouchers.forms import BudgetForm, CloneForm, ExtendForm, PauseForm


def asked(approval_result, done_message):
    """Flash what happened to a four-eyes decision: carried out, or waiting for a second operator."""
    approval, result = approval_result
    if approval.status == ApprovalStatus.PENDING:
        flash(_("Sent for approval: a second operator approves it on the approvals page before it is carried out."),
              "success")
    else:
        flash(done_message, "success")
    return result


# -- approvals ------------------------------------------------------------------------------
@bp.route("/approvals")
@admin_required
def approvals_page():
    status = request.args.get("status", ApprovalStatus.PENDING)
    if status not in set(ApprovalStatus):
        abort(404)
    return render_template("admin/approvals.html", status=status, statuses=list(ApprovalStatus),
                           page=paginate(approvals.queue(status), current_app.config["PER_PAGE"]), form=NoteForm(),
                           actions=approvals.ACTIONS)


@bp.route("/approvals/<int:approval_id>/<any(approve, reject, withdraw):decision>", methods=["POST"])
@operator_required
def approval_decision(approval_id, decision):
    form = NoteForm()
    if not form.validate_on_submit():
        abort(400)
    work = {"approve": lambda: approvals.approve(current_user, approval_id, form.note.data),
            "reject": lambda: approvals.reject(current_user, approval_id, form.note.data),
            "withdraw": lambda: approvals.withdraw(current_user, approval_id)}[decision]
    _result, ok = attempt(form, work)
    flash_errors(form)
    if ok:
        flash({"approve": _("Approved and carried out."), "reject": _("Rejected: nothing was carried out."),
               "withdraw": _("Withdrawn.")}[decision], "success")
    return redirect(url_for("admin.approvals_page"))


# -- a program's life ---------------------------------------------------------------------------
def back_to_program(program_id):
    return redirect(url_for("admin.program", program_id=program_id))


def flash_errors(form):
    for message in (message for messages in form.errors.values() for message in messages):  # form-level ones too
        flash(message, "error")


@bp.route("/programs/<int:program_id>/<any(pause, resume, close_year):action>", methods=["POST"])
@operator_required
def program_lifecycle(program_id, action):
    form = PauseForm()
    if not form.validate_on_submit():
        abort(400)
    work = {"pause": lambda: lifecycle.pause(program_id, current_user, form.reason.data or None),
            "resume": lambda: lifecycle.resume(program_id, current_user),
            "close_year": lambda: lifecycle.close_year(program_id, current_user)}[action]
    _result, ok = attempt(form, work)
    flash_errors(form)
    if ok:
        flash({"pause": _("The program is paused: no applications or issuance until it resumes."),
               "resume": _("The program is open again."),
               "close_year": _("The program is closed for the year: its final account is below.")}[action], "success")
    return back_to_program(program_id)


@bp.route("/programs/<int:program_id>/extend", methods=["POST"])
@operator_required
def program_extend(program_id):
    form = ExtendForm()
    if form.validate_on_submit():
        result, ok = attempt(form, lambda: lifecycle.request_extension(program_id, current_user, form.use_by.data,
                                                                         form.redeem_by.data, form.reason.data))
        if ok:
            asked(result, _("The deadlines are extended."))
    flash_errors(form)
    return back_to_program(program_id)


@bp.route("/programs/<int:program_id>/budget", methods=["POST"])
@operator_required
def program_budget(program_id):
    form = BudgetForm()
    if form.validate_on_submit():
        result, ok = attempt(form, lambda: lifecycle.request_budget_change(program_id, current_user, form.budget.data,
                                                                           form.reason.data))
        if ok:
            asked(result, _("The budget is changed."))
    flash_errors(form)
    return back_to_program(program_id)


@bp.route("/programs/<int:program_id>/clone", methods=["POST"])
@operator_required
def program_clone(program_id):
    form = CloneForm()
    if form.validate_on_submit():
        created, ok = attempt(form, lambda: lifecycle.clone(program_id, current_user, form.code.data, form.name.data))
        if ok:
            flash(_("Program %(code)s created as a draft for next year; last year's enterprises and providers "
                    "have been told.", code=created.code), "success")
            return back_to_program(created.id)
    flash_errors(form)
    return back_to_program(program_id)


@bp.route("/programs/<int:program_id>/final-account.<any(csv, xlsx):fmt>")
@admin_required
def program_final_account(program_id, fmt):
    from marketplace.vouchers.programs import get_program

    program = get_program(program_id)
    if not program.final_account:
        abort(404)
    header, rows = final_account.export_table(program)
    return exports.download(fmt, header, rows, f"final-account-{program.code}")


# -- clawback ------------------------------------------------------------------------------------
@bp.route("/orders/<number>/clawback", methods=["POST"])
@operator_required
def order_clawback(number):
    from marketplace.orders import services as orders

    order = orders.get_order(number, current_user)
    form = ClawbackForm()
    if form.validate_on_submit():
        result, ok = attempt(form, lambda: clawback.request_clawback(order.id, current_user, form.reason.data,
                                                                     form.cash_refund.data or 0))
        if ok:
            asked(result, _("The voucher share is clawed back."))
    flash_errors(form)
    return redirect(url_for("orders.detail", number=number))


# -- bank details and payouts -----------------------------------------------------------------
@bp.route("/payouts/bank-accounts")
@admin_required
def bank_accounts():
    query = select(BankAccount).where(BankAccount.status == BankStatus.PENDING).order_by(BankAccount.created_at)
    return render_template("admin/bank_accounts.html", page=paginate(query, current_app.config["PER_PAGE"]),
                           form=NoteForm(), verified=payouts.verified_account)


@bp.route("/payouts/bank-accounts/<int:account_id>/<any(verify, reject):decision>", methods=["POST"])
@operator_required
def bank_account_decision(account_id, decision):
    form = NoteForm()
    if form.validate_on_submit():
        _result, ok = attempt(form, lambda: payouts.verify_bank_account(current_user, account_id, decision == "verify",
                                                                        form.note.data))
        if ok:
            flash(_("Bank details verified.") if decision == "verify" else _("Bank details rejected."), "success")
    flash_errors(form)
    return redirect(url_for("admin.bank_accounts"))


@bp.route("/payouts")
@admin_required
def payouts_page():
    query = select(PayoutBatch).order_by(PayoutBatch.id.desc())
    waiting = payouts.outstanding()
    return render_template("admin/payouts.html", page=paginate(query, current_app.config["PER_PAGE"]),
                           waiting=waiting, form=BatchNoteForm(), verified=payouts.verified_account,
                           hold_days=current_app.config["PAYOUT_HOLD_DAYS"])


@bp.route("/payouts", methods=["POST"])
@operator_required
def payouts_create():
    form = BatchNoteForm()
    if form.validate_on_submit():
        batch, ok = attempt(form, lambda: payouts.create_batch(current_user, form.note.data))
        if ok:
            flash(_("Payout batch %(number)s created. A second operator approves it before it is paid.",
                    number=batch.number), "success")
            return redirect(url_for("admin.payout", batch_id=batch.id))
    flash_errors(form)
    return redirect(url_for("admin.payouts_page"))


@bp.route("/payouts/<int:batch_id>")
@admin_required
def payout(batch_id):
    return render_template("admin/payout.html", batch=payouts.get_batch(batch_id), form=ReferenceForm(),
                           confirm=ConfirmForm(), cancel_form=NoteForm())


@bp.route("/payouts/<int:batch_id>/export.<any(csv, xlsx):fmt>")
@admin_required
def payout_export(batch_id, fmt):
    """A download changes nothing; marking the batch exported is a separate POST."""
    batch = payouts.get_batch(batch_id)
    header = [_(column) for column in payouts.EXPORT_HEADER]
    return exports.download(fmt, header, list(payouts.export_rows(batch)), f"payout-{batch.number}")


@bp.route("/payouts/<int:batch_id>/<any(approve, exported, paid, cancel):step>", methods=["POST"])
@operator_required
def payout_step(batch_id, step):
    form = ReferenceForm() if step == "paid" else NoteForm()
    if form.validate_on_submit():
        work = {"approve": lambda: payouts.approve_batch(current_user, batch_id),
                "exported": lambda: payouts.mark_exported(current_user, batch_id),
                "paid": lambda: payouts.mark_paid(current_user, batch_id, form.reference.data),
                "cancel": lambda: payouts.cancel_batch(current_user, batch_id, form.note.data)}[step]
        _result, ok = attempt(form, work)
        if ok:
            flash({"approve": _("Approved for payment."), "exported": _("Marked as sent to the bank."),
                   "paid": _("Paid: the providers' payables are settled and they have been told."),
                   "cancel": _("Batch cancelled: its orders are payable again.")}[step], "success")
            if step == "cancel":
                return redirect(url_for("admin.payouts_page"))
    flash_errors(form)
    return redirect(url_for("admin.payout", batch_id=batch_id))

