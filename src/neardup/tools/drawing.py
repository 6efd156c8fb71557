"""Drawing helpers for the generated frames and templates: a font, words from a small
vocabulary, lines of body text, icons, title, status and navigation bars."""

from __future__ import annotations

from functools import cache

import numpy as np
from PIL import ImageDraw, ImageFont

Box = tuple[int, int, int, int]
Colour = tuple[int, int, int]


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return _font(size)


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


_VOCABULARY = (
    "album holiday family beach mountain garden city night archive export shared recent "
    "favourites camera screenshots downloads edited portrait landscape summer winter trip "
    "notes draft report budget invoice design review meeting project gallery folder"
)
_WORDS = tuple(_VOCABULARY.split(" "))


def words(rng: np.random.Generator, n: int) -> str:
    """``n`` words from a small vocabulary."""
    return " ".join(str(w) for w in rng.choice(_WORDS, n))


def text_lines(
    draw: ImageDraw.ImageDraw,
    box: Box,
    rng: np.random.Generator,
    size: int = 12,
    fill: Colour = (60, 60, 60),
    spacing: int = 6,
) -> None:
    """Fill ``box`` with lines of words (ragged right), as body text."""
    f = font(size)
    x0, y, x1, y1 = box
    while y + round(size * 1.4) <= y1:  # descenders stay inside the box
        line = words(rng, 12)
        limit = (x1 - x0) * (1.0 if rng.random() > 0.2 else rng.uniform(0.4, 0.9))
        while line and draw.textlength(line, font=f) > limit:
            line = line[:-1]
        draw.text((x0, y), line, font=f, fill=fill)
        y += size + spacing


def icons(
    draw: ImageDraw.ImageDraw, x: int, y: int, n: int, side: int, gap: int, fill: Colour
) -> None:
    for k in range(n):
        left = x + k * (side + gap)
        draw.rounded_rectangle((left, y, left + side, y + side), side // 4, fill=fill)


def title_bar(
    draw: ImageDraw.ImageDraw, width: int, height: int, title: str, dark: bool = False
) -> None:
    bg = (50, 50, 54) if dark else (222, 222, 222)
    draw.rectangle((0, 0, width, height), fill=bg)
    for k, c in enumerate(((237, 94, 88), (245, 190, 80), (98, 197, 85))):
        cx = 16 + 20 * k
        draw.ellipse((cx - 6, height // 2 - 6, cx + 6, height // 2 + 6), fill=c)
    f = font(13)
    tw = draw.textlength(title, font=f)
    draw.text(
        ((width - tw) / 2, height // 2 - 8),
        title,
        font=f,
        fill=(200, 200, 200) if dark else (50, 50, 50),
    )


def status_bar(draw: ImageDraw.ImageDraw, width: int, dark: bool) -> None:
    fg = (235, 235, 235) if dark else (20, 20, 20)
    draw.text((18, 6), "9:41", font=font(14), fill=fg)
    draw.rectangle((width - 44, 9, width - 18, 21), outline=fg, width=2)
    draw.rectangle((width - 42, 11, width - 26, 19), fill=fg)
    for k in range(4):
        draw.rectangle((width - 84 + 6 * k, 20 - 3 * k, width - 80 + 6 * k, 21), fill=fg)


def nav_bar(draw: ImageDraw.ImageDraw, width: int, top: int, height: int, dark: bool) -> None:
    bg = (0, 0, 0) if dark else (248, 248, 248)
    fg = (200, 200, 200) if dark else (90, 90, 90)
    draw.rectangle((0, top, width, top + height), fill=bg)
    cy = top + height // 2
    draw.polygon(
        [(width // 4 - 8, cy), (width // 4 + 6, cy - 9), (width // 4 + 6, cy + 9)], fill=fg
    )
    draw.ellipse((width // 2 - 9, cy - 9, width // 2 + 9, cy + 9), outline=fg, width=2)
    draw.rectangle((3 * width // 4 - 8, cy - 8, 3 * width // 4 + 8, cy + 8), outline=fg, width=2)
