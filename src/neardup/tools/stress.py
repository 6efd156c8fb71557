"""A generated same-composition stress set: different images that look alike to a hash.

Collections often hold many different images sharing one composition; pHash makes them
neighbours and a chaining grouping would then merge whole families. Four families, each
image deterministic in (family, number, seed):

* ``night``: a dark, starry sky with one small central object (cut from a real photo);
* ``product``: one object (cut from a real photo) centred on a white background;
* ``document``: a white page of text lines in one of a few layouts;
* ``texture``: a smooth random texture filling the frame.

Objects are cut from the photos given to :func:`generate`, so every image differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from neardup.errors import UsageError

FAMILIES: Final[tuple[str, ...]] = ("night", "product", "document", "texture")
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


_MAKERS = {"night": night, "product": product, "document": document, "texture": texture}


def generate(family: str, number: int, photos: Sequence[Image.Image], seed: int = 0) -> Image.Image:
    """Stress image ``number`` of ``family`` (objects cut from ``photos``, cycled)."""
    if family not in _MAKERS:
        raise UsageError(f"unknown stress family {family!r}; choose from: {', '.join(FAMILIES)}")
    rng = np.random.default_rng([seed, FAMILIES.index(family), number])
    photo = photos[number % len(photos)] if photos else Image.new("RGB", (64, 64), (128, 90, 60))
    return _MAKERS[family](photo.convert("RGB"), rng)
