"""Extra per-image features beyond the one perceptual hash: border trimming, flip/rotation
alternates, centred sub-region hashes and verification thumbnails.

All of it works on an already decoded :class:`PIL.Image.Image` (or its small greyscale
thumbnail), so it stays independent of how files are opened and hashed.

* :func:`trim_borders` removes uniform or near-uniform margins (frames, letterboxing) before
  hashing, so a padded copy hashes like its original.
* :func:`dihedral_hashes` computes pHash of the 8 flips/rotations of the 32×32 thumbnail;
  an image matches when any alternate of it is within the threshold of the other's hash.
* :func:`centre_hashes` hashes centred sub-regions (crop resistance).
* :func:`verify_thumbnail` is a small normalised greyscale thumbnail; the normalised
  correlation of two of them (:func:`similarity`) confirms candidate pairs (``--verify``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFilter

from neardup.errors import UsageError
from neardup.hashing import HashSpec, bits_to_int, hash_image

#: ``--invariant`` names and the dihedral transforms (numpy functions on a square array) each adds.
INVARIANTS: Final[tuple[str, ...]] = ("flip", "rotate")

#: Largest share of a side :func:`trim_borders` may remove; more is content, not a frame.
MAX_TRIM: Final = 0.45
#: A margin line is uniform when this share of its pixels is within :data:`TRIM_TOLERANCE`.
TRIM_COVERAGE: Final = 0.98
#: Largest difference in luminance (0–255) from the line's level that still counts as uniform.
TRIM_TOLERANCE: Final = 6
#: Side of the reduced copy margins are searched on.
_TRIM_PROBE: Final = 128

#: Side of the verification thumbnail.
VERIFY_SIDE: Final = 32
#: Default smallest normalised correlation for ``--verify`` to confirm a pair.
DEFAULT_VERIFY_MIN: Final = 0.90

#: Centred sub-regions hashed for crop resistance (share of each side kept).
CENTRE_FRACTIONS: Final[tuple[float, ...]] = (0.9, 0.8)


def parse_invariant(names: Iterable[str] | str | None) -> frozenset[str]:
    """``"flip,rotate"`` or an iterable of names → a validated set.

    >>> sorted(parse_invariant("rotate, flip"))
    ['flip', 'rotate']
    """
    if names is None:
        return frozenset()
    items = names.split(",") if isinstance(names, str) else list(names)
    chosen = frozenset(n.strip() for n in items if n.strip())
    unknown = sorted(chosen - set(INVARIANTS))
    if unknown:
        raise UsageError(
            f"unknown invariance {', '.join(unknown)}; choose from: {', '.join(INVARIANTS)}"
        )
    return chosen


@dataclass(frozen=True, slots=True)
class FeatureOptions:
    """Which extra features a scan computes (all but trimming are opt-in)."""

    trim: bool = True
    invariant: frozenset[str] = frozenset()
    crop: bool = False
    verify: bool = False

    @property
    def needs_alternates(self) -> bool:
        return bool(self.invariant) or self.crop

    def check(self, spec: HashSpec) -> None:
        if self.invariant and spec.algorithm != "phash":
            raise UsageError("--invariant works with --hash phash only")


@dataclass(frozen=True, slots=True)
class Features:
    """What a scan keeps of one image besides its main hash."""

    alternates: tuple[int, ...] = ()
    thumbnail: NDArray[np.float32] | None = field(default=None, compare=False)


def _uniform_run(lines: NDArray[np.int16], limit: int) -> int:
    """How many leading lines (axis 0) are each (almost) one colour or a smooth ramp.

    Each line is compared with its own level plus a linear trend, so a gradient (a dark
    sky, a lit backdrop) trims as consistently as a flat frame.
    """
    start, step = 0, 4
    while start < limit:
        stop = min(limit, start + step)
        block = lines[start:stop].astype(np.float32)
        x = np.linspace(-1.0, 1.0, block.shape[1], dtype=np.float32)[None, :, None]
        level = np.median(block, axis=1, keepdims=True)
        slope = (block * x).sum(axis=1, keepdims=True) / (x * x).sum()
        close = (np.abs(block - level - slope * x).max(axis=2) <= TRIM_TOLERANCE).mean(axis=1)
        bad = np.flatnonzero(close < TRIM_COVERAGE)
        if bad.size:
            return start + int(bad[0])
        start, step = stop, step * 2
    return limit


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
    scale = _TRIM_PROBE / max(w, h)
    size = (max(8, round(w * scale)), max(8, round(h * scale)))
    probe = image.convert("L").resize(size, Image.Resampling.BOX)
    probe = probe.filter(ImageFilter.MedianFilter(3))
    a = np.asarray(probe, dtype=np.int16)[:, :, None]
    ph, pw = a.shape[:2]
    lim_y, lim_x = int(ph * MAX_TRIM), int(pw * MAX_TRIM)
    top = bottom = left = right = 0
    for _ in range(4):  # a frame's top edge hides the sky beside it: repeat until stable
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


def grey_thumbnail(image: Image.Image, side: int) -> NDArray[np.float64]:
    """The ``side``×``side`` greyscale thumbnail pHash works on (ImageHash's resampling)."""
    small = image.convert("L").resize((side, side), Image.Resampling.LANCZOS)
    return np.asarray(small, dtype=np.float64)


def phash_of_thumbnail(pixels: NDArray[np.float64], hash_size: int = 8) -> int:
    """pHash of a ``4·hash_size`` square greyscale thumbnail, bit-identical to ImageHash."""
    import scipy.fft  # imported on first use: it costs start-up time

    dct = scipy.fft.dct(scipy.fft.dct(pixels, axis=0), axis=1)
    low = dct[:hash_size, :hash_size]
    return bits_to_int(low > np.median(low))


def dihedral_views(pixels: NDArray[Any], invariant: frozenset[str]) -> list[NDArray[Any]]:
    """The flips/rotations of ``pixels`` (first two axes) that ``invariant`` allows, without
    the identity."""
    rotations = [np.rot90(pixels, k) for k in range(4)] if "rotate" in invariant else [pixels]
    if "flip" in invariant:
        rotations += [np.fliplr(r) for r in rotations]
    return rotations[1:]


def dihedral_hashes(
    image: Image.Image, invariant: frozenset[str], hash_size: int = 8
) -> tuple[int, ...]:
    """pHash of the flipped/rotated thumbnails (identity excluded): 1, 3 or 7 hashes."""
    if not invariant:
        return ()
    pixels = grey_thumbnail(image, 4 * hash_size)
    return tuple(phash_of_thumbnail(p, hash_size) for p in dihedral_views(pixels, invariant))


def centre_hashes(
    image: Image.Image, spec: HashSpec, fractions: Sequence[float] = CENTRE_FRACTIONS
) -> tuple[int, ...]:
    """Hashes of centred sub-regions keeping ``fractions`` of each side."""
    w, h = image.size
    out = []
    for f in fractions:
        cw, ch = max(1, round(w * f)), max(1, round(h * f))
        x, y = (w - cw) // 2, (h - ch) // 2
        out.append(hash_image(image.crop((x, y, x + cw, y + ch)), spec))
    return tuple(out)


def verify_thumbnail(image: Image.Image, side: int = VERIFY_SIDE) -> NDArray[np.float32]:
    """A zero-mean, unit-norm greyscale thumbnail, flattened (for normalised correlation)."""
    v = grey_thumbnail(image, side).ravel()
    v = v - v.mean()
    norm = float(np.linalg.norm(v))
    out: NDArray[np.float32] = (v / norm if norm > 0 else v).astype(np.float32)
    return out


def similarity(a: NDArray[np.float32], b: NDArray[np.float32]) -> float:
    """Normalised correlation of two :func:`verify_thumbnail` vectors (-1 … 1).

    A flat image has no structure to correlate: it is similar only to another flat image.
    """
    na, nb = bool(a.any()), bool(b.any())
    if not na or not nb:
        return 1.0 if na == nb else 0.0
    return float(np.dot(a, b))


def aligned_similarity(
    a: NDArray[np.float32], b: NDArray[np.float32], invariant: frozenset[str] = frozenset()
) -> float:
    """:func:`similarity`, maximised over the flips/rotations ``invariant`` allows of ``b``."""
    best = similarity(a, b)
    if invariant and a.any() and b.any():
        square = b.reshape(VERIFY_SIDE, VERIFY_SIDE)
        for t in dihedral_views(square, invariant):
            best = max(best, float(np.dot(a, np.ascontiguousarray(t).ravel())))
    return best


def extract(image: Image.Image, spec: HashSpec, options: FeatureOptions) -> tuple[int, Features]:
    """Main hash and :class:`Features` of a decoded image, as a scan with ``options`` needs."""
    if options.trim:
        image = trim_borders(image)
    value = hash_image(image, spec)
    alternates: tuple[int, ...] = ()
    if options.invariant:
        alternates += dihedral_hashes(image, options.invariant, spec.size)
    if options.crop:
        alternates += centre_hashes(image, spec)
    thumb = verify_thumbnail(image) if options.verify else None
    return value, Features(alternates, thumb)
