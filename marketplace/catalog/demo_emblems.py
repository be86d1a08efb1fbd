"""The emblems of the demo covers (marketplace.catalog.demo_images): white line drawings centred
on (cx, cy), about 2r wide, one per sub-category (the category's own where it has none)."""
import math

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


def wave(draw, cx, cy, r):  # EMC: an antenna and its waves
    points = [(cx - r + i * 2 * r / 60, cy + r * .25 + r * .35 * math.sin(i / 60 * 4 * math.pi)) for i in range(61)]
    draw.line(points, fill=LINE, width=12, joint="curve")
    draw.line((cx, cy - r * .2, cx, cy - r), fill=LINE, width=12)
    for radius in (.3, .55):
        draw.arc((cx - r * radius, cy - r - r * radius, cx + r * radius, cy - r + r * radius), 200, 340, fill=LINE, width=8)


def shield(draw, cx, cy, r):  # certification, insurance: a shield with a tick
    draw.line((cx, cy - r, cx + r * .85, cy - r * .65, cx + r * .75, cy + r * .2, cx, cy + r,
               cx - r * .75, cy + r * .2, cx - r * .85, cy - r * .65, cx, cy - r), fill=LINE, width=14, joint="curve")
    draw.line((cx - r * .38, cy, cx - r * .08, cy + r * .3, cx + r * .42, cy - r * .3), fill=LINE, width=16, joint="curve")


def magnifier(draw, cx, cy, r):  # analysis, instruments: a magnifying glass
    draw.ellipse((cx - r, cy - r, cx + r * .4, cy + r * .4), outline=LINE, width=14)
    draw.line((cx + r * .25, cy + r * .25, cx + r, cy + r), fill=LINE, width=26)
    draw.arc((cx - r * .7, cy - r * .7, cx + r * .1, cy + r * .1), 190, 260, fill=(255, 255, 255, 160), width=10)


def document(draw, cx, cy, r):  # contracts, copyright, applications: a page with lines and a seal
    draw.line((cx - r * .7, cy - r, cx + r * .35, cy - r, cx + r * .7, cy - r * .65, cx + r * .7, cy + r,
               cx - r * .7, cy + r, cx - r * .7, cy - r), fill=LINE, width=12, joint="curve")
    for i in range(4):
        y = cy - r * .45 + i * r * .3
        draw.line((cx - r * .42, y, cx + r * (.42 if i < 3 else .05), y), fill=(255, 255, 255, 200), width=10)
    draw.ellipse((cx + r * .2, cy + r * .45, cx + r * .6, cy + r * .85), outline=LINE, width=8)


def cube(draw, cx, cy, r):  # design, prototyping: an isometric cube
    top = [(cx, cy - r), (cx + r * .87, cy - r * .5), (cx, cy), (cx - r * .87, cy - r * .5)]
    draw.polygon(top, fill=(255, 255, 255, 90))
    draw.line(top + [top[0]], fill=LINE, width=12, joint="curve")
    draw.line((cx - r * .87, cy - r * .5, cx - r * .87, cy + r * .5, cx, cy + r, cx + r * .87, cy + r * .5,
               cx + r * .87, cy - r * .5), fill=LINE, width=12, joint="curve")
    draw.line((cx, cy, cx, cy + r), fill=LINE, width=12)


def code(draw, cx, cy, r):  # software: angle brackets and a slash
    draw.line((cx - r * .45, cy - r * .6, cx - r, cy, cx - r * .45, cy + r * .6), fill=LINE, width=16, joint="curve")
    draw.line((cx + r * .45, cy - r * .6, cx + r, cy, cx + r * .45, cy + r * .6), fill=LINE, width=16, joint="curve")
    draw.line((cx + r * .2, cy - r * .75, cx - r * .2, cy + r * .75), fill=LINE, width=14)


