"""Admin pages of the catalogue: provider admission (入库), listing moderation with a diff, CSV import."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.admin.views import bp
from marketplace.auth.decorators import admin_required, operator_required
from marketplace.auth.forms import ConfirmForm
from marketplace.catalog import moderation, providers
from marketplace.catalog.forms import ImportForm, ReasonForm
from marketplace.catalog.importer import ImportRefused, NothingImported, import_all_or_nothing
from marketplace.catalog.models import AdmissionStatus, ProviderProfile
from marketplace.errors import InvalidState, ValidationFailed
from marketplace.extensions import db
from marketplace.forms import apply_domain_error
from marketplace.i18n import N_
from marketplace.ledger import run_in_transaction
from marketplace.pagination import paginate

USER_ERRORS = (InvalidState, ValidationFailed)
MAX_ERRORS_SHOWN = 200


@bp.route("/catalog/providers")
@admin_required
def catalog_providers():
    status = request.args.get("status", AdmissionStatus.PENDING)
    if status not in set(AdmissionStatus) | {"expired"}:
        abort(404)
    if status == "expired":
        profiles, page = providers.profiles_with_expired_qualifications(), None
    else:
        query = (select(ProviderProfile).where(ProviderProfile.status == status)
                 .options(selectinload(ProviderProfile.organisation), selectinload(ProviderProfile.qualifications))
                 .order_by(ProviderProfile.submitted_at, ProviderProfile.id))
        page = paginate(query, current_app.config["PER_PAGE"])
        profiles = page.items
    return render_template("admin/catalog_providers.html", profiles=profiles, page=page, status=status,
                           statuses=list(AdmissionStatus), flags=providers.qualification_flags,
                           expired_count=len(providers.profiles_with_expired_qualifications()))


def render_provider(profile, reason_form=None, status=200):
    expired, expiring = providers.qualification_flags(profile)
    return render_template("admin/catalog_provider.html", profile=profile, confirm=ConfirmForm(),
                           reason_form=reason_form or ReasonForm(), expired=expired, expiring=expiring,
                           today=providers.today()), status


@bp.route("/catalog/providers/<int:profile_id>")
@admin_required
def catalog_provider(profile_id):
    return render_provider(providers.get_profile(profile_id))


PROVIDER_DECISIONS = {
    "admit": (lambda actor, pid, reason: providers.decide_admission(actor, pid, True), N_("%(name)s is admitted.")),
    "reject": (lambda actor, pid, reason: providers.decide_admission(actor, pid, False, reason),
               N_("%(name)s is rejected; the provider sees your reason.")),
    "suspend": (providers.suspend_provider, N_("%(name)s is suspended and its listings are unpublished.")),
    "reinstate": (lambda actor, pid, reason: providers.reinstate_provider(actor, pid), N_("%(name)s is reinstated.")),
}


@bp.route("/catalog/providers/<int:profile_id>/<any(admit, reject, suspend, reinstate):decision>", methods=["POST"])
@operator_required
def catalog_provider_decide(profile_id, decision):
    needs_reason = decision in ("reject", "suspend")
    form = ReasonForm() if needs_reason else ConfirmForm()
    if not form.validate_on_submit():
        if not needs_reason:
            abort(400)
        return render_provider(providers.get_profile(profile_id), form, 422)
    service, message = PROVIDER_DECISIONS[decision]
    reason = getattr(form, "reason", None) and form.reason.data
    try:
        profile = run_in_transaction(db.session, lambda: service(current_user, profile_id, reason))
    except USER_ERRORS as error:
        if needs_reason:
            apply_domain_error(form, error)
            return render_provider(providers.get_profile(profile_id), form, 422)
        flash(error.translated(), "error")
        return redirect(url_for("admin.catalog_provider", profile_id=profile_id))
    flash(_(message, name=profile.organisation.legal_name), "success")
    return redirect(url_for("admin.catalog_provider", profile_id=profile_id))


@bp.route("/catalog/listings")
@admin_required
def catalog_listings():
    page = paginate(moderation.pending_revisions_query(), current_app.config["PER_PAGE"])
    return render_template("admin/catalog_listings.html", page=page)


def render_review(revision, reason_form=None, status=200):
    return render_template("admin/catalog_listing.html", revision=revision, listing=revision.listing,
                           changes=moderation.revision_diff(revision), confirm=ConfirmForm(),
                           reason_form=reason_form or ReasonForm()), status


@bp.route("/catalog/listings/<int:revision_id>")
@admin_required
def catalog_listing(revision_id):
    return render_review(moderation.get_pending_revision(revision_id))


@bp.route("/catalog/listings/<int:revision_id>/approve", methods=["POST"])
@operator_required
def catalog_listing_approve(revision_id):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        revision = run_in_transaction(db.session, lambda: moderation.approve_revision(current_user, revision_id))
    except USER_ERRORS as error:
        flash(error.translated(), "error")
        return redirect(url_for("admin.catalog_listing", revision_id=revision_id))
    flash(_("“%(title)s” is approved and published.", title=revision.title), "success")
    return redirect(url_for("admin.catalog_listings"))


@bp.route("/catalog/listings/<int:revision_id>/reject", methods=["POST"])
@operator_required
def catalog_listing_reject(revision_id):
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            revision = run_in_transaction(db.session, lambda: moderation.reject_revision(
                current_user, revision_id, form.reason.data))
        except USER_ERRORS as error:
            apply_domain_error(form, error)
        else:
            flash(_("“%(title)s” is sent back to the provider.", title=revision.title), "info")
            return redirect(url_for("admin.catalog_listings"))
    return render_review(moderation.get_pending_revision(revision_id), form, 422)


@bp.route("/catalog/import", methods=["GET", "POST"])
@operator_required
def catalog_import():
    form, report = ImportForm(), None
    if form.validate_on_submit():
        raw = form.file.data.read()
        try:
            report = run_in_transaction(db.session, lambda: import_all_or_nothing(
                raw, actor=current_user, skip_invalid=form.skip_invalid.data))
        except ImportRefused as error:
            apply_domain_error(form, error)
        except NothingImported as stopped:
            report = stopped.report
    return render_template("admin/catalog_import.html", form=form, report=report, max_errors=MAX_ERRORS_SHOWN)

