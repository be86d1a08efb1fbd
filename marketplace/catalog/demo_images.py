"""Generated pictures for the demo catalogue, drawn with Pillow (no downloads): a cover per
sub-category (a diagonal gradient in the category's colours, a background pattern and a line-drawn
emblem, marketplace.catalog.demo_emblems) and a monogram logo per provider (initials in the CJK font found by fc-match). The same
inputs always give the same pixels.

    python -m marketplace.catalog.demo_images OUT_DIR   # writes every cover and a sample logo
"""
import functools
import subprocess
import zlib

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from marketplace.catalog.demo_emblems import EMBLEMS, emblem_for
from marketplace.catalog.images import monogram

COVER_SIZE = (960, 720)
LOGO_SIZE = 320
PATTERNS = 3  # covers per category: the same emblem over different patterns and shades
# top category slug → (dark, light) colours, close to the category colours of the stylesheet
PALETTES = {
    "ip": ("#1d3b6e", "#3f7bd0"), "testing": ("#14532d", "#2f9e68"), "rnd": ("#4c1d7a", "#9a64d6"),
    "consulting": ("#9a3412", "#f07a3c"), "transfer": ("#0b5560", "#1fa5a5"), "finance": ("#7a5200", "#d9a526"),
    "incubation": ("#8c1d4a", "#e0608e"), "training": ("#2f3a4e", "#6b7f9f"), "data": ("#124a80", "#3fa0e8"),
}
DEFAULT_PALETTE = ("#1d3b6e", "#2b5aa6")
LOGO_COLOURS = ("#1d3b6e", "#14532d", "#4c1d7a", "#9a3412", "#0b5560", "#7a5200", "#8c1d4a", "#124a80")
WHITE = (255, 255, 255)


@functools.cache
def cjk_font_path():
    """The file of an installed font with Chinese glyphs (fonts-wqy-microhei), or None."""
    try:
        found = subprocess.run(["fc-match", "-f", "%{file}", "WenQuanYi Micro Hei:lang=zh"], capture_output=True,
                               text=True, timeout=5, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return found if found.lower().endswith((".ttc", ".ttf", ".otf")) else None


def font(size):
    path = cjk_font_path()
    if path:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            pass
    return ImageFont.load_default(size=size)


def rgb(colour):
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def shade(colour, factor):
    return tuple(max(0, min(255, round(channel * factor))) for channel in colour)


def gradient(size, dark, light):
    """A diagonal gradient from `dark` (top left) to `light` (bottom right)."""
    down = Image.linear_gradient("L")
    mask = ImageChops.add(down.resize(size), down.rotate(90).transpose(Image.Transpose.FLIP_LEFT_RIGHT).resize(size),
                          scale=2.0)
    return Image.composite(Image.new("RGB", size, light), Image.new("RGB", size, dark), mask)


def cover(slug, pattern=0):
    """A (sub-)category's cover picture (960×720, RGB) in its top category's colours: `pattern`
    0…PATTERNS-1 picks the background."""
    dark, light = (rgb(c) for c in PALETTES.get(slug.split("-")[0], DEFAULT_PALETTE))
    image = gradient(COVER_SIZE, shade(dark, 1 - 0.08 * pattern), shade(light, 1 - 0.05 * pattern))
    overlay = Image.new("RGBA", COVER_SIZE, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    (dots, stripes, rings)[pattern % PATTERNS](draw)
    image.paste(WHITE, mask=glow_mask())
    image.paste(overlay, mask=overlay)
    emblem = Image.new("RGBA", COVER_SIZE, (0, 0, 0, 0))
    emblem_for(slug)(ImageDraw.Draw(emblem), 480, 360, 130)
    image.paste(emblem, mask=emblem)
    return image


@functools.cache
def glow_mask():
    """A soft light behind the emblem: blurred small (fast), then enlarged."""
    small = Image.new("L", (COVER_SIZE[0] // 8, COVER_SIZE[1] // 8), 0)
    ImageDraw.Draw(small).ellipse((37, 22, 83, 68), fill=46)
    return small.filter(ImageFilter.GaussianBlur(5)).resize(COVER_SIZE, Image.Resampling.BILINEAR)


# -- background patterns (faint white) ---------------------------------------------------------
def dots(draw):
    for x in range(24, 960, 48):
        for y in range(24, 720, 48):
            draw.ellipse((x - 3, y - 3, x + 3, y + 3), fill=(255, 255, 255, 34))


def stripes(draw):
    for offset in range(-720, 960, 40):
        draw.line((offset, 720, offset + 720, 0), fill=(255, 255, 255, 22), width=10)


def rings(draw):
    for radius in range(60, 900, 60):
        draw.ellipse((900 - radius, 660 - radius, 900 + radius, 660 + radius), outline=(255, 255, 255, 30), width=4)


def logo(name):
    """A provider's monogram logo (320×320, RGB): its initials on a colour picked by its name."""
    colour = rgb(LOGO_COLOURS[zlib.crc32(name.encode()) % len(LOGO_COLOURS)])
    image = gradient((LOGO_SIZE, LOGO_SIZE), colour, shade(colour, 1.45))
    draw = ImageDraw.Draw(image)
    text = monogram(name)
    size = 118 if len(text) > 1 else 160
    draw.text((LOGO_SIZE / 2, LOGO_SIZE / 2), text, font=font(size), fill=WHITE, anchor="mm")
    return image


@functools.cache
def encoded_cover(slug, pattern):
    """A cover encoded for storing (JPEG with its variants): drawn and encoded once per process."""
    from marketplace.catalog.uploads import encode_image

    return encode_image(cover(slug, pattern), "listing", fmt="JPEG")


@functools.cache
def encoded_logo(name):
    from marketplace.catalog.uploads import encode_image

    return encode_image(logo(name), "logo", fmt="PNG")


def pattern_of(slug):
    """The background of a sub-category's cover: fixed by its slug, so a re-seed draws the same picture."""
    return zlib.crc32(slug.encode()) % PATTERNS


def main(argv):
    from pathlib import Path

    out = Path(argv[1] if len(argv) > 1 else "demo-images")
    out.mkdir(parents=True, exist_ok=True)
    for slug in EMBLEMS:
        cover(slug, pattern_of(slug)).save(out / f"cover-{slug}.png")
    logo("厦门鹭江知识产权代理事务所").save(out / "logo-sample.png")
    print(f"written to {out}")


if __name__ == "__main__":
    import sys

    main(sys.argv)