def people(draw, cx, cy, r):  # mentoring, management: two people
    for dx, scale, alpha in ((-.45, .85, 170), (.3, 1, 235)):
        x, head = cx + dx * r, r * .28 * scale
        draw.ellipse((x - head, cy - r * .55 - head, x + head, cy - r * .55 + head), fill=(255, 255, 255, alpha))
        draw.chord((x - r * .55 * scale, cy - r * .05, x + r * .55 * scale, cy + r * 1.05), 180, 360,
                   fill=(255, 255, 255, alpha))


def building(draw, cx, cy, r):  # co-working space: an office building
    draw.rectangle((cx - r * .6, cy - r, cx + r * .6, cy + r), outline=LINE, width=12)
    for row in range(4):
        for col in range(3):
            x, y = cx - r * .4 + col * r * .3, cy - r * .75 + row * r * .35
            draw.rectangle((x, y, x + r * .18, y + r * .2), fill=(255, 255, 255, 190))
    draw.line((cx - r, cy + r, cx + r, cy + r), fill=LINE, width=12)


def board(draw, cx, cy, r):  # roadshows: a presentation board with a rising chart
    draw.rectangle((cx - r, cy - r * .8, cx + r, cy + r * .5), outline=LINE, width=12)
    draw.line((cx - r * .7, cy + r * .2, cx - r * .2, cy - r * .2, cx + r * .15, cy, cx + r * .7, cy - r * .5),
              fill=LINE, width=10, joint="curve")
    draw.line((cx, cy + r * .5, cx - r * .45, cy + r), fill=LINE, width=10)
    draw.line((cx, cy + r * .5, cx + r * .45, cy + r), fill=LINE, width=10)


def chip(draw, cx, cy, r):  # computing: a processor with its pins
    draw.rounded_rectangle((cx - r * .65, cy - r * .65, cx + r * .65, cy + r * .65), radius=18, outline=LINE, width=12)
    draw.rectangle((cx - r * .28, cy - r * .28, cx + r * .28, cy + r * .28), fill=(255, 255, 255, 200))
    for i in range(4):
        offset = -r * .45 + i * r * .3
        draw.line((cx + offset, cy - r * .65, cx + offset, cy - r), fill=LINE, width=8)
        draw.line((cx + offset, cy + r * .65, cx + offset, cy + r), fill=LINE, width=8)
        draw.line((cx - r * .65, cy + offset, cx - r, cy + offset), fill=LINE, width=8)
        draw.line((cx + r * .65, cy + offset, cx + r, cy + offset), fill=LINE, width=8)


def mark(draw, cx, cy, r):  # trademarks: a registered mark in a ring
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=LINE, width=14)
    draw.line((cx - r * .35, cy + r * .5, cx - r * .35, cy - r * .5, cx + r * .1, cy - r * .5), fill=LINE, width=14,
              joint="curve")
    draw.arc((cx - r * .15, cy - r * .5, cx + r * .45, cy + r * .05), 270, 90, fill=LINE, width=14)
    draw.line((cx - r * .35, cy + r * .05, cx + r * .1, cy + r * .05), fill=LINE, width=14)
    draw.line((cx + r * .05, cy + r * .05, cx + r * .4, cy + r * .5), fill=LINE, width=14)


EMBLEMS = {
    "ip": bulb, "ip-trademark": mark, "ip-copyright": document, "ip-management": chart,
    "testing": flask, "testing-emc": wave, "testing-certification": shield, "testing-materials": magnifier,
    "rnd": gear, "rnd-industrial-design": cube, "rnd-prototyping": cube, "rnd-software": code,
    "consulting": chart, "consulting-grants": document, "consulting-rd-deduction": coins,
    "transfer": exchange, "transfer-valuation": chart, "transfer-contracts": document,
    "finance": coins, "finance-venture": board, "finance-insurance": shield,
    "incubation": sprout, "incubation-space": building, "incubation-mentoring": people, "incubation-roadshow": board,
    "training": cap, "training-management": people, "training-ip": bulb,
    "data": network, "data-instruments": magnifier, "data-computing": chip,
}


def emblem_for(slug):
    """The emblem of a (sub-)category: its own, else its top category's (the slug's first part)."""
    return EMBLEMS.get(slug) or EMBLEMS.get(slug.split("-")[0], bulb)
