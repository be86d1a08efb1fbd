"""Public catalogue pages and uploaded files. Provider pages live in provider_views (same blueprint)."""
import re
from pathlib import PurePath

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict

from marketplace.catalog import images, providers, queries, uploads
from marketplace.catalog.markdown import render_markdown
from marketplace.errors import handle_http_exception
from marketplace.page_cache import per_generation
from marketplace.pagination import paginate

bp = Blueprint("catalog", __name__)
TOKEN = re.compile(r"^[0-9a-f]{32}$")


@bp.app_errorhandler(413)
def upload_too_large(error):
    """The body was refused unread, so forms built while rendering the error page (the logout
    button's CSRF token) must not try to parse it again, or the 413 page itself fails as a 500."""
    request.__dict__["form"] = ImmutableMultiDict()
    request.__dict__["files"] = ImmutableMultiDict()
    return handle_http_exception(error)


@bp.app_template_filter("markdown")
def markdown_filter(text):
    return render_markdown(text)


bp.add_app_template_global(queries.card_facts, "card_facts")
bp.add_app_template_global(images.picture, "picture_of")
bp.add_app_template_filter(images.monogram, "monogram")


def sort_arg():
    sort = request.args.get("sort", "newest")
    return sort if sort in queries.SORTS else "newest"


@bp.route("/")
def home():
    from marketplace.vouchers.programs import highest_open_ratio

    return render_template("catalog/home.html", categories=queries.top_categories(),
                           counts=per_generation("category_counts", queries.category_counts),
                           featured=queries.featured_listings(per_generation("featured_ids",
                                                                             queries.featured_listing_ids)),
                           voucher_ratio=per_generation("highest_open_ratio", highest_open_ratio))


@bp.route("/categories/<slug>")
def category(slug):
    category = queries.get_category(slug)
    sort = sort_arg()
    counts = per_generation("category_counts", queries.category_counts)
    query = queries.sorted_by(queries.in_category(queries.published_listings(), category,
                                                  queries.walks_newest(category, sort, counts)), sort)
    page = paginate(query, current_app.config["PER_PAGE"], total=counts.get(category.id, 0))
    return render_template("catalog/category.html", category=category, top=category.top, page=page,
                           sort=sort, sorts=queries.SORTS)


@bp.route("/listings/<int:listing_id>")
def listing(listing_id):
    listing = queries.public_listing(listing_id)
    profile = providers.profile_of(listing.provider)
    from marketplace.orders.services import rating_summary, reviews_for

    return render_template("catalog/listing.html", listing=listing, revision=listing.published_revision,
                           profile=profile, today=providers.today(), rating=rating_summary(listing_id=listing.id),
                           reviews=reviews_for(listing_id=listing.id))


@bp.route("/providers/<int:organisation_id>")
def provider(organisation_id):
    profile = providers.public_profile(organisation_id)
    sort = sort_arg()
    page = paginate(queries.provider_listings(organisation_id, sort), current_app.config["PER_PAGE"])
    from marketplace.orders.services import rating_summary, reviews_for

    return render_template("catalog/provider.html", profile=profile, page=page, sort=sort, sorts=queries.SORTS,
                           today=providers.today(), rating=rating_summary(provider_id=organisation_id),
                           reviews=reviews_for(provider_id=organisation_id, limit=5))


@bp.route("/files/<token>")
def file(token):
    """An uploaded file by its random token (the file itself: delivery reports, evidence,
    qualifications, attachments, full-size images); public only while a published listing shows it."""
    stored = viewable(token)
    return send_stored(stored, stored.stored_name, stored.content_type)


@bp.route("/files/<token>/thumb")
def file_thumb(token):
    """An image's thumbnail (only images have one)."""
    stored = viewable(token)
    return send_stored(stored, stored.thumb_name, "image/jpeg")


@bp.route("/files/<token>/<filename>")
def file_variant(token, filename):
    """A WebP or JPEG variant of an image shown on pages (`<width>.webp`, `<width>.jpg`). Its
    name never changes content, so browsers may keep a public one for a year."""
    stored, wanted = viewable(token), images.parse_variant(filename)
    if wanted is None or wanted[0] not in images.stored_widths(stored):
        abort(404)
    width, extension = wanted
    response = send_stored(stored, images.variant_name(stored.token, width, extension),
                           images.VARIANT_FORMATS[extension][1])
    if response.cache_control.public:
        response.cache_control.max_age = images.IMMUTABLE_MAX_AGE
        response.cache_control.immutable = True
    return response


def viewable(token):
    """The stored file the visitor may see, or 404."""
    stored = uploads.get_file(token) if TOKEN.match(token) else None
    if stored is None or not uploads.can_view(stored, current_user):
        abort(404)
    return stored


def send_stored(stored, name, mimetype):
    if not name:
        abort(404)
    is_pdf = stored.content_type == "application/pdf"
    download_name = PurePath(stored.original_name).stem + PurePath(name).suffix
    response = send_file(uploads.open_stored(name), as_attachment=is_pdf, download_name=download_name,
                         mimetype=mimetype, max_age=3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response.cache_control.public = uploads.is_public(stored)
    response.cache_control.private = not response.cache_control.public
    return response
