"""Images shown on pages (listing covers, provider logos): WebP and JPEG variants in a few widths,
made once at upload and stored beside the original as `<token>_<width>.webp` / `.jpg`, and the
`<picture>` sources that offer them (WebP first, JPEG for browsers without it). Files stored
before variants existed have none (`variant_widths` NULL): pages fall back to their thumbnail
until `flask catalog image-variants` has made them."""
import io
from dataclasses import dataclass

from flask import url_for
from PIL import Image

from marketplace.inputs import parse_int

# thumb, card (1x), card on high-density screens and the listing page
VARIANT_WIDTHS = (160, 480, 960)
VARIANT_FORMATS = {"webp": ("WEBP", "image/webp"), "jpg": ("JPEG", "image/jpeg")}
SHOWN_PURPOSES = frozenset({"listing", "logo"})
IMMUTABLE_MAX_AGE = 365 * 24 * 3600


def variant_name(token, width, extension):
    return f"{token}_{width}.{extension}"


def widths_for(image_width):
    """The variant widths for an image `image_width` pixels wide: never enlarged."""
    return sorted({min(width, image_width) for width in VARIANT_WIDTHS})


def flattened(image):
    """RGB on white: JPEG has no transparency (a logo's transparent corners turn white, not black)."""
    if image.mode in ("RGB", "L"):
        return image
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, "white")
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def resized(image, width):
    if width >= image.width:
        return image
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=2.0)


def encode_variant(image, extension):
    fmt = VARIANT_FORMATS[extension][0]
    if fmt == "JPEG":
        image = flattened(image)
    elif image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() or image.mode == "P" else "RGB")
    buffer = io.BytesIO()
    options = {"quality": 82, "method": 2} if fmt == "WEBP" else {"quality": 84, "optimize": True, "progressive": True}
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def make_variants(image):
    """{(width, extension): bytes} for every variant width and format."""
    variants = {}
    for width in widths_for(image.width):
        smaller = resized(image, width)
        for extension in VARIANT_FORMATS:
            variants[(width, extension)] = encode_variant(smaller, extension)
    return variants


def parse_variant(filename):
    """(width, extension) of a variant's URL part `<width>.<ext>`, or None."""
    text, _, extension = filename.partition(".")
    width = parse_int(text, minimum=1, maximum=99999)  # the input boundary: ASCII digits only ("²" is no width)
    if width is None or extension not in VARIANT_FORMATS:
        return None
    return width, extension


def stored_widths(stored):
    return [int(width) for width in stored.variant_widths.split(",")] if stored.variant_widths else []


@dataclass(frozen=True)
class Picture:
    """What a `<picture>` needs: srcsets per format, the fallback src and the intrinsic size."""

    webp: str
    jpeg: str
    src: str
    width: int
    height: int


def picture(stored, preferred_width=480):
    """The sources of a stored image, or None when it has no variants (older uploads)."""
    widths = stored_widths(stored)
    if not widths:
        return None

    def url(width, extension):
        return url_for("catalog.file_variant", token=stored.token, filename=f"{width}.{extension}")

    def srcset(extension):
        return ", ".join(f"{url(width, extension)} {width}w" for width in widths)

    fallback = min((w for w in widths if w >= preferred_width), default=widths[-1])
    height = round(stored.height * fallback / stored.width) if stored.width and stored.height else fallback
    return Picture(webp=srcset("webp"), jpeg=srcset("jpg"), src=url(fallback, "jpg"), width=fallback, height=height)


PLACE_PREFIXES = ("厦门市", "厦门", "福建省", "福建", "中国")


def monogram(name):
    """A provider's initials for its placeholder logo: two characters of a Chinese name after the
    place name (厦门鹭江… → 鹭江), or the initials of a Latin one."""
    name = (name or "").strip()
    for prefix in PLACE_PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix) + 1:
            name = name[len(prefix):]
            break
    if name[:1].isascii():
        return "".join(word[0] for word in name.split()[:2]).upper() or "?"
    return name[:2]
