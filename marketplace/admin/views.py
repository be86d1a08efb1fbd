from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace.auth import services as auth_services
from marketplace.auth.decorators import admin_required, operator_required
from marketplace.auth.forms import AttributesForm, ConfirmForm, RejectForm
from marketplace.auth.models import Organisation, OrgKind, OrgStatus
from marketplace.extensions import db
from marketplace.forms import attempt
from marketplace.ledger import run_in_transaction
from marketplace.pagination import paginate

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@admin_required
def dashboard():
    from marketplace.audit.integrity import latest_runs
    from marketplace.jobs.services import open_failures

    from marketplace.workspace import services as workspace

    return render_template("admin/dashboard.html", counts=auth_services.counts_by_status(),
                           last_verify=next(iter(latest_runs(1)), None),
                           job_failures=open_failures(), queues=workspace.operator_queues(),
                           budgets=workspace.budget_burn(), anomaly_count=workspace.open_anomaly_count())


@bp.route("/organisations")
@admin_required
def organisations():
    status = request.args.get("status", OrgStatus.PENDING)
    kind = request.args.get("kind", "")
    if status not in set(OrgStatus) | {"all"} or kind not in set(OrgKind) | {""}:
        abort(404)
    query = select(Organisation).order_by(Organisation.created_at, Organisation.id)
    if status != "all":
        query = query.where(Organisation.status == status)
    if kind:
        query = query.where(Organisation.kind == kind)
    page = paginate(query, current_app.config["PER_PAGE"])
    return render_template("admin/organisations.html", page=page, status=status, kind=kind,
                           statuses=list(OrgStatus), kinds=list(OrgKind))


@bp.route("/organisations/<int:organisation_id>", methods=["GET"])
@admin_required
def organisation(organisation_id):
    return render_organisation(auth_services.get_organisation(organisation_id), RejectForm())


def render_organisation(organisation, reject_form, status=200):
    return render_template("admin/organisation.html", organisation=organisation,
                           approve_form=ConfirmForm(), reject_form=reject_form,
                           attributes_form=AttributesForm(obj=organisation)), status


@bp.route("/organisations/<int:organisation_id>/approve", methods=["POST"])
@operator_required
def approve(organisation_id):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    organisation = run_in_transaction(db.session, lambda: auth_services.decide_organisation(
        organisation_id, current_user, approve=True))
    flash(_("%(name)s is approved and can now trade.", name=organisation.legal_name), "success")
    return redirect(url_for("admin.organisations"))


@bp.route("/organisations/<int:organisation_id>/reject", methods=["POST"])
@operator_required
def reject(organisation_id):
    form = RejectForm()
    if form.validate_on_submit():
        organisation, ok = attempt(form, lambda: auth_services.decide_organisation(
            organisation_id, current_user, approve=False, reason=form.reason.data))
        if ok:
            flash(_("%(name)s is rejected; the applicant sees your reason.", name=organisation.legal_name), "info")
            return redirect(url_for("admin.organisations"))
    return render_organisation(auth_services.get_organisation(organisation_id), form, 422)


@bp.route("/users/<int:user_id>/<any(disable, enable):action>", methods=["POST"])
@operator_required
def user_access(user_id, action):
    """Disable (every session of the account ends at once) or enable an account."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = run_in_transaction(db.session, lambda: auth_services.set_active(user_id, current_user,
                                                                           active=action == "enable"))
    flash(_("%(email)s is disabled; its sessions have ended.", email=user.email) if action == "disable"
          else _("%(email)s can log in again.", email=user.email), "success")
    return redirect(url_for("admin.organisation", organisation_id=user.organisation_id) if user.organisation_id
                    else url_for("admin.dashboard"))


@bp.route("/organisations/<int:organisation_id>/attributes", methods=["POST"])
@operator_required
def attributes(organisation_id):
    form = AttributesForm()
    if not form.validate_on_submit():
        abort(400)
    run_in_transaction(db.session, lambda: auth_services.set_attributes(
        organisation_id, current_user, form.is_high_tech.data, form.is_sme.data))
    flash(_("Attributes saved."), "success")
    return redirect(url_for("admin.organisation", organisation_id=organisation_id))
