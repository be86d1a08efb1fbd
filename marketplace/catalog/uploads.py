"""Uploaded files: checked by their content (Pillow for images, the magic bytes for PDF), stored
with generated names (under UPLOAD_DIR, or in the S3 bucket of STORAGE_URL: marketplace.storage),
images re-encoded (drops EXIF and anything appended) and thumbnailed. Nothing the client says
about a file (name, type) is trusted."""
import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from PIL import Image, UnidentifiedImageError
from sqlalchemy import exists, select

from marketplace.catalog import images
from marketplace.catalog.models import AdmissionStatus, Listing, ListingImage, ListingStatus, ProviderProfile, \
    StoredFile
from marketplace.errors import NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.i18n import N_
from marketplace.storage import StoredObjectMissing, storage, track_written

IMAGE_FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 2400
THUMB_SIZE = (480, 360)


@dataclass(frozen=True)
class Upload:
    """What a view hands in: the client's file name and the bytes read from the request."""

    filename: str
    data: bytes


def safe_display_name(filename, default="file"):
    """The client's name reduced to its last path part, without control or quoting characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>;:|?*')
    return name.strip()[:120] or default


def check_size(upload, limit, field):
    if not upload.data:
        raise ValidationFailed(N_("Choose a file to upload."), field=field)
    if len(upload.data) > limit:
        raise ValidationFailed(N_("The file is too large: at most %(mb)d MB."), field=field, mb=limit // 2**20)


def open_image(data, field):
    """A verified, fully decoded Pillow image, or ValidationFailed."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                probe.verify()
            image = Image.open(io.BytesIO(data))
            if image.format not in IMAGE_FORMATS:
                raise ValidationFailed(N_("Only JPEG, PNG or WebP images are accepted."), field=field)
            if image.width * image.height > MAX_PIXELS:
                raise ValidationFailed(N_("The image has too many pixels."), field=field)
            image.load()
            return image
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as error:
        raise ValidationFailed(N_("This file is not a valid image (JPEG, PNG or WebP)."), field=field) from error


def encode(image, fmt):
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, fmt, **({"quality": 88} if fmt in ("JPEG", "WEBP") else {}))
    return buffer.getvalue()


def make_thumbnail(image):
    thumb = image.copy()
    thumb.thumbnail(THUMB_SIZE)
    return encode(images.flattened(thumb), "JPEG")


@dataclass(frozen=True)
class EncodedImage:
    """An image ready to store: the re-encoded original, its thumbnail and, for images shown on
    pages, the WebP and JPEG variants {(width, extension): bytes} (marketplace.catalog.images)."""

    fmt: str
    body: bytes
    thumb: bytes
    width: int
    height: int
    variants: dict


def encode_image(image, purpose, fmt=None):
    """Re-encode a checked image (at most MAX_SIDE pixels a side, in its own format unless `fmt`
    says) with its thumbnail and, for images shown on pages, its variants."""
    fmt = fmt or image.format
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    variants = images.make_variants(image) if purpose in images.SHOWN_PURPOSES else {}
    return EncodedImage(fmt, encode(image, fmt), make_thumbnail(image), image.width, image.height, variants)


def store_image(organisation, upload, purpose, field="image"):
    """Check, re-encode and thumbnail an image; returns a flushed StoredFile. Raises ValidationFailed."""
    check_size(upload, MAX_IMAGE_BYTES, field)
    return store_encoded(organisation, upload.filename, purpose, encode_image(open_image(upload.data, field), purpose))


def store_encoded(organisation, filename, purpose, encoded):
    """Write an encoded image under a fresh token (also used by the demo seed); a flushed StoredFile."""
    content_type, extension = IMAGE_FORMATS[encoded.fmt]
    token = secrets.token_hex(16)
    write(token + extension, encoded.body)
    write(token + "_t.jpg", encoded.thumb)
    write_variants(token, encoded.variants)
    stored = record(organisation, filename, purpose, token, content_type, token + extension,
                    token + "_t.jpg", len(encoded.body))
    stored.width, stored.height = encoded.width, encoded.height
    stored.variant_widths = widths_text(encoded.variants)
    return stored


