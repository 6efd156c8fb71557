"""Template sets: one layout, many different contents (the ``template-*`` stress families).

Cards of one deck share their border and title band, slides of one deck their title bar
and logo, labels of one product line their border and brand, the figures of one
manuscript their red border on the same dark ground on parchment, product shots their
backdrop. Each image of a set is a different picture: what differs is the picture and a few
lines of text, everything else is the same pixels.

Five kinds, two designs each (``a`` and ``b``: other colours and proportions). The
designs are split by their position in :data:`NAMES` (even → tuning, odd → held-out): every
``-a`` design is tuning, every ``-b`` held-out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Final

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from neardup.tools.drawing import Box, Colour, font, text_lines, words

Picture = Image.Image
Maker = Callable[[str, Picture, np.random.Generator], tuple[Image.Image, list[Box]]]


def _cover(picture: Picture, size: tuple[int, int]) -> Image.Image:
    """``picture`` scaled and centre-cropped to fill ``size``."""
    return ImageOps.fit(picture.convert("RGB"), size, Image.Resampling.LANCZOS)


def _contain(picture: Picture, box: Box) -> tuple[Image.Image, Box]:
    """``picture`` scaled to fit inside ``box`` (centred): the resized picture and its box."""
    x0, y0, x1, y1 = box
    scale = min((x1 - x0) / picture.width, (y1 - y0) / picture.height)
    w, h = max(1, round(picture.width * scale)), max(1, round(picture.height * scale))
    left, top = x0 + (x1 - x0 - w) // 2, y0 + (y1 - y0 - h) // 2
    return picture.resize((w, h), Image.Resampling.LANCZOS), (left, top, left + w, top + h)


def _text(draw: ImageDraw.ImageDraw, box: Box, text: str, size: int, fill: Colour) -> Box:
    f = font(size)
    while text and draw.textlength(text, font=f) > box[2] - box[0]:
        text = text[:-1]
    draw.text(box[:2], text, font=f, fill=fill)
    return box


# --------------------------------------------------------------------------- cards

_CARD: dict[str, dict[str, Colour]] = {
    "a": {"edge": (196, 160, 60), "band": (120, 30, 30), "panel": (238, 226, 196)},
    "b": {"edge": (70, 90, 120), "band": (20, 60, 50), "panel": (216, 228, 236)},
}


@cache
def _card_base(v: str) -> Image.Image:
    c = _CARD[v]
    img = Image.new("RGB", (500, 700), c["edge"])
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((18, 18, 482, 682), 18, fill=(30, 30, 30))
    d.rounded_rectangle((28, 28, 472, 672), 14, fill=c["panel"])
    d.rectangle((40, 40, 460, 92), fill=c["band"])
    d.ellipse((412, 48, 448, 84), fill=c["edge"])
    d.rectangle((40, 104, 460, 400), fill=(20, 20, 20))
    d.rectangle((40, 412, 460, 440), fill=c["band"])
    d.rectangle((40, 452, 460, 640), outline=c["band"], width=2)
    d.text((44, 650), "(c) Example Games  No. 001-250", font=font(11), fill=(70, 70, 70))
    return img


def _card(v: str, picture: Picture, rng: np.random.Generator) -> tuple[Image.Image, list[Box]]:
    img = _card_base(v).copy()
    d = ImageDraw.Draw(img)
    img.paste(_cover(picture, (412, 288)), (44, 108))
    boxes = [(44, 108, 456, 396)]
    boxes.append(_text(d, (50, 52, 400, 82), words(rng, 2).title(), 24, (255, 240, 210)))
    boxes.append(_text(d, (50, 416, 450, 438), words(rng, 3).title(), 15, (240, 240, 240)))
    text_lines(d, (52, 462, 448, 630), rng, 13, (40, 30, 20), 6)
    boxes.append((52, 462, 448, 630))
    return img, boxes


# --------------------------------------------------------------------------- slides


@dataclass(frozen=True, slots=True)
class _Slide:
    bar: Colour
    ground: Colour
    ink: Colour
    left: bool  # the picture on the left


_SLIDE = {
    "a": _Slide((20, 70, 140), (255, 255, 255), (30, 30, 30), False),
    "b": _Slide((232, 120, 30), (36, 38, 46), (230, 230, 230), True),
}


@cache
def _slide_base(v: str) -> Image.Image:
    c = _SLIDE[v]
    img = Image.new("RGB", (960, 540), c.ground)
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, 960, 84), fill=c.bar)
    d.ellipse((880, 16, 932, 68), fill=(255, 255, 255))
    d.text((894, 32), "EX", font=font(18), fill=c.bar)
    d.rectangle((0, 510, 960, 540), fill=c.bar)
    d.text((24, 516), "Example Corp  |  Quarterly review", font=font(12), fill=(255, 255, 255))
    return img


def _slide(v: str, picture: Picture, rng: np.random.Generator) -> tuple[Image.Image, list[Box]]:
    c = _SLIDE[v]
    img = _slide_base(v).copy()
    d = ImageDraw.Draw(img)
    boxes = [_text(d, (28, 24, 860, 64), words(rng, 4).title(), 30, (255, 255, 255))]
    pic_area = (40, 110, 440, 490) if c.left else (520, 110, 920, 490)
    text_area = (480, 120, 920, 490) if c.left else (40, 120, 480, 490)
    pic, box = _contain(picture, pic_area)
    img.paste(pic, box[:2])
    boxes.append(box)
    y = text_area[1]
    for _ in range(int(rng.integers(3, 7))):
        d.ellipse((text_area[0], y + 8, text_area[0] + 10, y + 18), fill=c.bar)
        _text(d, (text_area[0] + 22, y, text_area[2], y + 26), words(rng, 5), 19, c.ink)
        y += 54
    boxes.append(text_area)
    return img, boxes


# --------------------------------------------------------------------------- labels


@dataclass(frozen=True, slots=True)
class _Label:
    ground: Colour
    edge: Colour
    brand: str


_LABEL = {
    "a": _Label((246, 236, 206), (150, 30, 40), "Casa Example"),
    "b": _Label((212, 232, 214), (30, 80, 50), "Green Example"),
}


@cache
def _label_base(v: str) -> Image.Image:
    c = _LABEL[v]
    img = Image.new("RGB", (800, 500), c.ground)
    d = ImageDraw.Draw(img)
    d.rectangle((10, 10, 790, 490), outline=c.edge, width=8)
    d.rectangle((26, 26, 774, 474), outline=c.edge, width=2)
    for k in range(24):
        x = 40 + 30 * k
        d.polygon([(x, 30), (x + 12, 42), (x + 24, 30)], fill=c.edge)
    d.text((300, 54), c.brand, font=font(40), fill=c.edge)
    d.ellipse((60, 130, 330, 400), fill=c.edge)
    d.text((60, 430), "Net wt 500 g  -  Best before see lid", font=font(14), fill=(60, 60, 60))
    return img


def _label(v: str, picture: Picture, rng: np.random.Generator) -> tuple[Image.Image, list[Box]]:
    c = _LABEL[v]
    img = _label_base(v).copy()
    d = ImageDraw.Draw(img)
    mask = Image.new("L", (250, 250), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, 249, 249), fill=255)
    img.paste(_cover(picture, (250, 250)), (70, 140), mask)
    boxes = [(70, 140, 320, 390)]
    boxes.append(_text(d, (370, 140, 760, 190), words(rng, 2).title(), 34, (30, 30, 30)))
    text_lines(d, (370, 210, 760, 400), rng, 14, c.edge, 8)
    boxes.append((370, 210, 760, 400))
    return img, boxes


# --------------------------------------------------------------------------- manuscript

_MANUSCRIPT: dict[str, dict[str, Colour]] = {
    "a": {"edge": (170, 30, 25), "ground": (28, 36, 70), "ink": (70, 40, 20)},
    "b": {"edge": (190, 150, 50), "ground": (60, 20, 24), "ink": (40, 40, 70)},
}


@cache
def _manuscript_base(v: str) -> Image.Image:
    c = _MANUSCRIPT[v]
    rng = np.random.default_rng(300 + ord(v))
    h, w = 800, 600
    grain = rng.normal(0, 1, (h // 8, w // 8))
    parchment = np.array([226, 206, 160], dtype=np.float64)[None, None, :] + 10 * grain[:, :, None]
    img = Image.fromarray(np.clip(parchment, 0, 255).astype(np.uint8), "RGB")
    img = img.resize((w, h), Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(2))
    d = ImageDraw.Draw(img)
    d.rectangle((80, 90, 520, 560), fill=c["edge"])
    d.rectangle((94, 104, 506, 546), fill=c["ground"])
    for k in range(10):
        x = 110 + 40 * k
        d.ellipse((x, 112, x + 10, 122), fill=c["edge"])
        d.ellipse((x, 528, x + 10, 538), fill=c["edge"])
    text_lines(d, (80, 30, 520, 70), rng, 14, c["ink"], 8)
    return img


def _ink(picture: Picture, tint: Colour) -> Image.Image:
    """The picture as a tinted ink drawing (for a manuscript figure)."""
    grey = ImageOps.autocontrast(picture.convert("L"), cutoff=2)
    return ImageOps.colorize(grey, black=(20, 12, 6), white=tint)


def _manuscript(
    v: str, picture: Picture, rng: np.random.Generator
) -> tuple[Image.Image, list[Box]]:
    c = _MANUSCRIPT[v]
    img = _manuscript_base(v).copy()
    d = ImageDraw.Draw(img)
    fig, box = _contain(_ink(picture, (236, 214, 160)), (130, 140, 470, 510))
    img.paste(fig, box[:2])
    text_lines(d, (80, 590, 520, 760), rng, 14, c["ink"], 8)
    return img, [box, (80, 590, 520, 760)]


# --------------------------------------------------------------------------- backdrop

_BACKDROP = {"a": ((236, 236, 240), (170, 176, 190)), "b": ((250, 236, 214), (196, 160, 120))}


@cache
def _backdrop_base(v: str) -> Image.Image:
    top, bottom = (np.array(c, dtype=np.float64) for c in _BACKDROP[v])
    t = np.linspace(0, 1, 480)[:, None, None] ** 1.5
    arr = np.broadcast_to(top * (1 - t) + bottom * t, (480, 640, 3))
    img = Image.fromarray(arr.astype(np.uint8), "RGB")
    shadow = Image.new("L", img.size, 0)
    ImageDraw.Draw(shadow).ellipse((170, 380, 470, 430), fill=110)
    img.paste((90, 90, 96), (0, 0), shadow.filter(ImageFilter.GaussianBlur(12)))
    return img


def _backdrop(v: str, picture: Picture, rng: np.random.Generator) -> tuple[Image.Image, list[Box]]:
    img = _backdrop_base(v).copy()
    side = int(rng.integers(220, 300))
    w = side if rng.random() < 0.5 else int(side * 0.75)
    x, y = (640 - w) // 2, 400 - side
    mask = Image.new("L", (w, side), 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, w - 1, side - 1), w // 6, fill=255)
    img.paste(_cover(picture, (w, side)), (x, y), mask)
    return img, [(x, y, x + w, y + side)]


_KINDS: Final[
    dict[str, Callable[[str, Picture, np.random.Generator], tuple[Image.Image, list[Box]]]]
] = {
    "cards": _card,
    "slides": _slide,
    "labels": _label,
    "manuscript": _manuscript,
    "backdrop": _backdrop,
}
#: Template designs, in split order (even positions tuning, odd held-out).
NAMES: Final[tuple[str, ...]] = tuple(f"{k}-{v}" for k in _KINDS for v in ("a", "b"))


def half_of(name: str) -> int:
    """0 (tuning) or 1 (held-out): the design's position in :data:`NAMES`, modulo 2."""
    return NAMES.index(name) % 2


def render(name: str, picture: Picture, rng: np.random.Generator) -> tuple[Image.Image, list[Box]]:
    """An image of template ``name`` showing ``picture``, and the boxes of everything that
    differs between images of the template (picture and text, with a 3-pixel margin for
    glyphs that overhang)."""
    kind, _, variant = name.rpartition("-")
    img, boxes = _KINDS[kind](variant, picture.convert("RGB"), rng)
    return img, [(x0 - 3, y0 - 3, x1 + 3, y1 + 3) for x0, y0, x1, y1 in boxes]
