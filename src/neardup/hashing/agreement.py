"""Where two views of images agree: tile by tile in grey level, and in hue.

A shared frame or template makes two different pictures correlate well as a whole;
:func:`disagreeing_tiles` counts the places where they still differ. Colour is compared
only where both images are coloured (:func:`hues_disagree`), so a grey copy of a colour
photo still matches it.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

#: A comparison is split into this many tiles per side (:func:`disagreeing_tiles`).
TILES: Final = 8
#: A tile has structure when its grey levels spread at least this much (standard deviation).
TILE_SPREAD: Final = 4.0
#: Tiles with structure on both sides disagree below this correlation.
TILE_AGREE: Final = 0.3
#: Tiles also disagree when their mean grey levels differ by more than this, once the two
#: views are matched in mean and contrast as wholes (a brightness or contrast edit moves
#: every tile alike; a different picture in a shared frame does not).
TILE_LEVEL: Final = 30.0
#: A comparison holds only with at most this many disagreeing tiles (of TILES²).
MAX_DISAGREEING: Final = 3


def _matched_tiles(
    a: NDArray[Any], b: NDArray[Any], n: int
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """The inner (``n`` - 2)² tiles of ``a`` and of ``b`` matched to ``a`` in mean and
    contrast as a whole, one flattened tile per row (the outer ring is left out: trimming
    may leave a sliver of margin there)."""
    s = a.shape[0] // n
    x = np.asarray(a, np.float32)[: n * s, : n * s]
    y = np.asarray(b, np.float32)[: n * s, : n * s]
    y = (y - y.mean()) * (x.std() / max(float(y.std()), 1e-6)) + x.mean()
    tx = x.reshape(n, s, n, s)[1:-1, :, 1:-1].transpose(0, 2, 1, 3).reshape(-1, s * s)
    ty = y.reshape(n, s, n, s)[1:-1, :, 1:-1].transpose(0, 2, 1, 3).reshape(-1, s * s)
    return tx, ty


def disagreeing_tiles(a: NDArray[Any], b: NDArray[Any]) -> int:
    """How many of the inner (:data:`TILES` - 2)² tiles of two equally sized views disagree
    (:data:`TILES`² without the outer ring), once ``b`` is matched to ``a`` in mean and
    contrast: both have structure (:data:`TILE_SPREAD`) and their correlation is below
    :data:`TILE_AGREE`, or their mean levels differ by more than :data:`TILE_LEVEL`.

    Two pictures shown in one frame, or made from one template, correlate well as a whole
    (the frame dominates) but disagree wherever their contents differ; a re-encoded,
    resized or retouched copy disagrees nowhere, a watermark in a tile or two.
    """
    tx, ty = _matched_tiles(a, b, TILES)
    mx, my = tx.mean(axis=1), ty.mean(axis=1)
    tx, ty = tx - mx[:, None], ty - my[:, None]
    sx = np.sqrt((tx * tx).mean(axis=1))
    sy = np.sqrt((ty * ty).mean(axis=1))
    r = (tx * ty).mean(axis=1) / np.maximum(sx * sy, 1e-6)
    unlike = (np.minimum(sx, sy) >= TILE_SPREAD) & (r < TILE_AGREE)
    # a bright picture where the other has a dark one, or a plain field, differs in level
    unlike |= np.abs(mx - my) > TILE_LEVEL
    return int(unlike.sum())


#: A finer look, by level alone, on :data:`FINE_TILES` tiles per side: a small picture on a
#: plain canvas covers only a tile or two of the coarse grid, but many fine ones.
FINE_TILES: Final = 16
#: Two views differ in a small picture when at least :data:`FINE_MIN` fine tiles differ in
#: level (:data:`TILE_LEVEL`) and they are more than :data:`FINE_SHARE` of the fine tiles
#: with anything in them: a watermark changes a few tiles of a busy photo, a different
#: picture most of the few busy tiles of a plain screen.
FINE_MIN: Final = 4
FINE_SHARE: Final = 0.15


def small_part_differs(a: NDArray[Any], b: NDArray[Any]) -> bool:
    """Whether two views differ in level over much of the little they have in them
    (:data:`FINE_MIN`, :data:`FINE_SHARE`); ``False`` for views too small for fine tiles."""
    if a.shape[0] < 2 * FINE_TILES:
        return False
    tx, ty = _matched_tiles(a, b, FINE_TILES)
    mx, my = tx.mean(axis=1), ty.mean(axis=1)
    unlike = np.abs(mx - my) > TILE_LEVEL
    busy = (np.maximum(tx.std(axis=1), ty.std(axis=1)) >= TILE_SPREAD) | unlike
    count = int(unlike.sum())
    return count >= FINE_MIN and count > FINE_SHARE * int(busy.sum())


def views_agree(a: NDArray[Any], b: NDArray[Any]) -> bool:
    """Whether two equally sized views agree tile by tile: at most :data:`MAX_DISAGREEING`
    disagreeing tiles (:func:`disagreeing_tiles`) and no small part that differs
    (:func:`small_part_differs`)."""
    return disagreeing_tiles(a, b) <= MAX_DISAGREEING and not small_part_differs(a, b)


#: Chroma (distance of Cb, Cr from grey, 0–181) from which a tile counts as coloured.
CHROMA_MIN: Final = 12.0
#: Two images disagree in colour when at least this share of the tiles coloured in both
#: (and :data:`COLOUR_TILES` of them) differ in hue by more than a right angle.
COLOUR_DISAGREE: Final = 0.5
COLOUR_TILES: Final = 4


def hues_disagree(a: NDArray[np.uint8], b: NDArray[np.uint8]) -> bool:
    """Whether two images' Cb/Cr planes (``(2, n, n)``) mostly differ in hue by more than a
    right angle, over the tiles coloured in both (at least :data:`COLOUR_TILES` of them)."""
    ca = a.reshape(2, -1).astype(np.float32) - 128.0
    cb = b.reshape(2, -1).astype(np.float32) - 128.0
    na, nb = np.hypot(ca[0], ca[1]), np.hypot(cb[0], cb[1])
    both = (na >= CHROMA_MIN) & (nb >= CHROMA_MIN)
    count = int(both.sum())
    if count < COLOUR_TILES:
        return False
    opposite = (ca * cb).sum(axis=0) < 0
    return int((opposite & both).sum()) >= COLOUR_DISAGREE * count
