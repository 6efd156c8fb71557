"""Generated stress sets: different images that look alike to a hash.

Collections often hold many different images sharing one composition; pHash makes them
neighbours and a chaining grouping would then merge whole families. Every image is its own
identity, deterministic in (family, number, seed) and the photo it is given:

* ``night``: a dark, starry sky with one small central object (cut from a real photo);
* ``product``: one object (cut from a real photo) centred on a white background;
* ``document``: a white page of text lines in one of a few layouts;
* ``texture``: a smooth random texture filling the frame;
* ``frame-DESIGN``: a picture inside an application frame (:mod:`neardup.tools.frames`);
* ``template-DESIGN``: a picture in a card, slide, label, manuscript border or product
  backdrop (:mod:`neardup.tools.templates`);
* ``flat``: a solid or nearly flat image, a different colour for every number (pairs of
  colours of one grey level at one size);
* ``rotated``: a picture rotated by 10–30° with black (or white) corners.

The photo given to the ``frame-``, ``template-`` and ``rotated`` families is shown whole
(callers pass a different :func:`tile` of a photo for every image); the first four cut an
object from it.

**Halves.** Every source is split into a tuning half (0) and a held-out half (1) by a fixed
rule (:func:`photo_half`, :func:`family_half`): photos by a hash of their file name, frame
and template designs by their position in the design lists (so held-out images use designs
never seen when tuning), every other family by the parity of the image's number.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence
from typing import Final

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from neardup.errors import UsageError
from neardup.tools import frames, templates

#: The same-composition families (objects cut from photos, or no photo at all).
FAMILIES: Final[tuple[str, ...]] = ("night", "product", "document", "texture")
#: Different pictures in one application frame, one family per design.
FRAME_FAMILIES: Final[tuple[str, ...]] = tuple(f"frame-{n}" for n in frames.NAMES)
#: Different contents of one template, one family per design.
TEMPLATE_FAMILIES: Final[tuple[str, ...]] = tuple(f"template-{n}" for n in templates.NAMES)
#: Every family, in report order.
ALL_FAMILIES: Final[tuple[str, ...]] = (
    *FAMILIES,
    *FRAME_FAMILIES,
    *TEMPLATE_FAMILIES,
    "flat",
    "rotated",
)
#: Families made from a whole picture (a tile of a photo) rather than an object cut from it.
PICTURE_FAMILIES: Final[frozenset[str]] = frozenset(
    (*FRAME_FAMILIES, *TEMPLATE_FAMILIES, "rotated")
)
#: Half names, by number.
HALVES: Final[tuple[str, str]] = ("tuning", "held_out")
SIZE: Final = (640, 480)

_TEXT = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt "
    "ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco "
    "laboris nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate"
)
_WORDS = tuple(_TEXT.split())


def _object(photo: Image.Image, side: int, rng: np.random.Generator) -> Image.Image:
    """A square cut of ``photo`` (random position) resized to ``side``."""
    w, h = photo.size
    s = int(min(w, h) * rng.uniform(0.4, 0.7))
    x = int(rng.integers(0, w - s + 1))
    y = int(rng.integers(0, h - s + 1))
    return photo.crop((x, y, x + s, y + s)).resize((side, side), Image.Resampling.LANCZOS)


def _ellipse_mask(side: int) -> Image.Image:
    mask = Image.new("L", (side, side), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, side - 1, side - 1), fill=255)
    return mask.filter(ImageFilter.GaussianBlur(1.5))


def night(photo: Image.Image, rng: np.random.Generator) -> Image.Image:
    w, h = SIZE
    base = rng.uniform(4, 22)
    grad = np.linspace(base + rng.uniform(0, 14), base, h)[:, None, None]
    tint = np.array([0.7, 0.8, 1.0]) * rng.uniform(0.9, 1.1, 3)
    sky = np.broadcast_to(grad * tint, (h, w, 3)).copy()
    sky += rng.normal(0, 2.0, sky.shape)
    stars = rng.random((h, w)) < 0.0015
    sky[stars] = rng.uniform(120, 255, (int(stars.sum()), 1))
    img = Image.fromarray(np.clip(sky, 0, 255).astype(np.uint8), "RGB")
    side = int(h * rng.uniform(0.14, 0.26))
    obj = _object(photo, side, rng)
    cx = w // 2 + int(rng.integers(-w // 40, w // 40 + 1)) - side // 2
    cy = h // 2 + int(rng.integers(-h // 40, h // 40 + 1)) - side // 2
    img.paste(obj, (cx, cy), _ellipse_mask(side))
    return img


def product(photo: Image.Image, rng: np.random.Generator) -> Image.Image:
    w, h = SIZE
    img = Image.new("RGB", SIZE, tuple(int(v) for v in rng.integers(244, 256, 3)))
    side = int(h * rng.uniform(0.45, 0.62))
    x, y = (w - side) // 2, (h - side) // 2 - int(h * 0.03)
    shadow = Image.new("L", SIZE, 0)
    ImageDraw.Draw(shadow).ellipse(
        (x + side // 8, y + side - side // 12, x + side - side // 8, y + side + side // 10), 90
    )
    img.paste((170, 170, 170), (0, 0), shadow.filter(ImageFilter.GaussianBlur(8)))
    mask = Image.new("L", (side, side), 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, side - 1, side - 1), side // 5, fill=255)
    img.paste(_object(photo, side, rng), (x, y), mask)
    return img


def document(photo: Image.Image, rng: np.random.Generator) -> Image.Image:
    w, h = SIZE[1], SIZE[0]  # portrait page
    img = Image.new("RGB", (w, h), (250, 250, 248))
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=11)
    title = ImageFont.load_default(size=20)
    margin = int(w * rng.uniform(0.08, 0.14))
    columns = int(rng.choice([1, 1, 2]))
    y = margin
    words = list(rng.choice(_WORDS, 6))
    draw.text((margin, y), " ".join(words[:4]).title(), font=title, fill=(20, 20, 20))
    y += 40
    col_w = (w - 2 * margin - (columns - 1) * 16) // columns
    top = y
    for col in range(columns):
        x0 = margin + col * (col_w + 16)
        y = top
        while y < h - margin:
            if rng.random() < 0.12:  # paragraph break
                y += 10
            if rng.random() < 0.04 and y < h - margin - 90:  # a figure box
                fh = int(rng.integers(50, 90))
                draw.rectangle((x0, y, x0 + col_w, y + fh), outline=(60, 60, 60), width=1)
                y += fh + 8
                continue
            line = " ".join(rng.choice(_WORDS, 14))
            length = col_w if rng.random() > 0.15 else int(col_w * rng.uniform(0.3, 0.9))
            while line and draw.textlength(line, font=font) > length:
                line = line[:-1]
            draw.text((x0, y), line, font=font, fill=(30, 30, 30))
            y += 14
    return img


def texture(photo: Image.Image, rng: np.random.Generator) -> Image.Image:
    w, h = SIZE
    noise = rng.normal(0, 1, (h // 4, w // 4, 3))
    img = Image.fromarray(np.clip(128 + 40 * noise, 0, 255).astype(np.uint8), "RGB")
    img = img.resize(SIZE, Image.Resampling.BICUBIC)
    img = img.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.5, 3.0))))
    arr = np.asarray(img, dtype=np.float32) * rng.uniform(0.6, 1.2, 3) + rng.uniform(-30, 30, 3)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


#: Flat colours in groups of four that share a size: ``[a, b, a', b']``, where ``a'`` is a
#: different colour of the same grey level as ``a`` (a grey, or another hue) and likewise
#: ``b'``. Even positions are tuning, odd held-out, so each half has pairs of different
#: colours of one grey level at one size (what a greyscale comparison cannot tell apart).
FLAT_COLOURS: Final[tuple[tuple[int, int, int], ...]] = (
    (255, 0, 0), (0, 0, 255), (76, 76, 76), (29, 29, 29),
    (255, 255, 255), (0, 0, 0), (128, 128, 128), (192, 192, 192),
    (255, 220, 0), (0, 160, 0), (255, 182, 193), (94, 94, 94),
    (135, 206, 235), (128, 0, 128), (188, 188, 188), (0, 90, 0),
    (255, 128, 0), (0, 128, 128), (151, 151, 151), (195, 50, 20),
    (152, 251, 152), (0, 0, 128), (210, 210, 210), (50, 0, 0),
    (255, 0, 255), (0, 255, 255), (105, 105, 105), (235, 173, 60),
    (255, 218, 185), (139, 69, 19), (200, 230, 255), (57, 107, 40),
    (250, 128, 114), (128, 128, 0), (163, 163, 163), (120, 90, 220),
    (245, 245, 220), (128, 0, 0), (255, 235, 240), (0, 50, 70),
)  # fmt: skip
#: Flat image sizes (width, height), all of different proportions; a group of four colours
#: shares one, and a colour that comes round again gets another.
FLAT_SIZES: Final[tuple[tuple[int, int], ...]] = (
    (640, 480),
    (480, 640),
    (800, 450),
    (512, 512),
    (600, 300),
    (300, 600),
)


def flat(number: int, rng: np.random.Generator) -> Image.Image:
    """Solid, or nearly flat (tiny noise or a faint gradient), colour ``number``."""
    count = len(FLAT_COLOURS)
    colour = np.array(FLAT_COLOURS[number % count], dtype=np.float64)
    w, h = FLAT_SIZES[((number % count) // 4 + number // count) % len(FLAT_SIZES)]
    style = number % 3
    arr = np.broadcast_to(colour, (h, w, 3)).copy()
    if style == 1:  # tiny noise
        arr += rng.normal(0, float(rng.uniform(0.5, 2.0)), arr.shape)
    elif style == 2:  # a faint gradient, a few grey levels from one side to the other
        ramp = np.linspace(-1, 1, w if rng.random() < 0.5 else h) * float(rng.uniform(2, 5))
        arr += ramp[None, :, None] if ramp.size == w else ramp[:, None, None]
    return Image.fromarray(np.clip(np.round(arr), 0, 255).astype(np.uint8), "RGB")


def rotated(photo: Image.Image, number: int, rng: np.random.Generator) -> Image.Image:
    """``photo`` at a short side of 360, rotated by ±10–30° with black (two in three) or
    white corners."""
    scale = 360 / min(photo.size)
    pic = photo.resize(
        (round(photo.width * scale), round(photo.height * scale)), Image.Resampling.LANCZOS
    )
    angle = float(rng.uniform(10, 30)) * (1 if rng.random() < 0.5 else -1)
    fill = (255, 255, 255) if number % 3 == 2 else (0, 0, 0)
    return pic.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=fill)


def tile(photo: Image.Image, quadrant: int) -> Image.Image:
    """Quadrant ``quadrant`` (0–3: top left, top right, bottom left, bottom right) of
    ``photo``: four different pictures from one photo, none a crop of another."""
    w, h = photo.size
    x, y = (quadrant % 2) * (w // 2), (quadrant // 2 % 2) * (h // 2)
    return photo.crop((x, y, x + w // 2, y + h // 2))


def family_class(family: str) -> str:
    """``frame``, ``template``, ``flat``, ``rotated`` or the family itself."""
    return family.split("-", 1)[0]


def _stable(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "big")


def photo_half(name: str) -> int:
    """0 (tuning) or 1 (held-out) for a photo (or distractor) file name: the parity of the
    BLAKE2b-64 hash of the name.

    >>> photo_half("a.jpg") == photo_half("a.jpg")
    True
    """
    return _stable(name) % 2


def family_half(family: str, number: int) -> int:
    """0 (tuning) or 1 (held-out) for stress image ``number`` of ``family``: frame and
    template designs by their design's half, every other family by the number's parity."""
    if family.startswith("frame-"):
        return frames.half_of(family.removeprefix("frame-"))
    if family.startswith("template-"):
        return templates.half_of(family.removeprefix("template-"))
    return number % 2


def parse_families(spec: str) -> tuple[str, ...]:
    """``"all"``, ``"none"`` or a comma list of families or classes (``frame`` for every
    ``frame-*``) → families in report order.

    >>> parse_families("flat,night")
    ('night', 'flat')
    >>> len(parse_families("template"))
    10
    """
    text = spec.strip()
    if text == "all":
        return ALL_FAMILIES
    if text == "none":
        return ()
    names = {s.strip() for s in text.split(",") if s.strip()}
    known = set(ALL_FAMILIES) | {family_class(f) for f in ALL_FAMILIES}
    unknown = sorted(names - known)
    if unknown or not names:
        raise UsageError(
            f"unknown stress famil(y/ies) {', '.join(unknown) or spec!r}; choose 'all', 'none' "
            f"or from: {', '.join(ALL_FAMILIES)}, frame, template"
        )
    return tuple(f for f in ALL_FAMILIES if f in names or family_class(f) in names)


_MAKERS = {"night": night, "product": product, "document": document, "texture": texture}


def _family_index(family: str) -> int:
    return FAMILIES.index(family) if family in FAMILIES else zlib.crc32(family.encode())


def generate(family: str, number: int, photos: Sequence[Image.Image], seed: int = 0) -> Image.Image:
    """Stress image ``number`` of ``family`` (objects cut from ``photos``, cycled; the
    picture families show ``photos[number % len(photos)]`` whole)."""
    if family not in ALL_FAMILIES:
        raise UsageError(
            f"unknown stress family {family!r}; choose from: {', '.join(ALL_FAMILIES)}"
        )
    rng = np.random.default_rng([seed, _family_index(family), number])
    photo = photos[number % len(photos)] if photos else Image.new("RGB", (64, 64), (128, 90, 60))
    photo = photo.convert("RGB")
    if family == "flat":
        return flat(number, rng)
    if family == "rotated":
        return rotated(photo, number, rng)
    if family.startswith("frame-"):
        return frames.family_image(family.removeprefix("frame-"), photo, rng)[0]
    if family.startswith("template-"):
        return templates.render(family.removeprefix("template-"), photo, rng)[0]
    return _MAKERS[family](photo, rng)