def widths_text(variants):
    return ",".join(str(width) for width in sorted({width for width, _ in variants})) or None


def write_variants(token, variants):
    for (width, extension), data in variants.items():
        write(images.variant_name(token, width, extension), data)


def without_variants(limit=100):
    """Ids of images shown on pages that were stored before variants were made."""
    return list(db.session.scalars(select(StoredFile.id).where(
        StoredFile.purpose.in_(images.SHOWN_PURPOSES), StoredFile.variant_widths.is_(None),
        StoredFile.content_type.like("image/%")).order_by(StoredFile.id).limit(limit)))


def add_variants(file_id):
    """Make the missing variants of one stored image from its original. Raises NotFound if the
    original is gone, ValidationFailed if it no longer opens as an image."""
    stored = db.session.get(StoredFile, file_id)
    image = open_image(open_stored(stored.stored_name).getvalue(), "image")
    variants = images.make_variants(image)
    write_variants(stored.token, variants)
    stored.width, stored.height = image.width, image.height
    stored.variant_widths = widths_text(variants)
    db.session.flush()
    return stored


DOCUMENT_KINDS = {"qualification": N_("Upload a PDF or an image (JPEG, PNG or WebP) of the certificate.")}
OTHER_DOCUMENT = N_("Upload a PDF or an image (JPEG, PNG or WebP).")


def store_document(organisation, upload, purpose, field="file"):
    """A document (qualification scan, delivery report, attachment, evidence): an image (as
    store_image) or a PDF checked by its header. The refusal speaks of what `purpose` is for."""
    check_size(upload, MAX_DOCUMENT_BYTES, field)
    if upload.data[:5] == b"%PDF-":
        token = secrets.token_hex(16)
        write(token + ".pdf", upload.data)
        return record(organisation, upload.filename, purpose, token, "application/pdf", token + ".pdf", None, len(upload.data))
    try:
        return store_image(organisation, upload, purpose, field)
    except ValidationFailed as error:
        raise ValidationFailed(DOCUMENT_KINDS.get(purpose, OTHER_DOCUMENT), field=field) from error


def upload_dir():
    """The local upload folder (UPLOAD_DIR), where LocalStorage keeps the files."""
    return Path(current_app.config["UPLOAD_DIR"])


def write(name, data):
    """Store the bytes before the row naming them is flushed; a transaction that ends without a
    commit deletes them again (marketplace.storage)."""
    storage().put(name, data)
    track_written(db.session, name)


def record(organisation, filename, purpose, token, content_type, stored_name, thumb_name, size):
    stored = StoredFile(token=token, organisation_id=organisation.id, purpose=purpose,
                        original_name=safe_display_name(filename), content_type=content_type,
                        stored_name=stored_name, thumb_name=thumb_name, size=size)
    db.session.add(stored)
    db.session.flush()
    return stored


def is_public(stored):
    """A listing image is public while a published listing shows it, a logo while its provider is admitted."""
    if stored.purpose == "logo":
        return db.session.scalar(select(exists().where(ProviderProfile.logo_file_id == stored.id,
                                                       ProviderProfile.status == AdmissionStatus.ADMITTED)))
    if stored.purpose != "listing":
        return False
    shown = (select(ListingImage.id).join(Listing, Listing.published_revision_id == ListingImage.revision_id)
             .where(ListingImage.file_id == stored.id, Listing.status == ListingStatus.PUBLISHED))
    return db.session.scalar(select(exists(shown)))


def can_view(stored, viewer):
    if is_public(stored):
        return True
    if viewer is None or not viewer.is_authenticated:
        return False
    if viewer.is_admin or viewer.organisation_id == stored.organisation_id:
        return True
    if stored.purpose == "order":  # delivery reports and thread attachments: both parties of the order
        from marketplace.orders.files import shared_with

        return shared_with(stored, viewer)
    return False


def open_stored(name):
    """The stored bytes, read whole (files are small, at most 10 MB) so no handle or connection
    to the object store outlives the request; the view streams them after its access check."""
    try:
        return io.BytesIO(storage().get(name))
    except StoredObjectMissing as error:
        raise NotFound() from error


def get_file(token):
    return db.session.scalar(select(StoredFile).where(StoredFile.token == token))
