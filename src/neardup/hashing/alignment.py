"""Aligned comparisons for ``--crop``: one image's whole frame against cropped and slightly
rotated parts of the other's (:func:`aligned_similarity_of_frames`)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from neardup.hashing.agreement import views_agree
from neardup.hashing.views import (
    VERIFY_SIDE,
    Views,
    colours_disagree,
    frame_region,
    kept_share,
    unit_rows,
    unit_vector,
)

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


@functools.cache
def _crop_boxes() -> tuple[tuple[float, float, float, float], ...]:
    """The crops :func:`frame_alignments` tries, in its order (the rotations follow them)."""
    return tuple(
        (float(x), float(y), float(x + s), float(y + s))
        for s in CROP_SCALES
        for x in np.linspace(0.0, 1.0 - s, 3)
        for y in np.linspace(0.0, 1.0 - s, 3)
    )


def frame_alignments(views: Views) -> NDArray[np.float32]:
    """The unit vectors of every sub-region :func:`aligned_similarity_of_frames` tries (each
    as :func:`~neardup.hashing.views.frame_region` makes it, from one image of the frame)."""
    frame = Image.fromarray(views.frame)
    n, side = views.frame.shape[0], (VERIFY_SIDE, VERIFY_SIDE)
    bilinear = Image.Resampling.BILINEAR
    parts = [frame.resize(side, bilinear, box=tuple(v * n for v in b)) for b in _crop_boxes()]
    parts += [_rotated_region(views.frame, deg, views.aspect).resize(side, bilinear)
              for deg in ROTATIONS]  # fmt: skip
    return unit_rows(np.stack([np.asarray(p, dtype=np.float32).ravel() for p in parts]))


#: :func:`_refined` moves an alignment in steps of these shares of the side (a hundred
#: times as many degrees for the angle), the next finer once no step helps.
REFINE_STEPS: Final[tuple[float, ...]] = (0.02, 0.01, 0.005)
#: ... at most this many moves a step size (the coarse grid is at most 2.5% off a crop).
REFINE_MOVES: Final = 4


Pose = tuple[float, float, float, float]


@functools.cache
def _output_grid(n: int) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """The centres of an ``n``×``n`` output's pixels about its middle (x, y), flattened."""
    centres = np.arange(n, dtype=np.float32) + 0.5 - n / 2
    u, v = np.meshgrid(centres, centres)
    return u.ravel(), v.ravel()


def _sampled(frame: NDArray[np.uint8], poses: list[Pose], aspect: float,
             stretch: float) -> NDArray[np.float32]:  # fmt: skip
    """The parts of ``frame`` (square, of an image ``aspect`` wide) at ``poses`` — centre x,
    centre y, height kept (shares of the side) and angle (degrees) — each over a whole
    output of the frame's size, bilinearly (0 outside the frame), one flattened part per
    row; the width kept is the height times ``stretch``."""
    n = frame.shape[0]
    u, v = _output_grid(n)
    # per pose: x = ax*u + bx*v + cx, y = ay*u + by*v + cy (a turn of the image itself:
    # squashed to its proportions, turned, unsquashed), in the padded frame's pixels
    coeffs = np.empty((len(poses), 6), np.float32)
    for row, (cx, cy, scale, degrees) in enumerate(poses):
        t = np.deg2rad(degrees)
        c, s = float(np.cos(t)), float(np.sin(t))
        coeffs[row] = (c * scale * stretch, -s * scale / aspect, cx * n + 0.5,
                       s * scale * stretch * aspect, c * scale, cy * n + 0.5)  # fmt: skip
    x = coeffs[:, 0:1] * u + coeffs[:, 1:2] * v + coeffs[:, 2:3]
    y = coeffs[:, 3:4] * u + coeffs[:, 4:5] * v + coeffs[:, 5:6]
    np.clip(x, 0, n + 0.999, out=x)  # a ring of 0 around the frame, and nothing beyond it
    np.clip(y, 0, n + 0.999, out=y)
    fx, fy = np.floor(x), np.floor(y)
    x0, y0 = fx.astype(np.intp), fy.astype(np.intp)
    np.subtract(x, fx, out=fx)  # the fractions, in float32 throughout
    np.subtract(y, fy, out=fy)
    padded = np.zeros((n + 3, n + 3), np.float32)
    padded[1 : n + 1, 1 : n + 1] = frame
    flat, w = padded.ravel(), n + 3
    at = y0 * w + x0
    left, below = flat[at], flat[at + w]
    top = left + (flat[at + 1] - left) * fx
    bottom = below + (flat[at + w + 1] - below) * fx
    out: NDArray[np.float32] = top + (bottom - top) * fy
    return out


