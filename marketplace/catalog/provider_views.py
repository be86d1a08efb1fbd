"""A provider's own profile, qualifications and listings (/my/…). Every object is checked
against the logged-in provider by the services, which raise PermissionDenied or NotFound."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from marketplace.auth.decorators import role_required
from marketplace.auth.forms import ConfirmForm
from marketplace.catalog import listings, providers
from marketplace.catalog.forms import ImageForm, ListingForm, LogoForm, ProfileForm, QualificationForm
from marketplace.catalog.models import Category, ListingStatus
from marketplace.catalog.uploads import Upload
from marketplace.catalog.views import bp
from marketplace.errors import InvalidState, ValidationFailed
from marketplace.extensions import db
from marketplace.forms import apply_domain_error
from marketplace.i18n import N_
from marketplace.ledger import run_in_transaction
from marketplace.pagination import paginate

provider_required = role_required("provider")
USER_ERRORS = (InvalidState, ValidationFailed)


def upload_of(field):
    storage = field.data
    return Upload(filename=storage.filename or "", data=storage.read())


def category_choices(top_only=False):
    query = select(Category).order_by(Category.parent_id.is_not(None), Category.position)
    choices = []
    for category in db.session.scalars(query.where(Category.parent_id.is_(None))):
        choices.append(SelectChoice(category.slug, category.name))
        if not top_only:
            choices += [SelectChoice(child.slug, f"— {child.name}") for child in category.children]
    return choices


def one_click(action, message, target):
    """A POSTed action with only a CSRF token: run it, commit, flash, go back to `target`."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        run_in_transaction(db.session, action)
    except USER_ERRORS as error:
        flash(error.translated(), "error")
    else:
        flash(message, "success")
    return redirect(target)


# ---- profile and admission -------------------------------------------------------------------

def profile_form(profile):
    form = ProfileForm(obj=profile) if profile else ProfileForm(city=current_user.organisation.city)
    form.categories.choices = category_choices(top_only=True)
    if profile and not form.is_submitted():
        form.categories.data = [category.slug for category in profile.categories]
    return form


def render_profile(profile, form=None, qualification_form=None, status=200, logo_form=None):
    expired, expiring = providers.qualification_flags(profile) if profile else ([], [])
    return render_template("catalog/profile.html", profile=profile, form=form or profile_form(profile),
                           qualification_form=qualification_form or QualificationForm(),
                           logo_form=logo_form or LogoForm(),
                           problems=providers.admission_problems(profile) if profile else [],
                           expired=expired, expiring=expiring, confirm=ConfirmForm()), status


@bp.route("/my/profile", methods=["GET", "POST"])
@provider_required
def profile():
    profile = providers.own_profile(current_user)
    form = profile_form(profile)
    if form.validate_on_submit():
        data = providers.ProfileData(description=form.description.data, city=form.city.data,
                                     website=form.website.data or "", category_slugs=tuple(form.categories.data))
        try:
            run_in_transaction(db.session, lambda: providers.save_profile(current_user, data))
        except USER_ERRORS as error:
            apply_domain_error(form, error)
        else:
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("catalog.profile"))
    return render_profile(profile, form, status=422 if form.errors else 200)


@bp.route("/my/profile/qualifications", methods=["POST"])
@provider_required
def add_qualification():
    form = QualificationForm()
    if form.validate_on_submit():
        data = providers.QualificationData(kind=form.kind.data, number=form.number.data, issuer=form.issuer.data,
                                           valid_until=form.valid_until.data)
        upload = upload_of(form.file)
        try:
            run_in_transaction(db.session, lambda: providers.add_qualification(current_user, data, upload))
        except USER_ERRORS as error:
            apply_domain_error(form, error)
        else:
            flash(_("The qualification is added."), "success")
            return redirect(url_for("catalog.profile"))
    return render_profile(providers.own_profile(current_user), qualification_form=form, status=422)


@bp.route("/my/profile/logo", methods=["POST"])
@provider_required
def upload_logo():
    form = LogoForm()
    if form.validate_on_submit():
        upload = upload_of(form.logo)
        try:
            run_in_transaction(db.session, lambda: providers.set_logo(current_user, upload))
        except USER_ERRORS as error:
            apply_domain_error(form, error)
        else:
            flash(_("Your logo is saved."), "success")
            return redirect(url_for("catalog.profile"))
    return render_profile(providers.own_profile(current_user), logo_form=form, status=422)


@bp.route("/my/profile/qualifications/<int:qualification_id>/delete", methods=["POST"])
@provider_required
def remove_qualification(qualification_id):
    return one_click(lambda: providers.remove_qualification(current_user, qualification_id),
                     _("The qualification is removed."), url_for("catalog.profile"))


@bp.route("/my/profile/apply", methods=["POST"])
@provider_required
def apply():
    return one_click(lambda: providers.apply_for_admission(current_user),
                     _("Your application for admission is sent. An administrator will review it."),
                     url_for("catalog.profile"))


