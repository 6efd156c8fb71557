"""Finding and removing uniform margins (frames, letterboxing, a dark sky) before hashing.

:func:`trim_box` searches a small, median-filtered probe of the image for margins that are
(almost) one colour or a smooth ramp; :func:`trimmed_hash` hashes what is left, so a padded
copy hashes like its original. Everything works on an already decoded image: the *working
image* (short side :data:`WORKING_SIDE`) that one decode gives each file.
"""

from __future__ import annotations

import functools
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from neardup.hashing.decode import REDUCING_GAP
from neardup.hashing.fast import median
from neardup.hashing.region import content_box
from neardup.hashing.spec import hash_image
from neardup.model import HashSpec

#: Largest share of a side :func:`trim_borders` may remove; more is content, not a frame.
MAX_TRIM: Final = 0.45


#: A margin line is uniform when this share of its pixels is within :data:`TRIM_TOLERANCE`.
#: 0.90 lets a trim pass through a small watermark or a few stars in a dark margin
#: (docs/accuracy.md measures 0.98, 0.94, 0.92 and 0.90).
TRIM_COVERAGE: Final = 0.90


#: Largest difference in luminance (0–255) from the line's level that still counts as uniform.
TRIM_TOLERANCE: Final = 6


#: Side of the reduced copy margins are searched on.
TRIM_PROBE: Final = 128


#: Short side of the working image trimming and verification views are computed on.
WORKING_SIDE: Final = 256


Box = tuple[float, float, float, float]


@functools.lru_cache(maxsize=64)
def _trend(width: int) -> tuple[NDArray[np.float32], np.float32]:
    """The positions along a line of ``width`` pixels, -1 to 1, and their sum of squares."""
    x = np.linspace(-1.0, 1.0, width, dtype=np.float32)[None, :, None]
    x.flags.writeable = False
    return x, (x * x).sum()


def _uniform_run(
    lines: NDArray[np.int16], limit: int, start: int = 0, step: int | None = None
) -> int:
    """How many leading lines (axis 0) are each (almost) one colour or a smooth ramp.

    Each line is compared with its own level plus a linear trend, so a gradient (a dark
    sky, a lit backdrop) trims as consistently as a flat frame. ``start`` lines already
    known to be uniform are not judged again; blocks then go on from ``step`` lines.
    """
    step = FIRST_BLOCK if step is None else step
    while start < limit:
        stop = min(limit, start + step)
        bad = np.flatnonzero(~_uniform_lines(lines[start:stop]))
        if bad.size:
            return start + int(bad[0])
        start, step = stop, step * 2
    return limit


#: :func:`_uniform_run` looks at this many lines first, then twice as many each time.
FIRST_BLOCK: Final = 4


def _uniform_lines(lines: NDArray[np.int16]) -> NDArray[np.bool_]:
    """Which lines (axis 0) are (almost) one colour or a smooth ramp; each line is judged
    on its own, so stacking lines together changes no answer."""
    block = np.array(lines, dtype=np.float32, order="C")
    x, xx = _trend(block.shape[1])
    level = median(block, axis=1)
    slope = (block * x).sum(axis=1, keepdims=True) / xx
    close = (np.abs(block - level - slope * x).max(axis=2) <= TRIM_TOLERANCE).mean(axis=1)
    uniform: NDArray[np.bool_] = close >= TRIM_COVERAGE
    return uniform


def _outer_runs(lines: NDArray[np.int16], limit: int) -> tuple[int, int]:
    """:func:`_uniform_run` of ``lines`` and of ``lines[::-1]`` (both ends of one axis): the
    first blocks of both ends are judged together, which settles most images (a photo's
    outermost lines are rarely uniform)."""
    if limit < FIRST_BLOCK or lines.shape[0] < 2 * FIRST_BLOCK:
        return _uniform_run(lines, limit), _uniform_run(lines[::-1], limit)
    ends = np.concatenate((lines[:FIRST_BLOCK], lines[::-1][:FIRST_BLOCK]))
    uniform = _uniform_lines(ends).reshape(2, FIRST_BLOCK)
    runs = []
    for end, flags in zip((lines, lines[::-1]), uniform, strict=True):
        bad = np.flatnonzero(~flags)
        # a uniform first block: go on where _uniform_run would, with its second block
        runs.append(
            int(bad[0]) if bad.size else _uniform_run(end, limit, FIRST_BLOCK, 2 * FIRST_BLOCK)
        )
    return runs[0], runs[1]


#: Compare-exchange steps that leave the median of 9 values in position 4 (the "opt_med9"
#: network of N. Devillard, "Fast median search: an ANSI C implementation", 1998).
_MEDIAN9 = (
    (1, 2), (4, 5), (7, 8), (0, 1), (3, 4), (6, 7), (1, 2), (4, 5), (7, 8), (0, 3),
    (5, 8), (4, 7), (3, 6), (1, 4), (2, 5), (4, 7), (4, 2), (6, 4), (4, 2),
)  # fmt: skip