def _start(k: int) -> Pose:
    """The pose of the ``k``-th sub-region of :func:`frame_alignments`."""
    boxes = _crop_boxes()
    if k < len(boxes):
        x0, y0, x1, y1 = boxes[k]
        return (x0 + x1) / 2, (y0 + y1) / 2, y1 - y0, 0.0
    return 0.5, 0.5, ROTATED_KEEP, ROTATIONS[k - len(boxes)]


def _refined(one: Views, other: Views, k: int) -> NDArray[np.float32]:
    """The ``k``-th sub-region of ``one``'s frame, moved, scaled and turned by small steps
    while it correlates better with ``other``'s whole frame (the coarse grid of
    :func:`frame_alignments` is a few pixels off a real crop: enough to make tiles
    disagree that agree once aligned). Its width follows the two images' proportions."""
    stretch = other.aspect / one.aspect if one.aspect > 0 else 1.0
    target = unit_vector(other.frame)

    def scores(poses: list[Pose]) -> NDArray[np.float32]:
        got: NDArray[np.float32] = (
            unit_rows(_sampled(one.frame, poses, one.aspect, stretch)) @ target
        )
        return got

    pose = _start(k)
    best = float(scores([pose])[0])
    for step in REFINE_STEPS:
        moves = [(i, d * (100 * step if i == 3 else step)) for i in range(4) for d in (1, -1)]
        for _ in range(REFINE_MOVES):
            tries: list[Pose] = []
            for i, d in moves:
                moved = list(pose)
                moved[i] += d
                tries.append((moved[0], moved[1], moved[2], moved[3]))
            got = scores(tries)
            j = int(np.argmax(got))
            if got[j] <= best:
                break
            best, pose = float(got[j]), tries[j]
    side = one.frame.shape[0]
    return _sampled(one.frame, [pose], one.aspect, stretch).reshape(side, side)


def _agreeing(scores: NDArray[np.float32], one: Views, other: Views) -> float:
    """The best of ``scores`` (``one``'s alignments against ``other``'s whole frame) if it
    reaches :data:`ALIGNED_MIN` and its sub-region, once refined (:func:`_refined`), also
    agrees with that whole tile by tile (:func:`~neardup.hashing.agreement.views_agree`,
    as every other comparison must); -1 otherwise: a shared frame or template cannot
    supply that agreement."""
    k = int(np.argmax(scores))
    if scores[k] < ALIGNED_MIN or not views_agree(other.frame, _refined(one, other, k)):
        return -1.0
    return float(scores[k])


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
    (the best correlation, either way round, of a part that also agrees with the other
    whole tile by tile). Images that trimming cut by more than :data:`ALIGNED_MIN_KEPT`,
    and images whose colours disagree, are not compared this way (-1)."""
    if kept_share(a) < ALIGNED_MIN_KEPT or kept_share(b) < ALIGNED_MIN_KEPT:
        return -1.0
    wa, wb = frame_region(a.frame, None), frame_region(b.frame, None)
    if not wa.any() or not wb.any() or colours_disagree(a, b):
        return -1.0
    ways = [(alignments(a) @ wb, a, b), (alignments(b) @ wa, b, a)]
    ways.sort(key=lambda way: -float(way[0].max()))  # the better way first: it decides most
    for scores, one, other in ways:
        got = _agreeing(scores, one, other)
        if got >= 0:
            return got
    return -1.0
