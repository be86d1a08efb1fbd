"""Admin pages for related parties: affiliations (list, record, view, end), organisation details
edited by operators, and one-order exceptions to the related-party exclusion (four eyes)."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.admin.views import bp
from marketplace.approvals import services as approvals
from marketplace.auth.decorators import admin_required, operator_required
from marketplace.auth.services import get_organisation
from marketplace.catalog.uploads import Upload
from marketplace.errors import DomainError
from marketplace.forms import attempt
from marketplace.inputs import parse_int
from marketplace.pagination import paginate
from marketplace.parties import details, exceptions, services as parties
from marketplace.parties.forms import AffiliationForm, DetailsForm, EndAffiliationForm, ExceptionForm


def page_for(template, form, **context):
    return render_template(template, form=form, **context), 422 if form.errors or form.form_errors else 200


def found_or_404(load, *args):
    try:
        return load(*args)
    except DomainError:
        abort(404)


@bp.route("/parties/")
@admin_required
def parties_page():
    status = request.args.get("status", "active")
    if status not in parties.STATUSES:
        abort(404)
    text = request.args.get("q", "").strip()[:100]
    return render_template("admin/parties.html", status=status, q=text, statuses=parties.STATUSES,
                           page=paginate(parties.search(status, text), current_app.config["PER_PAGE"]))


def uploaded(storage):
    if storage and getattr(storage, "filename", ""):
        return Upload(storage.filename, storage.read())
    return None


@bp.route("/parties/new", methods=["GET", "POST"])
@operator_required
def party_new():
    form = AffiliationForm()
    org_id = parse_int(request.args.get("org"), 1)
    if request.method == "GET" and org_id:
        form.organisation_a.data = found_or_404(get_organisation, org_id).credit_code
    if form.validate_on_submit():
        created, ok = attempt(form, lambda: parties.record_between(
            current_user, form.organisation_a.data, form.organisation_b.data, form.kind.data, form.reason.data,
            uploaded(form.evidence.data)))
        if ok:
            flash(_("Affiliation recorded: vouchers can no longer be used between the two; both were told."), "success")
            return redirect(url_for("admin.party", affiliation_id=created.id))
    return page_for("admin/party_form.html", form)


@bp.route("/parties/<int:affiliation_id>")
@admin_required
def party(affiliation_id):
    affiliation = found_or_404(parties.get_affiliation, affiliation_id)
    return render_template("admin/party.html", affiliation=affiliation)


@bp.route("/parties/<int:affiliation_id>/end", methods=["GET", "POST"])
@operator_required
def party_end(affiliation_id):
    affiliation = found_or_404(parties.get_affiliation, affiliation_id)
    form = EndAffiliationForm()
    if form.validate_on_submit():
        _ended, ok = attempt(form, lambda: parties.end_affiliation(current_user, affiliation.id, form.reason.data))
        if ok:
            flash(_("Affiliation ended; both organisations were told."), "success")
            return redirect(url_for("admin.party", affiliation_id=affiliation.id))
    return page_for("admin/party_end.html", form, affiliation=affiliation)


@bp.route("/organisations/<int:organisation_id>/details", methods=["GET", "POST"])
@operator_required
def organisation_details(organisation_id):
    organisation = found_or_404(get_organisation, organisation_id)
    form = DetailsForm(obj=organisation)
    if form.validate_on_submit():
        data = details.Details(**{name: getattr(form, name).data or "" for name in details.EDITABLE},
                               credit_code=form.credit_code.data if organisation.credit_code_provisional else None)
        _saved, ok = attempt(form, lambda: details.edit_details(current_user, organisation.id, data))
        if ok:
            flash(_("Details saved."), "success")
            return redirect(url_for("admin.organisation", organisation_id=organisation.id))
    return page_for("admin/organisation_details.html", form, organisation=organisation,
                    affiliations=parties.for_organisation(organisation.id))


@bp.route("/parties/exceptions")
@admin_required
def party_exceptions():
    status = request.args.get("status", "open")
    if status not in ("open", "used", "all"):
        abort(404)
    return render_template("admin/party_exceptions.html", status=status, waiting=exceptions.waiting_requests(),
                           page=paginate(exceptions.listing(status), current_app.config["PER_PAGE"]))


@bp.route("/parties/exceptions/new", methods=["GET", "POST"])
@operator_required
def party_exception_new():
    form = ExceptionForm()
    if form.validate_on_submit():
        result, ok = attempt(form, lambda: exceptions.request_between(current_user, form.enterprise.data,
                                                                      form.provider.data, form.reason.data))
        if ok:
            approval, _granted = result
            if approval.status == "pending":
                flash(_("Sent for approval: a second operator approves the exception before it can be used."), "success")
                return redirect(url_for("admin.approvals_page"))
            flash(_("Exception approved: the enterprise's next order with this provider may use vouchers."), "success")
            return redirect(url_for("admin.party_exceptions"))
    return page_for("admin/party_exception_form.html", form, four_eyes=approvals.four_eyes())