def median3(pixels: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """3×3 median filter with replicated edges: what Pillow's ``MedianFilter(3)`` computes
    (equal pixel for pixel), ten times faster on a probe-sized image.

    >>> median3(np.array([[0, 0, 0], [0, 9, 0], [0, 0, 0]], dtype=np.uint8)).tolist()
    [[0, 0, 0], [0, 0, 0], [0, 0, 0]]
    """
    h, w = pixels.shape
    padded = np.empty((h + 2, w + 2), pixels.dtype)  # as np.pad(mode="edge"), faster
    padded[1:-1, 1:-1] = pixels
    padded[0, 1:-1], padded[-1, 1:-1] = pixels[0], pixels[-1]
    padded[:, 0], padded[:, -1] = padded[:, 1], padded[:, -2]
    p = [padded[y : y + h, x : x + w] for y in range(3) for x in range(3)]
    for i, j in _MEDIAN9:
        p[i], p[j] = np.minimum(p[i], p[j]), np.maximum(p[i], p[j])
    return p[4]


def trim_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    """The box of ``image`` without uniform margins, or ``None`` when there are none.

    Margins are searched on a reduced copy; each side is trimmed while its outermost line
    is (almost) one colour (:data:`TRIM_COVERAGE` of its pixels within
    :data:`TRIM_TOLERANCE` of the line's median), at most :data:`MAX_TRIM` of the side.
    """
    w, h = image.size
    if w < 8 or h < 8:
        return None
    # A fixed-size, median-filtered probe: isolated specks (stars, noise, dust) vanish and
    # the result does not depend on the resolution of the copy.
    scale = TRIM_PROBE / max(w, h)
    size = (max(8, round(w * scale)), max(8, round(h * scale)))
    grey = image if image.mode == "L" else image.convert("L")
    probe = grey.resize(size, Image.Resampling.BOX)
    a = median3(np.asarray(probe, dtype=np.uint8)).astype(np.int16)[:, :, None]
    ph, pw = a.shape[:2]
    lim_y, lim_x = int(ph * MAX_TRIM), int(pw * MAX_TRIM)
    top, bottom = _outer_runs(a, lim_y)
    left, right = _outer_runs(a.transpose(1, 0, 2), lim_x)
    if top == bottom == left == right == 0:
        return None
    for _ in range(3):  # a frame's top edge hides the sky beside it: three more passes at most
        inner = a[top : ph - bottom, left : pw - right]
        cols = inner.transpose(1, 0, 2)
        new = (
            top + _uniform_run(inner, lim_y - top),
            bottom + _uniform_run(inner[::-1], lim_y - bottom),
            left + _uniform_run(cols, lim_x - left),
            right + _uniform_run(cols[::-1], lim_x - right),
        )
        if new == (top, bottom, left, right):
            break
        top, bottom, left, right = new
    if top == bottom == left == right == 0:
        return None
    sx, sy = w / pw, h / ph
    # Round inwards so no margin pixel survives the mapping back to full size.
    box = (
        min(w - 1, int(np.ceil(left * sx))),
        min(h - 1, int(np.ceil(top * sy))),
        max(1, int((pw - right) * sx)),
        max(1, int((ph - bottom) * sy)),
    )
    if box[2] - box[0] < 8 or box[3] - box[1] < 8:
        return None
    return box


def trim_borders(image: Image.Image) -> Image.Image:
    """``image`` without uniform margins (the same object when there are none)."""
    box = trim_box(image)
    return image if box is None else image.crop(box)


def _uniform_box(grey: NDArray[np.uint8]) -> tuple[int, int, int, int] | None:
    return trim_box(Image.fromarray(grey))


def relative_box(image: Image.Image) -> Box | None:
    """The box of the content of ``image`` without its frames, as shares of the width and
    height (4 decimals), or ``None``: uniform margins (:func:`trim_box`) and frames that
    are not uniform around a picture (:func:`neardup.hashing.region.content_box`)."""
    box = content_box(np.asarray(image.convert("L")), _uniform_box)
    if box is None:
        return None
    w, h = image.size
    return (
        round(box[0] / w, 4),
        round(box[1] / h, 4),
        round(box[2] / w, 4),
        round(box[3] / h, 4),
    )


def crop_relative(image: Image.Image, box: Box | None) -> Image.Image:
    """``image`` cropped to a relative box (the image itself for ``None``)."""
    if box is None:
        return image
    w, h = image.size
    return image.crop((round(box[0] * w), round(box[1] * h), round(box[2] * w), round(box[3] * h)))


def working_size(width: int, height: int) -> tuple[int, int]:
    """The size of the working image: short side :data:`WORKING_SIDE` (never enlarged).

    >>> working_size(4000, 3000), working_size(100, 50)
    ((341, 256), (100, 50))
    """
    short = min(width, height)
    if short <= WORKING_SIDE:
        return width, height
    scale = WORKING_SIDE / short
    return max(1, round(width * scale)), max(1, round(height * scale))


def working_image(image: Image.Image) -> Image.Image:
    """``image`` at :func:`working_size`, by averaging areas (as a scan makes it)."""
    size = working_size(*image.size)
    if size == image.size:
        return image
    return image.resize(size, Image.Resampling.BOX, reducing_gap=REDUCING_GAP)


def trimmed_hash(
    image: Image.Image,
    spec: HashSpec,
    value: int,
    *,
    compat: bool = False,
    box: Box | Literal["find"] | None = "find",
) -> tuple[int, Box | None]:
    """The hash of ``image`` without its uniform margins (``value``, its own hash, when it
    has none) and the relative box kept. ``box``: the :func:`relative_box` of ``image``
    when the caller already has it."""
    if box == "find":
        box = relative_box(image)
    if box is None:
        return value, None
    return hash_image(crop_relative(image, box), spec, compat=compat), box
