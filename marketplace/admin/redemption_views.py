"""Admin pages for redemption (兑付): the review queue (初审, 终审), settlement batches, exports."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace.admin.views import bp
from marketplace.audit import exports
from marketplace.auth.decorators import admin_required, operator_required
from marketplace.auth.forms import ConfirmForm
from marketplace.forms import attempt
from marketplace.inputs import form_ints
from marketplace.pagination import paginate
from marketplace.redemption import services, settlement
from marketplace.redemption.forms import BatchForm, PaidForm, ReviewForm
from marketplace.redemption.models import RequestStatus, SettlementBatch, RedemptionRequest

QUEUES = ("submitted", "first_approved", "approved", "returned", "rejected", "settled", "all")


@bp.route("/redemptions")
@admin_required
def redemptions():
    status = request.args.get("status", RequestStatus.SUBMITTED)
    if status not in QUEUES:
        abort(404)
    query = select(RedemptionRequest).order_by(RedemptionRequest.submitted_at, RedemptionRequest.id)
    if status != "all":
        query = query.where(RedemptionRequest.status == status)
    return render_template("admin/redemption_requests.html", page=paginate(query, current_app.config["PER_PAGE"]),
                           status=status, queues=QUEUES)


def render_request(item, form, status=200):
    return render_template("admin/redemption_request.html", item=item, form=form), status


@bp.route("/redemptions/<int:request_id>")
@admin_required
def redemption(request_id):
    return render_request(services.get_request(request_id, current_user), ReviewForm())


@bp.route("/redemptions/<int:request_id>/<any(first_approve, final_approve, return, reject):decision>", methods=["POST"])
@operator_required
def redemption_decide(request_id, decision):
    item = services.get_request(request_id, current_user)
    form = ReviewForm()
    if form.validate_on_submit():
        _done, ok = attempt(form, lambda: services.review(item.id, current_user, decision, form.reason.data))
        if ok:
            flash(_("Decision recorded on request %(number)s.", number=item.number), "success")
            return redirect(url_for("admin.redemptions"))
    return render_request(services.get_request(request_id, current_user), form, 422)


@bp.route("/settlements", methods=["GET"])
@admin_required
def settlements():
    batches = paginate(select(SettlementBatch).order_by(SettlementBatch.id.desc()), current_app.config["PER_PAGE"])
    return render_template("admin/redemption_batches.html", page=batches, ready=settlement.approved_unbatched(),
                           form=BatchForm())


@bp.route("/settlements", methods=["POST"])
@operator_required
def settlements_create():
    form = BatchForm()
    ids = form_ints("request")
    if form.validate_on_submit():
        batch, ok = attempt(form, lambda: settlement.create_batch(current_user, ids, form.note.data))
        if ok:
            flash(_("Settlement batch %(id)d created. Export it for finance, then mark it paid.", id=batch.id), "success")
            return redirect(url_for("admin.settlement_batch", batch_id=batch.id))
    batches = paginate(select(SettlementBatch).order_by(SettlementBatch.id.desc()), current_app.config["PER_PAGE"])
    return render_template("admin/redemption_batches.html", page=batches, ready=settlement.approved_unbatched(),
                           form=form), 422


def render_batch(batch, form, status=200, errors=()):
    return render_template("admin/redemption_batch.html", batch=batch, form=form, approve_form=ConfirmForm(),
                           approve_errors=errors), status


@bp.route("/settlements/<int:batch_id>")
@admin_required
def settlement_batch(batch_id):
    return render_batch(settlement.get_batch(batch_id), PaidForm())


@bp.route("/settlements/<int:batch_id>/export.<any(csv, xlsx):fmt>")
@admin_required
def settlement_export(batch_id, fmt):
    """A download changes nothing (auditors download too); marking the batch exported is a POST."""
    batch = settlement.get_batch(batch_id)
    header = [_(column) for column in settlement.EXPORT_HEADER]
    return exports.download(fmt, header, list(settlement.export_rows(batch)), f"settlement-{batch.id}")


@bp.route("/settlements/<int:batch_id>/exported", methods=["POST"])
@operator_required
def settlement_exported(batch_id):
    form = ConfirmForm()
    if form.validate_on_submit():
        _done, ok = attempt(form, lambda: settlement.mark_exported(settlement.get_batch(batch_id), current_user))
        if ok:
            flash(_("The batch is marked as exported to finance."), "success")
    return redirect(url_for("admin.settlement_batch", batch_id=batch_id))


@bp.route("/settlements/<int:batch_id>/approve", methods=["POST"])
@operator_required
def settlement_approve(batch_id):
    form = ConfirmForm()
    if form.validate_on_submit():
        _done, ok = attempt(form, lambda: settlement.approve_batch(current_user, batch_id))
        if ok:
            flash(_("Batch %(id)d is approved for payment.", id=batch_id), "success")
            return redirect(url_for("admin.settlement_batch", batch_id=batch_id))
    return render_batch(settlement.get_batch(batch_id), PaidForm(), 422, errors=form.form_errors)


@bp.route("/settlements/<int:batch_id>/paid", methods=["POST"])
@operator_required
def settlement_paid(batch_id):
    form = PaidForm()
    if form.validate_on_submit():
        _done, ok = attempt(form, lambda: settlement.mark_paid(batch_id, current_user, form.reference.data))
        if ok:
            flash(_("Batch %(id)d is paid; the voucher shares are settled.", id=batch_id), "success")
            return redirect(url_for("admin.settlement_batch", batch_id=batch_id))
    return render_batch(settlement.get_batch(batch_id), form, 422)
