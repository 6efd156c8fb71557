"""Application frames: different pictures shown inside the same window, and screenshots.

A screenshot of an image viewer, a phone gallery or a web page is mostly *frame*: title
bars, toolbars, sidebars and a canvas that are the same in every screenshot of that app.
Two screenshots of *different* pictures in one app look alike to a whole-image hash; a
screenshot of a picture and the picture itself look different. Both kinds are generated
here:

* :func:`framed` puts a picture into frame design ``name`` at a given share of the frame's
  width (the ``frame-*`` stress families: one design, many different pictures);
* :func:`screenshot` puts an original into a frame at 35–60% of the frame's width (the
  ``screenshot`` transform: a copy that should be matched to its original).

Every design is drawn once (deterministically, cached) and everything outside the picture's
box is the same in every image of that design. The picture is fitted into the design's
canvas (keeping its proportions) and placed at the design's anchor.

The designs are split into two disjoint halves by their position in :data:`DESIGNS` (even
→ tuning, odd → held-out), so the held-out half holds app designs never seen when tuning.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Final

import numpy as np
from PIL import Image, ImageDraw

from neardup.tools.drawing import (
    Box,
    Colour,
    font,
    icons,
    nav_bar,
    status_bar,
    text_lines,
    title_bar,
    words,
)

#: The share of the frame's width a screenshot's picture takes.
SCREENSHOT_SHARE: Final = (0.35, 0.60)
#: The share of the frame's width a ``frame-*`` family picture takes (at most; the canvas
#: may make it smaller).
FAMILY_SHARE: Final = (0.30, 0.70)


@dataclass(frozen=True, slots=True)
class Design:
    """One application frame: its size, the canvas the picture goes into, where in the
    canvas the picture sits (``"centre"`` or ``"top"``) and how the rest is drawn."""

    name: str
    size: tuple[int, int]
    canvas: Box
    anchor: str
    draw: Callable[[ImageDraw.ImageDraw], None]
    background: Colour = (240, 240, 240)


# --------------------------------------------------------------------------- designs


def _viewer(d: ImageDraw.ImageDraw) -> None:
    rng = np.random.default_rng(101)
    title_bar(d, 1024, 30, "Image Viewer")
    d.rectangle((0, 30, 1024, 72), fill=(236, 236, 236))
    d.line((0, 72, 1024, 72), fill=(200, 200, 200))
    icons(d, 196, 38, 9, 26, 10, (150, 150, 158))
    d.rectangle((0, 73, 180, 690), fill=(246, 246, 248))
    d.line((180, 73, 180, 690), fill=(205, 205, 205))
    for k in range(16):
        y = 88 + 34 * k
        d.rectangle((14, y, 30, y + 14), fill=(120, 150, 200))
        d.text((38, y), words(rng, 2)[:18], font=font(12), fill=(50, 50, 50))
    d.rectangle((0, 690, 1024, 720), fill=(226, 226, 226))
    d.text((196, 698), "100%   |   sRGB   |   1 of 48", font=font(12), fill=(70, 70, 70))


def _web(d: ImageDraw.ImageDraw) -> None:
    rng = np.random.default_rng(102)
    d.rectangle((0, 0, 1024, 36), fill=(225, 228, 232))
    d.rounded_rectangle((120, 6, 900, 30), 12, fill=(255, 255, 255))
    d.text(
        (140, 11),
        "https://www.example-news.org/stories/photo-of-the-day",
        font=font(12),
        fill=(90, 90, 90),
    )
    d.rectangle((0, 36, 1024, 100), fill=(24, 52, 96))
    d.text((24, 52), "The Daily Example", font=font(28), fill=(255, 255, 255))
    for k, label in enumerate(("World", "Science", "Culture", "Travel", "Photos")):
        d.text((560 + 88 * k, 62), label, font=font(15), fill=(210, 220, 240))
    d.text((24, 116), "Photo of the day", font=font(22), fill=(20, 20, 20))
    text_lines(d, (24, 156, 200, 740), rng, 11, spacing=5)
    text_lines(d, (824, 156, 1004, 740), rng, 11, spacing=5)
    d.rectangle((0, 744, 1024, 768), fill=(40, 40, 40))
    d.text(
        (24, 748),
        "(c) The Daily Example - About - Contact - Privacy",
        font=font(11),
        fill=(190, 190, 190),
    )


def _phone(d: ImageDraw.ImageDraw) -> None:
    d.rectangle((0, 0, 420, 30), fill=(0, 0, 0))
    status_bar(d, 420, dark=True)
    d.rectangle((0, 30, 420, 84), fill=(18, 18, 18))
    d.line((16, 57, 30, 45), fill=(230, 230, 230), width=3)
    d.line((16, 57, 30, 69), fill=(230, 230, 230), width=3)
    d.text((44, 46), "Gallery", font=font(20), fill=(240, 240, 240))
    icons(d, 330, 44, 2, 24, 16, (200, 200, 200))
    d.rectangle((0, 724, 420, 790), fill=(18, 18, 18))
    icons(d, 40, 744, 4, 26, 70, (190, 190, 190))
    nav_bar(d, 420, 790, 70, dark=True)


def _slideshow(d: ImageDraw.ImageDraw) -> None:
    rng = np.random.default_rng(104)
    title_bar(d, 1024, 28, "Presentation - Slide Show")
    d.rectangle((0, 28, 1024, 64), fill=(198, 76, 40))
    for k, label in enumerate(("File", "Home", "Insert", "Design", "Slide Show", "View")):
        d.text((16 + 84 * k, 38), label, font=font(14), fill=(255, 240, 230))
    d.rectangle((0, 64, 170, 640), fill=(232, 232, 232))
    for k in range(6):
        y = 78 + 92 * k
        d.rectangle((22, y, 150, y + 72), fill=(255, 255, 255), outline=(180, 180, 180))
        d.rectangle((30, y + 8, 142, y + 18), fill=(198, 76, 40))
        c = tuple(int(v) for v in rng.integers(90, 200, 3))
        d.rectangle((84, y + 26, 140, y + 64), fill=c)
        d.text((6, y + 28), str(k + 1), font=font(11), fill=(90, 90, 90))
    d.rectangle((170, 64, 1024, 640), fill=(208, 208, 208))
    d.rectangle((196, 82, 1000, 612), fill=(255, 255, 255))
    d.rectangle((196, 82, 1000, 116), fill=(198, 76, 40))
    d.text((210, 88), "Results and pictures", font=font(20), fill=(255, 255, 255))
    d.text((210, 594), "Example Corp - confidential", font=font(10), fill=(150, 150, 150))


def _chat(d: ImageDraw.ImageDraw) -> None:
    rng = np.random.default_rng(105)
    d.rectangle((0, 0, 300, 720), fill=(42, 46, 56))
    d.text((20, 18), "Chats", font=font(22), fill=(240, 240, 240))
    for k in range(9):
        y = 70 + 70 * k
        d.ellipse((16, y, 64, y + 48), fill=tuple(int(v) for v in rng.integers(80, 220, 3)))
        d.text((76, y + 6), words(rng, 2)[:16].title(), font=font(14), fill=(235, 235, 235))
        d.text((76, y + 28), words(rng, 3)[:24], font=font(11), fill=(160, 160, 170))
    d.rectangle((300, 0, 960, 60), fill=(246, 246, 246))
    d.ellipse((316, 10, 356, 50), fill=(120, 170, 120))
    d.text((368, 20), "Holiday group", font=font(17), fill=(30, 30, 30))
    d.rectangle((300, 60, 960, 660), fill=(229, 221, 213))
    for k, (x, w) in enumerate(((320, 300), (640, 300), (320, 220))):
        y = 76 + 48 * k
        fill = (255, 255, 255) if x == 320 else (220, 248, 198)
        d.rounded_rectangle((x, y, x + w, y + 38), 10, fill=fill)
        d.text((x + 12, y + 11), words(rng, 5)[:40], font=font(13), fill=(40, 40, 40))
    d.rounded_rectangle((330, 232, 930, 646), 14, fill=(220, 248, 198))
    d.rectangle((300, 660, 960, 720), fill=(240, 240, 240))
    d.rounded_rectangle((320, 672, 880, 708), 18, fill=(255, 255, 255))
    d.text((340, 682), "Type a message", font=font(14), fill=(160, 160, 160))
    d.ellipse((896, 672, 932, 708), fill=(0, 150, 136))


def _filemanager(d: ImageDraw.ImageDraw) -> None:
    rng = np.random.default_rng(106)
    title_bar(d, 1024, 30, "Files - Pictures")
    d.rectangle((0, 30, 1024, 70), fill=(244, 244, 244))
    d.rounded_rectangle((150, 38, 760, 62), 6, fill=(255, 255, 255), outline=(200, 200, 200))
    d.text((160, 43), "Home / Pictures / 2024 / Holiday", font=font(13), fill=(60, 60, 60))
    icons(d, 14, 38, 3, 24, 12, (140, 140, 150))
    d.rectangle((0, 70, 190, 700), fill=(236, 238, 242))
    for k in range(14):
        y = 84 + 32 * k
        d.rectangle((16, y + 2, 32, y + 14), fill=(230, 180, 70))
        d.text((40, y), words(rng, 1).title(), font=font(13), fill=(40, 40, 40))
    d.rectangle((190, 70, 520, 700), fill=(255, 255, 255))
    for k in range(18):
        y = 80 + 33 * k
        if k % 2:
            d.rectangle((190, y - 4, 520, y + 26), fill=(246, 248, 252))
        d.rectangle((200, y, 222, y + 20), fill=tuple(int(v) for v in rng.integers(60, 220, 3)))
        d.text(
            (232, y + 3),
            f"IMG_{int(rng.integers(1000, 9999))}.JPG",
            font=font(13),
            fill=(40, 40, 40),
        )
        d.text((420, y + 3), f"{rng.uniform(0.4, 9):.1f} MB", font=font(12), fill=(120, 120, 120))
    d.line((520, 70, 520, 700), fill=(210, 210, 210))
    d.rectangle((521, 70, 1024, 700), fill=(250, 250, 250))
    d.text((540, 78), "Preview", font=font(14), fill=(90, 90, 90))
    d.rectangle((540, 600, 1004, 690), fill=(243, 243, 243))
    text_lines(d, (552, 610, 990, 684), rng, 11, (100, 100, 100), 4)
    d.rectangle((0, 700, 1024, 720), fill=(230, 230, 230))


def _editor(d: ImageDraw.ImageDraw) -> None:
    rng = np.random.default_rng(107)
    title_bar(d, 1024, 28, "Photo Editor", dark=True)
    d.rectangle((0, 28, 1024, 56), fill=(56, 56, 60))
    for k, label in enumerate(("File", "Edit", "Image", "Layer", "Select", "Filter", "Window")):
        d.text((12 + 62 * k, 34), label, font=font(13), fill=(210, 210, 210))
    d.rectangle((0, 56, 52, 720), fill=(48, 48, 52))
    for k in range(14):
        d.rounded_rectangle((12, 68 + 40 * k, 40, 96 + 40 * k), 5, fill=(110, 110, 118))
    d.rectangle((52, 56, 780, 720), fill=(34, 34, 36))
    d.rectangle((780, 56, 1024, 720), fill=(52, 52, 56))
    d.text((794, 66), "Histogram", font=font(13), fill=(220, 220, 220))
    heights = np.abs(np.sin(np.linspace(0, 6, 110))) * 70 + rng.uniform(0, 20, 110)
    for k, h in enumerate(heights):
        d.line((800 + 2 * k, 180, 800 + 2 * k, 180 - int(h)), fill=(170, 170, 180))
    d.text((794, 200), "Layers", font=font(13), fill=(220, 220, 220))
    for k in range(5):
        y = 226 + 44 * k
        d.rectangle((792, y, 1012, y + 38), fill=(70, 70, 76) if k else (60, 90, 140))
        d.rectangle((798, y + 5, 826, y + 33), fill=(130, 130, 130))
        d.text((836, y + 12), f"Layer {5 - k}", font=font(12), fill=(220, 220, 220))
    text_lines(d, (792, 460, 1012, 700), rng, 11, (170, 170, 170), 6)


def _social(d: ImageDraw.ImageDraw) -> None:
    rng = np.random.default_rng(108)
    d.rectangle((0, 0, 420, 30), fill=(255, 255, 255))
    status_bar(d, 420, dark=False)
    d.rectangle((0, 30, 420, 80), fill=(255, 255, 255))
    d.text((16, 42), "Snapfeed", font=font(24), fill=(20, 20, 20))
    icons(d, 316, 44, 3, 22, 12, (30, 30, 30))
    d.line((0, 80, 420, 80), fill=(220, 220, 220))
    d.ellipse((12, 90, 52, 130), fill=(200, 120, 160))
    d.text((62, 96), "travel.with.kim", font=font(15), fill=(20, 20, 20))
    d.text((62, 114), "Lisbon, Portugal", font=font(11), fill=(120, 120, 120))
    d.rectangle((0, 140, 420, 640), fill=(250, 250, 250))
    for k in range(3):
        d.ellipse((16 + 40 * k, 652, 42 + 40 * k, 678), outline=(30, 30, 30), width=3)
    d.text((16, 690), "1,284 likes", font=font(14), fill=(20, 20, 20))
    text_lines(d, (16, 712, 404, 780), rng, 12, (40, 40, 40), 5)
    nav_bar(d, 420, 790, 70, dark=False)


def _video(d: ImageDraw.ImageDraw) -> None:
    title_bar(d, 1024, 30, "Media Player", dark=True)
    d.rectangle((0, 560, 1024, 640), fill=(28, 28, 30))
    d.rectangle((16, 574, 1008, 578), fill=(80, 80, 84))
    d.rectangle((16, 574, 372, 578), fill=(220, 60, 60))
    d.ellipse((366, 570, 378, 582), fill=(240, 240, 240))
    d.polygon([(24, 596), (24, 624), (46, 610)], fill=(235, 235, 235))
    d.text((64, 602), "12:48 / 35:10", font=font(14), fill=(210, 210, 210))
    icons(d, 840, 598, 4, 22, 14, (190, 190, 190))


def _mail(d: ImageDraw.ImageDraw) -> None:
    rng = np.random.default_rng(110)
    d.rectangle((0, 0, 1024, 44), fill=(36, 99, 180))
    d.text((16, 12), "Mailbox", font=font(18), fill=(255, 255, 255))
    d.rounded_rectangle((300, 8, 720, 36), 6, fill=(255, 255, 255))
    d.text((312, 15), "Search mail", font=font(12), fill=(140, 140, 140))
    d.rectangle((0, 44, 170, 720), fill=(242, 244, 247))
    for k, label in enumerate(("Inbox", "Starred", "Sent", "Drafts", "Archive", "Spam")):
        d.text((20, 64 + 30 * k), label, font=font(13), fill=(40, 40, 40))
    d.line((170, 44, 170, 720), fill=(210, 210, 215))
    for k in range(10):
        y = 56 + 66 * k
        d.text((184, y), words(rng, 2)[:20], font=font(13), fill=(20, 20, 20))
        d.text((184, y + 20), words(rng, 4)[:34], font=font(11), fill=(90, 90, 90))
        d.line((176, y + 58, 430, y + 58), fill=(225, 225, 228))
    d.line((430, 44, 430, 720), fill=(210, 210, 215))
    d.text((450, 60), "Photos from the weekend", font=font(20), fill=(20, 20, 20))
    d.ellipse((450, 96, 482, 128), fill=(90, 160, 120))
    d.text((492, 100), "sam@example.org  to me", font=font(12), fill=(80, 80, 80))
    text_lines(d, (450, 140, 1000, 190), rng, 12, (50, 50, 50), 6)


def _blog(d: ImageDraw.ImageDraw) -> None:
    rng = np.random.default_rng(111)
    d.rectangle((0, 0, 1024, 34), fill=(53, 54, 58))
    for k in range(3):
        x = 8 + 196 * k
        d.rounded_rectangle((x, 6, x + 188, 34), 6, fill=(75, 76, 80) if k else (248, 248, 248))
        d.text(
            (x + 12, 13),
            words(rng, 2)[:22],
            font=font(12),
            fill=(30, 30, 30) if not k else (200, 200, 200),
        )
    d.rectangle((0, 34, 1024, 70), fill=(248, 248, 248))
    d.rounded_rectangle((90, 40, 930, 64), 12, fill=(232, 234, 237))
    d.text(
        (108, 45), "blog.example.net/2024/05/a-walk-by-the-river", font=font(12), fill=(60, 60, 60)
    )
    d.rectangle((0, 70, 1024, 768), fill=(255, 255, 255))
    d.text((160, 84), "Wandering Notes", font=font(24), fill=(170, 40, 60))
    for k, label in enumerate(("Home", "Archive", "About")):
        d.text((700 + 80 * k, 92), label, font=font(14), fill=(90, 90, 90))
    d.line((160, 124, 930, 124), fill=(225, 225, 225))
    d.text((160, 138), "A walk by the river", font=font(26), fill=(25, 25, 25))
    d.text((160, 176), "May 12 - 6 min read - 14 comments", font=font(12), fill=(130, 130, 130))
    d.rectangle((740, 212, 930, 470), fill=(246, 246, 246))
    d.text((752, 222), "Related posts", font=font(13), fill=(40, 40, 40))
    for k in range(4):
        y = 248 + 54 * k
        d.rectangle((752, y, 796, y + 40), fill=tuple(int(v) for v in rng.integers(70, 210, 3)))
        d.text((804, y + 4), words(rng, 2)[:14], font=font(11), fill=(60, 60, 60))
        d.text((804, y + 20), words(rng, 2)[:14], font=font(10), fill=(140, 140, 140))
    text_lines(d, (740, 490, 930, 740), rng, 11, (120, 120, 120), 5)
    d.rectangle((0, 740, 1024, 768), fill=(30, 30, 34))
    d.text(
        (160, 747),
        "We use cookies to improve this site.  Accept  |  Settings",
        font=font(11),
        fill=(220, 220, 220),
    )


def _lightbox(d: ImageDraw.ImageDraw) -> None:
    rng = np.random.default_rng(112)
    d.rectangle((0, 0, 1024, 720), fill=(22, 22, 24))
    d.text((24, 18), "Summer album  -  7 / 36", font=font(15), fill=(200, 200, 200))
    d.line((986, 18, 1004, 36), fill=(230, 230, 230), width=3)
    d.line((986, 36, 1004, 18), fill=(230, 230, 230), width=3)
    for x, sign in ((36, 1), (988, -1)):
        d.line((x + 10 * sign, 300, x, 320), fill=(220, 220, 220), width=4)
        d.line((x, 320, x + 10 * sign, 340), fill=(220, 220, 220), width=4)
    d.text((112, 614), words(rng, 6)[:60], font=font(13), fill=(210, 210, 210))
    for k in range(11):
        x = 190 + 60 * k
        fill = tuple(int(v) for v in rng.integers(50, 200, 3))
        d.rectangle(
            (x, 646, x + 52, 700), fill=fill, outline=(240, 240, 240) if k == 5 else None, width=2
        )


#: The frame designs, in split order (even positions tuning, odd held-out).
DESIGNS: Final[tuple[Design, ...]] = (
    Design("viewer", (1024, 720), (181, 73, 1024, 690), "centre", _viewer, (128, 128, 128)),
    Design("web", (1024, 768), (212, 156, 812, 740), "top", _web, (255, 255, 255)),
    Design("phone", (420, 860), (0, 84, 420, 724), "centre", _phone, (0, 0, 0)),
    Design("slideshow", (1024, 640), (196, 116, 1000, 590), "centre", _slideshow, (255, 255, 255)),
    Design("chat", (960, 720), (342, 244, 918, 634), "centre", _chat, (220, 248, 198)),
    Design(
        "filemanager", (1024, 720), (540, 104, 1004, 596), "centre", _filemanager, (250, 250, 250)
    ),
    Design("editor", (1024, 720), (52, 56, 780, 720), "centre", _editor, (34, 34, 36)),
    Design("social", (420, 860), (0, 140, 420, 640), "centre", _social, (250, 250, 250)),
    Design("video", (1024, 640), (0, 30, 1024, 560), "centre", _video, (0, 0, 0)),
    Design("mail", (1024, 720), (450, 200, 1004, 710), "top", _mail, (255, 255, 255)),
    Design("blog", (1024, 768), (160, 212, 720, 738), "top", _blog, (255, 255, 255)),
    Design("lightbox", (1024, 720), (90, 52, 934, 604), "centre", _lightbox, (22, 22, 24)),
)
NAMES: Final[tuple[str, ...]] = tuple(d.name for d in DESIGNS)


def design(name: str) -> Design:
    for d in DESIGNS:
        if d.name == name:
            return d
    raise KeyError(name)


def half_of(name: str) -> int:
    """0 (tuning) or 1 (held-out): the design's position in :data:`DESIGNS`, modulo 2."""
    return NAMES.index(name) % 2


