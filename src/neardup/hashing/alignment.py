"""Aligned comparisons for ``--crop``: one image's whole frame against cropped and slightly
rotated parts of the other's (:func:`aligned_similarity_of_frames`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from neardup.hashing.views import VERIFY_SIDE, Views, frame_region, kept_share, unit_vector

#: ``--crop`` with verification also searches pairs this many bits beyond the threshold and
#: confirms them by :func:`aligned_similarity_of_frames`.
CROP_SLACK: Final = 4


#: Smallest correlation an aligned comparison needs (docs/accuracy.md).
ALIGNED_MIN: Final = 0.85


#: Sub-regions of one frame tried against the other's whole frame: crops keeping 95% and
#: 90% of each side at 3×3 positions, and ±5° rotations cropped to 90%.
CROP_SCALES: Final[tuple[float, ...]] = (0.95, 0.9)


ROTATIONS: Final[tuple[float, ...]] = (5.0, -5.0)


ROTATED_KEEP: Final = 0.9


#: Frames are aligned only when trimming kept at least this share of each image: a frame
#: that is mostly an empty margin (a dark sky, a white page) matches too easily.
ALIGNED_MIN_KEPT: Final = 0.9


def _rotated_region(frame: NDArray[np.uint8], degrees: float, aspect: float) -> Image.Image:
    """``frame`` (square, of an image ``aspect`` wide) rotated about its centre in the
    image's true proportions, keeping the central :data:`ROTATED_KEEP` of each side."""
    n = frame.shape[0]
    c = (n - 1) / 2
    a = np.deg2rad(degrees)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    # output (u, v) -> input: unsquash, rotate, squash again, and shrink to the kept part
    m = np.diag([1 / aspect, 1.0]) @ rot @ np.diag([aspect, 1.0]) * ROTATED_KEEP
    off = np.array([c, c]) - m @ np.array([c, c])
    coeffs = (m[0, 0], m[0, 1], off[0], m[1, 0], m[1, 1], off[1])
    return Image.fromarray(frame).transform(
        (n, n), Image.Transform.AFFINE, coeffs, Image.Resampling.BILINEAR
    )


def frame_alignments(views: Views) -> NDArray[np.float32]:
    """The unit vectors of every sub-region :func:`aligned_similarity_of_frames` tries."""
    out = []
    for s in CROP_SCALES:
        for x in np.linspace(0.0, 1.0 - s, 3):
            for y in np.linspace(0.0, 1.0 - s, 3):
                out.append(frame_region(views.frame, (x, y, x + s, y + s)))
    for deg in ROTATIONS:
        turned = _rotated_region(views.frame, deg, views.aspect)
        side = (VERIFY_SIDE, VERIFY_SIDE)
        out.append(unit_vector(np.asarray(turned.resize(side, Image.Resampling.BILINEAR))))
    return np.stack(out)


def alignment_cache() -> Callable[[Views], NDArray[np.float32]]:
    """:func:`frame_alignments` remembered per :class:`Views` object (for many pairs)."""
    cache: dict[int, tuple[Views, NDArray[np.float32]]] = {}

    def alignments(views: Views) -> NDArray[np.float32]:
        hit = cache.get(id(views))
        if hit is None or hit[0] is not views:
            hit = cache[id(views)] = (views, frame_alignments(views))
        return hit[1]

    return alignments


def aligned_similarity_of_frames(
    a: Views,
    b: Views,
    alignments: Callable[[Views], NDArray[np.float32]] = frame_alignments,
) -> float:
    """How well one whole frame matches a cropped or slightly rotated part of the other
    (the best correlation, either way round). Images that trimming cut by more than
    :data:`ALIGNED_MIN_KEPT` are not compared this way (-1)."""
    if kept_share(a) < ALIGNED_MIN_KEPT or kept_share(b) < ALIGNED_MIN_KEPT:
        return -1.0
    wa, wb = frame_region(a.frame, None), frame_region(b.frame, None)
    if not wa.any() or not wb.any():
        return -1.0
    return float(max((alignments(a) @ wb).max(), (alignments(b) @ wa).max()))