# ---- listings --------------------------------------------------------------------------------

@bp.route("/my/listings")
@provider_required
def my_listings():
    status = request.args.get("status", "")
    if status not in set(ListingStatus) - {ListingStatus.DELETED} | {""}:
        abort(404)
    page = paginate(listings.my_listings_query(current_user, status or None), current_app.config["PER_PAGE"])
    return render_template("catalog/my_listings.html", page=page, status=status,
                           profile=providers.own_profile(current_user),
                           statuses=[s for s in ListingStatus if s != ListingStatus.DELETED])


def listing_data(form):
    packages = tuple(listings.PackageData(name=entry.form.name.data, price_fen=entry.form.price.data,
                                          delivery_days=entry.form.delivery_days.data,
                                          includes=entry.form.includes.data or "")
                     for entry in form.packages.entries if not entry.form.is_blank())
    return listings.ListingData(
        title=form.title.data, category_slug=form.category.data, summary=form.summary.data or "",
        description=form.description.data or "", tags=form.tags.data or "", city=form.city.data or "",
        service_area=form.service_area.data or "", delivery_time=form.delivery_time.data or "",
        voucher_eligible=form.voucher_eligible.data, price_on_request=form.price_on_request.data, packages=packages)


def listing_form(revision=None):
    form = ListingForm(obj=revision)
    form.category.choices = category_choices()
    if revision is not None and not form.is_submitted():
        form.category.data = revision.category.slug
        for entry, package in zip(form.packages.entries, revision.packages):
            entry.form.price.data = package.price_fen
    return form


def save_listing(form, save, listing=None):
    if form.validate_on_submit():
        data = listing_data(form)
        try:
            saved = run_in_transaction(db.session, lambda: save(data))
        except USER_ERRORS as error:
            apply_domain_error(form, error)
        else:
            flash(_("The listing is saved. Submit it for review when it is ready."), "success")
            return redirect(url_for("catalog.my_listing", listing_id=saved.id))
    return render_template("catalog/listing_form.html", form=form, listing=listing), 422 if form.errors else 200


@bp.route("/my/listings/new", methods=["GET", "POST"])
@provider_required
def new_listing():
    form = listing_form()
    if not form.is_submitted():
        form.city.data = current_user.organisation.city
    return save_listing(form, lambda data: listings.create_listing(current_user, data))


@bp.route("/my/listings/<int:listing_id>/edit", methods=["GET", "POST"])
@provider_required
def edit_listing(listing_id):
    listing = listings.own_listing(current_user, listing_id)
    return save_listing(listing_form(listing.current),
                        lambda data: listings.update_listing(current_user, listing_id, data), listing)


@bp.route("/my/listings/<int:listing_id>")
@provider_required
def my_listing(listing_id):
    listing = listings.own_listing(current_user, listing_id)
    return render_template("catalog/my_listing.html", listing=listing, revision=listing.current,
                           image_form=ImageForm(), confirm=ConfirmForm(), profile=providers.own_profile(current_user))


@bp.route("/my/listings/<int:listing_id>/images", methods=["POST"])
@provider_required
def add_image(listing_id):
    form = ImageForm()
    listing = listings.own_listing(current_user, listing_id)
    if form.validate_on_submit():
        upload = upload_of(form.image)
        try:
            run_in_transaction(db.session, lambda: listings.add_image(current_user, listing_id, upload))
        except USER_ERRORS as error:
            apply_domain_error(form, error)
        else:
            flash(_("The image is added."), "success")
            return redirect(url_for("catalog.my_listing", listing_id=listing_id))
    return render_template("catalog/my_listing.html", listing=listing, revision=listing.current, image_form=form,
                           confirm=ConfirmForm(), profile=providers.own_profile(current_user)), 422


@bp.route("/my/listings/<int:listing_id>/images/<int:image_id>/delete", methods=["POST"])
@provider_required
def remove_image(listing_id, image_id):
    return one_click(lambda: listings.remove_image(current_user, listing_id, image_id),
                     _("The image is removed."), url_for("catalog.my_listing", listing_id=listing_id))


ACTIONS = {
    "submit": (listings.submit_listing, N_("The listing is sent for review.")),
    "unpublish": (listings.unpublish_listing, N_("The listing is no longer shown in the catalogue.")),
    "publish": (listings.republish_listing, N_("The listing is back in the catalogue.")),
    "delete": (listings.delete_listing, N_("The listing is deleted.")),
}


@bp.route("/my/listings/<int:listing_id>/<any(submit, unpublish, publish, delete):action>", methods=["POST"])
@provider_required
def listing_action(listing_id, action):
    service, message = ACTIONS[action]
    target = url_for("catalog.my_listings") if action == "delete" else url_for("catalog.my_listing", listing_id=listing_id)
    return one_click(lambda: service(current_user, listing_id), _(message), target)