@cache
def _base(name: str) -> Image.Image:
    d = design(name)
    img = Image.new("RGB", d.size, (240, 240, 240))
    draw = ImageDraw.Draw(img)
    draw.rectangle(d.canvas, fill=d.background)
    d.draw(draw)
    draw.rectangle(d.canvas, fill=d.background)  # the canvas is drawn over nothing
    return img


def background(name: str) -> Image.Image:
    """Design ``name`` with an empty canvas (a copy)."""
    return _base(name).copy()


def fit(d: Design, aspect: float, share: float) -> tuple[int, int]:
    """The size of a picture of ``aspect`` (width / height) at ``share`` of the frame's
    width, shrunk to fit the design's canvas."""
    x0, y0, x1, y1 = d.canvas
    w = share * d.size[0]
    w = min(w, x1 - x0, (y1 - y0) * aspect)
    return max(1, round(w)), max(1, round(w / aspect))


def max_share(d: Design, aspect: float) -> float:
    """The largest share of the frame's width a picture of ``aspect`` can take."""
    x0, y0, x1, y1 = d.canvas
    return min(x1 - x0, (y1 - y0) * aspect) / d.size[0]


def place(d: Design, size: tuple[int, int]) -> Box:
    """Where a picture of ``size`` goes in the canvas (centred, or at the top)."""
    x0, y0, x1, y1 = d.canvas
    w, h = size
    left = x0 + (x1 - x0 - w) // 2
    top = y0 + (y1 - y0 - h) // 2 if d.anchor == "centre" else y0
    return left, top, left + w, top + h


