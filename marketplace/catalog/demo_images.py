"""Generated pictures for the demo catalogue, drawn with Pillow (no downloads): a cover per
category (a diagonal gradient in the category's colours, a background pattern and a line-drawn
emblem) and a monogram logo per provider (initials in the CJK font found by fc-match). The same
inputs always give the same pixels.

    python -m marketplace.catalog.demo_images OUT_DIR   # writes every cover and a sample logo
"""
import functools
import math
import subprocess
import zlib

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

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
    """A category's cover picture (960×720, RGB): `pattern` 0…PATTERNS-1 picks the variation."""
    dark, light = (rgb(c) for c in PALETTES.get(slug, DEFAULT_PALETTE))
    image = gradient(COVER_SIZE, shade(dark, 1 - 0.08 * pattern), shade(light, 1 - 0.05 * pattern))
    overlay = Image.new("RGBA", COVER_SIZE, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    (dots, stripes, rings)[pattern % PATTERNS](draw)
    image.paste(WHITE, mask=glow_mask())
    image.paste(overlay, mask=overlay)
    emblem = Image.new("RGBA", COVER_SIZE, (0, 0, 0, 0))
    EMBLEMS.get(slug, bulb)(ImageDraw.Draw(emblem), 480, 360, 130)
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


# -- emblems: white line drawings centred on (cx, cy), about 2r wide ---------------------------
LINE = (255, 255, 255, 235)


def bulb(draw, cx, cy, r):  # intellectual property: an idea
    draw.ellipse((cx - r * .8, cy - r, cx + r * .8, cy + r * .6), outline=LINE, width=14)
    for step in range(3):
        y = cy + r * .75 + step * 26
        draw.rounded_rectangle((cx - r * .4, y, cx + r * .4, y + 14), radius=7, fill=LINE)
    draw.line((cx - 20, cy + r * .6, cx, cy, cx + 20, cy + r * .6), fill=LINE, width=10, joint="curve")


def flask(draw, cx, cy, r):  # testing: a laboratory flask with bubbles
    neck, top = r * .28, cy - r
    draw.line((cx - neck, top, cx - neck, cy - r * .2, cx - r, cy + r * .9, cx + r, cy + r * .9,
               cx + neck, cy - r * .2, cx + neck, top), fill=LINE, width=14, joint="curve")
    draw.line((cx - neck - 24, top, cx + neck + 24, top), fill=LINE, width=14)
    draw.polygon((cx - r * .62, cy + r * .35, cx + r * .62, cy + r * .35, cx + r * .9, cy + r * .85,
                  cx - r * .9, cy + r * .85), fill=(255, 255, 255, 120))
    for bx, by, br in ((-.2, .1, 14), (.15, -.15, 10), (0, -.45, 8)):
        draw.ellipse((cx + bx * r - br, cy + by * r - br, cx + bx * r + br, cy + by * r + br), outline=LINE, width=6)


def gear(draw, cx, cy, r):  # research and design: a gear over a drafting square
    points = []
    for tooth in range(10):
        for k, radius in enumerate((r * .78, r, r, r * .78)):
            angle = (tooth + (k - .5) * .25) * 2 * math.pi / 10
            points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    draw.polygon(points, outline=LINE, width=12)
    draw.ellipse((cx - r * .32, cy - r * .32, cx + r * .32, cy + r * .32), outline=LINE, width=12)


def chart(draw, cx, cy, r):  # consulting: rising bars and an arrow
    for i, height in enumerate((.5, .85, 1.2, 1.6)):
        x = cx - r + i * r * .55
        draw.rounded_rectangle((x, cy + r - height * r, x + r * .36, cy + r), radius=8, fill=(255, 255, 255, 200))
    draw.line((cx - r, cy - r * .1, cx - r * .2, cy - r * .6, cx + r * .2, cy - r * .35, cx + r, cy - r * 1.05),
              fill=LINE, width=12, joint="curve")
    draw.polygon((cx + r + 10, cy - r * 1.12, cx + r * .7, cy - r * 1.1, cx + r * .95, cy - r * .82), fill=LINE)


def exchange(draw, cx, cy, r):  # technology transfer: two arrows turning into each other
    box = (cx - r, cy - r, cx + r, cy + r)
    draw.arc(box, 200, 340, fill=LINE, width=14)
    draw.arc(box, 20, 160, fill=LINE, width=14)
    for angle, turn in ((340, 1), (160, 1)):
        x, y = cx + r * math.cos(math.radians(angle)), cy + r * math.sin(math.radians(angle))
        tangent = math.radians(angle + 90 * turn)
        tip = (x + 34 * math.cos(tangent), y + 34 * math.sin(tangent))
        side = math.radians(angle)
        draw.polygon((tip, (x + 26 * math.cos(side), y + 26 * math.sin(side)),
                      (x - 26 * math.cos(side), y - 26 * math.sin(side))), fill=LINE)
    draw.ellipse((cx - r * .28, cy - r * .28, cx + r * .28, cy + r * .28), fill=(255, 255, 255, 150))


def coins(draw, cx, cy, r):  # finance: a stack of coins and a rising line
    for i in range(4):
        y = cy + r * .8 - i * 38
        draw.ellipse((cx - r * .9, y - 24, cx + r * .1, y + 24), fill=(255, 255, 255, 90 + 35 * i), outline=LINE, width=6)
    draw.line((cx + r * .25, cy + r * .6, cx + r * .55, cy + r * .1, cx + r * .75, cy + r * .3, cx + r * 1.1, cy - r * .6),
              fill=LINE, width=12, joint="curve")
    draw.ellipse((cx + r * 1.1 - 14, cy - r * .6 - 14, cx + r * 1.1 + 14, cy - r * .6 + 14), fill=LINE)


def sprout(draw, cx, cy, r):  # incubation: a sprout in a pot
    draw.line((cx, cy + r * .5, cx, cy - r * .3), fill=LINE, width=12)
    draw.chord((cx - r * .9, cy - r * .9, cx + r * .05, cy - r * .05), 200, 20, fill=(255, 255, 255, 210))
    draw.chord((cx - r * .05, cy - r * 1.1, cx + r * .8, cy - r * .35), 160, 340, fill=(255, 255, 255, 170))
    draw.polygon((cx - r * .6, cy + r * .5, cx + r * .6, cy + r * .5, cx + r * .45, cy + r, cx - r * .45, cy + r),
                 outline=LINE, width=12)


def cap(draw, cx, cy, r):  # training: a graduation cap over an open book
    draw.polygon((cx, cy - r * .9, cx + r * 1.1, cy - r * .45, cx, cy, cx - r * 1.1, cy - r * .45), fill=(255, 255, 255, 220))
    draw.line((cx - r * .6, cy - r * .2, cx - r * .6, cy + r * .15, cx, cy + r * .35, cx + r * .6, cy + r * .15,
               cx + r * .6, cy - r * .2), fill=LINE, width=12, joint="curve")
    draw.line((cx + r * .95, cy - r * .45, cx + r * .95, cy + r * .2), fill=LINE, width=8)
    draw.line((cx - r, cy + r * .7, cx, cy + r * .9, cx + r, cy + r * .7), fill=LINE, width=12, joint="curve")


def network(draw, cx, cy, r):  # data: connected nodes
    nodes = [(cx + r * math.cos(a) * s, cy + r * math.sin(a) * s)
             for a, s in ((0, 1), (1.1, .85), (2.2, 1), (3.3, .8), (4.4, 1), (5.4, .9))]
    for x, y in nodes:
        draw.line((cx, cy, x, y), fill=(255, 255, 255, 170), width=8)
    for (x1, y1), (x2, y2) in zip(nodes, nodes[1:] + nodes[:1]):
        draw.line((x1, y1, x2, y2), fill=(255, 255, 255, 110), width=5)
    for x, y in nodes:
        draw.ellipse((x - 20, y - 20, x + 20, y + 20), fill=LINE)
    draw.ellipse((cx - 38, cy - 38, cx + 38, cy + 38), fill=LINE)


EMBLEMS = {"ip": bulb, "testing": flask, "rnd": gear, "consulting": chart, "transfer": exchange,
           "finance": coins, "incubation": sprout, "training": cap, "data": network}


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


def pattern_of(key):
    """The cover variation of a listing: fixed by its key, so a re-seed draws the same picture."""
    return zlib.crc32(key.encode()) % PATTERNS


def main(argv):
    from pathlib import Path

    out = Path(argv[1] if len(argv) > 1 else "demo-images")
    out.mkdir(parents=True, exist_ok=True)
    for slug in PALETTES:
        for pattern in range(PATTERNS):
            cover(slug, pattern).save(out / f"cover-{slug}-{pattern}.png")
    logo("厦门鹭江知识产权代理事务所").save(out / "logo-sample.png")
    print(f"written to {out}")


if __name__ == "__main__":
    import sys

    main(sys.argv)