def framed(name: str, picture: Image.Image, share: float) -> tuple[Image.Image, Box]:
    """``picture`` shown in design ``name`` at ``share`` of its width; the image and the
    picture's box."""
    d = design(name)
    size = fit(d, picture.width / picture.height, share)
    box = place(d, size)
    img = background(name)
    img.paste(picture.convert("RGB").resize(size, Image.Resampling.LANCZOS), box[:2])
    return img, box


def family_image(
    name: str, picture: Image.Image, rng: np.random.Generator
) -> tuple[Image.Image, Box]:
    """A ``frame-NAME`` stress image: ``picture`` at a random share of the frame."""
    lo, hi = FAMILY_SHARE
    return framed(name, picture, lo + (hi - lo) * float(rng.random()) ** 2)


def screenshot(
    img: Image.Image, seed: int, designs: Sequence[str] = NAMES
) -> tuple[Image.Image, Box]:
    """``img`` shown in one of ``designs`` (chosen by ``seed``) at 35–60% of the frame's
    width. A design whose canvas cannot hold the picture at 35% is skipped (the one that
    comes closest is used when none can)."""
    rng = np.random.default_rng([seed, 7])
    order = [
        designs[(int(rng.integers(0, len(designs))) + k) % len(designs)]
        for k in range(len(designs))
    ]
    aspect = img.width / img.height
    lo, hi = SCREENSHOT_SHARE
    best = max(order, key=lambda n: max_share(design(n), aspect))
    chosen = next((n for n in order if max_share(design(n), aspect) >= lo), best)
    top = min(hi, max_share(design(chosen), aspect))
    share = float(rng.uniform(lo, top)) if top > lo else top
    return framed(chosen, img, share)
